import Foundation

/// A pcscd of the test process's own, with vsmartcard's vpcd driver on free ports: started in a private mount
/// namespace (`unshare -m`) where its fixed socket directory /run/pcscd is a directory of the test, so it runs beside
/// any pcscd of the machine; clients reach it through `PCSCLITE_CSOCK_NAME` (set for this process by `start`).
public final class PrivatePCSCD: @unchecked Sendable {
    public let directory: URL
    /// vpcd's first slot ("Virtual PCD 00 00"); the second is `port + 1`.
    public let port: UInt16
    /// Every vpcd slot's port, the first reader's two first: the shared pcscd has three vpcd readers of two slots,
    /// "Virtual PCD 00 00/01" for the suites that take turns on one slot, and four more for the personalization
    /// line's batches (see `readerNames`).
    public let ports: [UInt16]
    public let socketPath: String
    private let process: Subprocess
    private let slot = NSLock()

    /// Runs `body` with the first vpcd slot to itself: tests of several suites (which run in parallel) insert
    /// cards there, and one card at a time fits.
    public func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        slot.lock()
        defer { slot.unlock() }
        return try body()
    }

    /// Whether this process runs under libfaketime (the suite's runs a year and five years ahead). The tests through
    /// pcscd do not run then: they test no date, and the clock shim slowed the card's answers enough under load
    /// that vpcd's presence poll timed out and pcscd re-powered the card in the middle of a session.
    public static let clockIsShifted: Bool = ProcessInfo.processInfo.environment["FAKETIME"] != nil

    /// Whether the tests through pcscd sit this run out: under libfaketime (above), and in the suite's PostgreSQL run
    /// (EPKI_TEST_POSTGRES), where they test nothing of the store's and the extra load of the database's processes
    /// twice made pcscd re-power a virtual card mid-session (vpcd's presence poll answered late).
    public static let isSkipped: Bool = clockIsShifted || ProcessInfo.processInfo.environment["EPKI_TEST_POSTGRES"] != nil

    /// The one pcscd of this test process, started on first use.
    public static let shared: Result<PrivatePCSCD, any Error> = Result { try PrivatePCSCD.start(channels: 3) }

    public static func start(channels: Int = 1) throws -> PrivatePCSCD {
        for program in ["pcscd", "unshare"] { _ = try TestSupport.locate(program, searchPath: "/usr/sbin:/usr/bin:/sbin:/bin") }
        let driver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
        guard FileManager.default.fileExists(atPath: driver) else {
            throw TestFailure("vpcd is not installed (\(driver)): the test needs the Debian package vsmartcard-vpcd (scripts/setup.sh installs it)")
        }
        let directory = try TestSupport.temporaryDirectory("epki-pcscd")
        let run = directory.appendingPathComponent("run")
        let configuration = directory.appendingPathComponent("reader.conf.d")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
        var pairs: [UInt16] = []
        while pairs.count < channels {
            let candidate = try freePortPair()
            if !pairs.contains(where: { abs(Int($0) - Int(candidate)) < 2 }) { pairs.append(candidate) }
        }
        // One file with every vpcd reader in order (pcscd reads the files of the folder in no set order, and
        // lists the readers of one file in the file's order): the first is "Virtual PCD", then "Virtual PCD 1" …
        // vpcd keeps its connections in a static array indexed by slot, so two readers of one loaded driver share
        // them: each reader after the first loads a copy of the driver, which dlopen keeps apart.
        var entries: [String] = []
        for (index, pair) in pairs.enumerated() {
            var library = driver
            if index > 0 {
                library = directory.appendingPathComponent("libifdvpcd-\(index).so").path
                try FileManager.default.copyItem(atPath: URL(fileURLWithPath: driver).resolvingSymlinksInPath().path, toPath: library)
            }
            entries.append("""
                FRIENDLYNAME "Virtual PCD\(index == 0 ? "" : " \(index)")"
                DEVICENAME /dev/null:\(pair)
                LIBPATH \(library)
                CHANNELID \(pair)

                """)
        }
        try TestSupport.write(entries.joined(separator: "\n") + "\n", configuration.appendingPathComponent("vpcd"))
        let port = pairs[0]
        // pcscd lives no longer than this test process: the shell watches both and stops pcscd when either ends
        // (a process that exits runs no deinit, and a crash no atexit).
        // The namespace's mounts are made private so the bind mount never reaches the machine's /run/pcscd: from /
        // where / is a mount point, else from /run (in a chroot, / is not one, and unshare's --propagation fails).
        let script = """
            mount --make-rprivate / 2>/dev/null || mount --make-rprivate /run || exit 1
            mkdir -p /run/pcscd && mount --bind '\(run.path)' /run/pcscd || exit 1
            pcscd -f -c '\(configuration.path)' & P=$!
            trap 'kill $P 2>/dev/null' TERM
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $P 2>/dev/null; do sleep 0.2; done
            kill $P 2>/dev/null; wait $P
            """
        let process = try Subprocess(try TestSupport.locate("unshare", searchPath: "/usr/bin:/bin"),
                                     ["-m", "--propagation", "unchanged", "sh", "-c", script],
                                     environment: ProcessInfo.processInfo.environment.filter { !Self.clockShifting($0.key) },
                                     standardError: directory.appendingPathComponent("pcscd.log").path)
        let socketPath = run.appendingPathComponent("pcscd.comm").path
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else {
                process.signal(SIGTERM)
                let log = (try? String(contentsOf: directory.appendingPathComponent("pcscd.log"), encoding: .utf8)) ?? ""
                throw TestFailure("the private pcscd did not start (unshare -m and mount need root): \(log)")
            }
            usleep(10_000)
        }
        setenv("PCSCLITE_CSOCK_NAME", socketPath, 1)
        let started = PrivatePCSCD(directory: directory, ports: pairs.flatMap { [$0, $0 + 1] }, socketPath: socketPath, process: process)
        return started
    }

    private init(directory: URL, ports: [UInt16], socketPath: String, process: Subprocess) {
        self.directory = directory
        self.port = ports[0]
        self.ports = ports
        self.socketPath = socketPath
        self.process = process
    }

    deinit {
        stop()
    }

    public func stop() {
        guard process.isRunning else { return }
        process.signal(SIGTERM)
        process.wait()
        try? FileManager.default.removeItem(at: directory)
    }


    /// libfaketime's variables: pcscd and vpcd time the card's answers, and a clock moved years ahead made vpcd
    /// drop and re-power the card in the middle of a session; the daemon runs on the machine's clock, like a reader.
    static func clockShifting(_ name: String) -> Bool {
        name == "LD_PRELOAD" || name.hasPrefix("FAKETIME")
    }

    /// The environment that points another program (opensc-tool, pyscard) at this pcscd.
    public var environment: [String: String] { ["PCSCLITE_CSOCK_NAME": socketPath] }

    /// A port p such that p and p + 1 are free on every address (vpcd binds 0.0.0.0).
    static func freePortPair() throws -> UInt16 {
        for _ in 0..<50 {
            let candidate = UInt16.random(in: 20_000...60_000)
            if isFree(candidate), isFree(candidate + 1) { return candidate }
        }
        throw TestFailure("no two free consecutive TCP ports found for vpcd")
    }

    static func isFree(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = 0
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
