// Section `card`: the virtual eMRTD chip through the real PC/SC stack (the smart-card benchmark issue).
//
// Set-up: a private pcscd with vsmartcard's vpcd on a free port pair, started in a mount namespace of its own
// (`unshare -m`, /run/pcscd bind-mounted to a temporary directory, PCSCLITE_CSOCK_NAME set for this process), as
// the tests' PrivatePCSCD does; it runs beside any pcscd of the machine. The virtual chip (EMRTDChip) is served to
// vpcd on a thread of this process, either by VPCDConnection as shipped or by this file's QuickACKLink, the same
// loop with TCP_QUICKACK (see `Link`: Debian's vpcd makes every command wait for a delayed ACK otherwise). Its
// files: DG1 (TD3 MRZ), DG2 (one face, about 20 KB), DG3 (two finger records), EF.SOD signed over them by a P-256
// DS, EF.CardAccess (PACE ECDH-GM, AES-128, brainpoolP256r1, as in 9303-11 G.1), EF.CVCA from the chip's TA trust
// point, and a plain 20 KB file in the master file for the plain APDU loops. Chip Authentication uses the EAC
// worked example's key (Vectors/eac-worked-example).
//
// 1. APDU loops. The same READ BINARY commands, short (Le 223) and extended (Le 4000):
//    * raw: a C loop of SCardTransmit (Sources/RawPCSC) over the APDU bytes, on its own PC/SC context and handle;
//    * epki: `CardTransport.send(CommandAPDU)` through PCSCTransport, plain, and through SecureMessagingTransport
//      after BAC (3DES) and after PACE (AES-128).
//    Under secure messaging the raw side sends the protected commands that epki's session would send next: they are
//    computed before each raw slice from a copy of the session (`SecureMessaging.protect`, the SSC stepped once
//    more for each response), so the chip does the same work for both sides; the epki transport then takes the
//    advanced session and reads on, which proves every raw command was accepted in order. Once per row, the first
//    commands epki sends (recorded below its secure messaging) are compared byte for byte with the list.
//    Each round opens one session (not timed) and runs 5 raw and 5 epki slices of N/5 APDUs on it in turn, the
//    order alternating.
//    Clocks: wall time; the CPU time of the calling thread (the terminal side: epki or the raw loop, and the
//    pcsc-lite client under it; not the chip, whose thread is another one, and not pcscd, another process); the
//    process's CPU time (terminal + chip thread); pcscd's CPU time from /proc.
// 2. Whole-passport reads: BAC (DG1, DG2, EF.SOD; DG3 needs TA), BAC + CA (3DES) + TA, and PACE (MRZ) + CA (AES) +
//    TA, each reading DG1, DG2, DG3 and EF.SOD with ElementaryFileReader at a short (223) and an extended chunk
//    size, with the time, APDUs and CPU of each phase.
// 3. The terminal's work per APDU without PC/SC: the same loops over a transport that replays the chip's answers.

import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import RawPCSC
import SmartCard
import VirtualChip

enum CardBenchmarks {
    static let reader = "Virtual PCD 00 00"
    /// The plain file in the master file that the plain loops read: DG2's bytes under another identifier.
    static let plainFile: UInt16 = 0x2F10
    static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: ChipFileSystem.ldsApplicationIdentifier)
    static let selectMasterFile = CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00])
    /// The PACEInfo of ICAO Doc 9303-11 G.1: PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1 (parameter ID 13).
    static let cardAccess: [UInt8] = [
        0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02,
        0x02, 0x01, 0x02, 0x02, 0x01, 0x0D,
    ]
    static let caProtocol3DES = "0.4.0.127.0.7.2.2.3.2.1"  // id-CA-ECDH-3DES-CBC-CBC
    static let caProtocolAES128 = "0.4.0.127.0.7.2.2.3.2.2"  // id-CA-ECDH-AES-CBC-CMAC-128

    // MARK: - The private pcscd

    /// pcscd with vpcd on a free port pair, in a mount namespace of its own; stops when this process ends.
    final class PrivatePCSCD {
        /// The one pcscd of this process: pcsc-lite reads the socket's name once, so the card, perso and inspection
        /// sections share the daemon the first of them starts; the program stops it after the last section.
        nonisolated(unsafe) private static var started: PrivatePCSCD?

        static func shared(keep: Bool) throws -> PrivatePCSCD {
            if let started { return started }
            let made = try PrivatePCSCD(keep: keep)
            started = made
            return made
        }

        static func stopShared(keep: Bool) {
            started?.stop(keep: keep)
            started = nil
        }

        let directory: URL
        let port: UInt16
        let socketPath: String
        let process: Process
        let pid: Int32

        init(keep: Bool) throws {
            let driver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
            guard FileManager.default.fileExists(atPath: driver) else {
                throw UsageError("vpcd is not installed (\(driver)): the card section needs the Debian packages pcscd and vsmartcard-vpcd")
            }
            let directory = try temporaryDirectory("epki-bench-pcscd")
            self.directory = directory
            let run = directory.appendingPathComponent("run")
            let configuration = directory.appendingPathComponent("reader.conf.d")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: configuration, withIntermediateDirectories: true)
            let port = try Self.freePortPair()
            self.port = port
            try Data("""
                FRIENDLYNAME "Virtual PCD"
                DEVICENAME /dev/null:\(port)
                LIBPATH \(driver)
                CHANNELID \(port)

                """.utf8).write(to: configuration.appendingPathComponent("vpcd"))
            let pidFile = directory.appendingPathComponent("pcscd.pid")
            // As Tests/TestSupport/PrivatePCSCD.swift: the namespace's mounts are made private, so the bind mount
            // never reaches the machine's /run/pcscd; the shell stops pcscd when this process or pcscd ends.
            let script = """
                mount --make-rprivate / 2>/dev/null || mount --make-rprivate /run || exit 1
                mkdir -p /run/pcscd && mount --bind '\(run.path)' /run/pcscd || exit 1
                pcscd -f -c '\(configuration.path)' & P=$!
                echo $P > '\(pidFile.path)'
                trap 'kill $P 2>/dev/null' TERM
                while kill -0 \(getpid()) 2>/dev/null && kill -0 $P 2>/dev/null; do sleep 0.2; done
                kill $P 2>/dev/null; wait $P
                """
            let process = Process()
            self.process = process
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-m", "--propagation", "unchanged", "sh", "-c", script]
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin"
            process.environment = environment
            let logURL = directory.appendingPathComponent("pcscd.log")
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let logFile = try FileHandle(forWritingTo: logURL)
            process.standardOutput = logFile
            process.standardError = logFile
            try process.run()
            let socketPath = run.appendingPathComponent("pcscd.comm").path
            self.socketPath = socketPath
            let deadline = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: socketPath) || !FileManager.default.fileExists(atPath: pidFile.path) {
                guard process.isRunning, Date() < deadline else {
                    process.terminate()
                    let text = (try? String(contentsOf: directory.appendingPathComponent("pcscd.log"), encoding: .utf8)) ?? ""
                    throw UsageError("the private pcscd did not start (unshare -m and mount need root): \(text)")
                }
                usleep(10_000)
            }
            guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw UsageError("the private pcscd's pid file is unreadable")
            }
            self.pid = pid
            setenv("PCSCLITE_CSOCK_NAME", socketPath, 1)
        }

        func stop(keep: Bool) {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            if keep { log("  kept the pcscd directory \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
        }

        /// pcscd's CPU time (user + system) so far, in seconds, from /proc (clock ticks: 10 ms steps).
        func cpuSeconds() -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return .nan }
            // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        /// A port p such that p and p + 1 are free (vpcd binds 0.0.0.0).
        static func freePortPair() throws -> UInt16 {
            for _ in 0..<50 {
                let candidate = UInt16.random(in: 20_000...60_000)
                if isFree(candidate), isFree(candidate + 1) { return candidate }
            }
            throw UsageError("no two free consecutive TCP ports found for vpcd")
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

    // MARK: - How the chip reaches vpcd

    /// The chip's side of the vpcd connection: epki's VPCDConnection as shipped, or the benchmark's copy of its loop
    /// that sets TCP_QUICKACK after every receive.
    ///
    /// Why: Debian's vpcd (vsmartcard 3.3) sends each frame to the card in two send() calls, the 2-byte length and
    /// then the APDU. Unless the card acknowledges the length at once, the APDU waits for the card's delayed ACK
    /// (seen with strace on pcscd: the APDU 43–47 ms after its length). VPCDConnection sets TCP_QUICKACK since
    /// c9292f0; before it, every command through pcscd waited so. The `quickack` link measures the same fix on a
    /// tree without it (and, with it, shows that the two links agree).
    enum Link: String, CaseIterable {
        case quickACK = "quickack", shipped

        var title: String {
            switch self {
            case .quickACK: "the benchmark's vpcd loop with TCP_QUICKACK"
            case .shipped: "VPCDConnection as shipped"
            }
        }
    }

    /// VPCDConnection's serving loop (the same frames and answers), with TCP_QUICKACK set after every recv.
    final class QuickACKLink: BenchmarkCardLink, @unchecked Sendable {
        private let socketDescriptor: Int32
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var stopped = false

        init(port: UInt16) throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw UsageError("socket(): \(String(cString: strerror(errno)))") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                close(descriptor)
                throw UsageError("cannot reach vpcd on port \(port): \(String(cString: strerror(errno)))")
            }
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            socketDescriptor = descriptor
        }

        deinit { close(socketDescriptor) }

        func start(_ chip: EMRTDChip) {
            let worker = Thread { [self] in
                try? serve(chip)
                done.signal()
            }
            worker.name = "vpcd quickack"
            worker.start()
        }

        func stop() {
            let first = lock.withLock { () -> Bool in
                defer { stopped = true }
                return !stopped
            }
            guard first else { return }
            shutdown(socketDescriptor, Int32(SHUT_RDWR))
            done.wait()
        }

        private func serve(_ chip: EMRTDChip) throws {
            while !lock.withLock({ stopped }) {
                let header = try read(2)
                let length = Int(header[0]) << 8 | Int(header[1])
                let message = try read(length)
                if length == 1 {
                    switch message[0] {
                    case 0x00, 0x01, 0x02: chip.reset()
                    case 0x04: try write(VPCDConnection.defaultATR)
                    default: break
                    }
                    continue
                }
                try write(chip.process(message))
            }
        }

        private func read(_ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var received = 0
            while received < count {
                let n = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress! + received, count - received, 0) }
                guard n > 0 else { throw UsageError("vpcd closed the connection") }
                received += n
                // Acknowledge now: vpcd's next segment (the APDU after its length) waits for this ACK.
                var one: Int32 = 1
                setsockopt(socketDescriptor, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
            }
            return buffer
        }

        private func write(_ payload: [UInt8]) throws {
            let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
            var sent = 0
            while sent < frame.count {
                let n = frame.withUnsafeBytes { send(socketDescriptor, $0.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw UsageError("vpcd: \(String(cString: strerror(errno)))") }
                sent += n
            }
        }
    }

    // MARK: - The document

    struct Document {
        let files: ChipFileSystem
        let key: BACKey
        let dg1: [UInt8], dg2: [UInt8], dg3: [UInt8], sod: [UInt8]
        let cvca: CVCertificate
        let dv: CVCertificate
        let terminal: CVCertificate
        let terminalKey: SoftwareSigner
        let chipKey: ChipAuthentication.ChipKey
        let chipPrivateKey: [UInt8]
        let trustStart: CVDate
        let parameters: PACEParameters

        init(dg2Bytes: Int, fingerBytes: Int) throws {
            let root = NPKDBenchmarks.repositoryRoot()
            func vector(_ name: String) throws -> [UInt8] {
                let path = root.appendingPathComponent("Vectors/eac-worked-example/\(name)").path
                guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("vector \(path) is missing") }
                return Array(data)
            }
            var random = SystemRandomNumberGenerator()
            func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }

            let mrz = try MRZ(lines: LDSBenchmarks.td3Lines)
            dg1 = DG1(mrz: mrz).encode()
            key = try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)
            // DG2: one face; the JPEG sized so that the data group is `dg2Bytes` long.
            func makeDG2(image: Int) -> [UInt8] {
                let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + bytes(max(0, image - 6)) + [0xFF, 0xD9]
                return DG2(faces: [FacialRecord(images: [FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 480, height: 640)])]).encode()
            }
            let overhead = makeDG2(image: 1_000).count - 1_000
            dg2 = makeDG2(image: dg2Bytes - overhead)
            // DG3: two finger records (right and left index finger), each one WSQ image of `fingerBytes`.
            let fingers = [2, 7].map { position in
                FingerImageRecord(fingers: [FingerImage(position: UInt8(position), width: 416, height: 416, imageData: bytes(fingerBytes))],
                                  compressionAlgorithm: 2)
            }
            dg3 = DG3(fingers: fingers).encode()
            let fixture = try LDSBenchmarks.makeFixture(LDSBenchmarks.cases[0])
            sod = try fixture.signer.sign(dataGroups: [1: dg1, 2: dg2, 3: dg3]).encode()

            // Terminal Authentication: a CVCA → DV → IS chain on brainpoolP256r1, DG3 granted (as TerminalAuthenticationTests).
            trustStart = try CVDate(year: 2026, month: 11, day: 1)
            let specification = KeySpecification.ec(.brainpoolP256r1, parameters: .namedCurve)
            let algorithm = TerminalAuthenticationAlgorithm.ecdsaSHA256
            let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
            let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
            cvca = try CVCertificateBuilder.selfSignedCVCA(
                signer: cvcaSigner, algorithm: algorithm,
                chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "CVCA", sequenceNumber: "00001"),
                rights: [0x03], effectiveDate: trustStart, expirationDate: try trustStart.adding(months: 36))
            let rights = CertificateHolderAuthorizationTemplate.InspectionSystemRights.readDG3
            dv = try CVCertificateBuilder.documentVerifier(
                publicKey: CVPublicKey(dvSigner.publicKey, algorithm: algorithm, includeDomainParameters: false),
                chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVIS", sequenceNumber: "00001"), role: .domesticDV,
                rights: [rights.rawValue], effectiveDate: trustStart, expirationDate: try trustStart.adding(months: 3), issuer: cvca,
                issuerSigner: cvcaSigner)
            terminalKey = SoftwareSigner(key: try PrivateKey.generate(specification))
            terminal = try CVCertificateBuilder.terminal(
                publicKey: CVPublicKey(terminalKey.publicKey, algorithm: algorithm, includeDomainParameters: false),
                chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "IST", sequenceNumber: "00001"),
                rights: [rights.rawValue], effectiveDate: trustStart, expirationDate: try trustStart.adding(months: 1), issuer: dv,
                issuerSigner: dvSigner, issuerDomainParameters: cvca.publicKey.domainParameters)
            chipPrivateKey = try vector("npa_key")
            chipKey = ChipAuthentication.ChipKey(curve: .brainpoolP256r1, publicPoint: try vector("ca_picc_pub_key.bin"))

            guard let info = try EFCardAccess(bytes: CardBenchmarks.cardAccess).securityInfos.paceInfos.first else {
                throw UsageError("the benchmark's EF.CardAccess holds no PACEInfo")
            }
            parameters = try PACEParameters(info)
            files = ChipFileSystem(
                masterFile: [ChipFileSystem.efCardAccess: CardBenchmarks.cardAccess, CardBenchmarks.plainFile: dg2],
                application: [ChipFileSystem.dataGroup(1): dg1, ChipFileSystem.dataGroup(2): dg2, ChipFileSystem.dataGroup(3): dg3,
                              ChipFileSystem.efSOD: sod])
        }

        func chip() throws -> EMRTDChip {
            EMRTDChip(files: files, bacKey: key, chipAuthenticationKey: chipPrivateKey,
                      terminalAuthentication: try TerminalAuthenticationChip(trustPoints: [cvca], currentDate: trustStart))
        }
    }

    // MARK: - Transports for the checks and the replays

    /// Passes commands through, counting them and their response bytes; records commands while `recording`.
    final class CountingTransport: CardTransport {
        let inner: any CardTransport
        var commands = 0
        var responseBytes = 0
        var recording = false
        var recorded: [[UInt8]] = []

        init(_ inner: any CardTransport) { self.inner = inner }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            commands += 1
            if recording { recorded.append(command) }
            let response = try inner.transmit(command)
            responseBytes += response.count
            return response
        }
    }

    /// Passes commands through and adds up the thread CPU time spent inside the underlying transport's transmit.
    final class SplitTimingTransport: CardTransport {
        let inner: any CardTransport
        var inside = 0.0

        init(_ inner: any CardTransport) { self.inner = inner }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            let before = threadCPUSeconds()
            defer { inside += threadCPUSeconds() - before }
            return try inner.transmit(command)
        }
    }

    /// Answers the i-th command with the i-th recorded response: the terminal's work without a card or a reader.
    final class ReplayTransport: CardTransport {
        let responses: [[UInt8]]
        var index = 0

        init(_ responses: [[UInt8]]) { self.responses = responses }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            defer { index += 1 }
            return responses[index]
        }
    }

    // MARK: - APDU loops

    enum Mode: String, CaseIterable {
        case plain, bac, pace

        var title: String {
            switch self {
            case .plain: "plain (no secure messaging)"
            case .bac: "secure messaging 3DES (after BAC)"
            case .pace: "secure messaging AES-128 (after PACE)"
            }
        }
    }

    /// The READ BINARY commands of a loop: Le = chunk, at offsets 0, chunk, 2·chunk, … within the 20 KB file.
    static func readCommand(_ index: Int, chunk: Int, fileSize: Int) -> CommandAPDU {
        let slots = max(1, min(fileSize, 0x7FFF) / chunk)
        let offset = (index % slots) * chunk
        return CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), expectedLength: chunk)
    }

    /// A session ready for the loop: the file selected; `secure` nil in plain mode.
    struct Session {
        let transport: any CardTransport
        let secure: SecureMessagingTransport?
    }

    static func open(_ mode: Mode, over pcsc: any CardTransport, document: Document) throws -> Session {
        switch mode {
        case .plain:
            _ = try pcsc.sendSuccessfully(selectMasterFile, "SELECT MF")
            _ = try pcsc.sendSuccessfully(ElementaryFileReader.select(plainFile), "SELECT the plain file")
            return Session(transport: pcsc, secure: nil)
        case .bac:
            _ = try pcsc.sendSuccessfully(selectApplication, "SELECT eMRTD application")
            let secure = try BasicAccessControl.authenticate(over: pcsc, key: document.key)
            _ = try secure.sendSuccessfully(ElementaryFileReader.select(ChipFileSystem.dataGroup(2)), "SELECT DG2")
            return Session(transport: secure, secure: secure)
        case .pace:
            let outcome = try PACETerminal(parameters: document.parameters, password: .mrz(document.key)).authenticate(over: pcsc)
            _ = try outcome.transport.sendSuccessfully(selectApplication, "SELECT eMRTD application")
            _ = try outcome.transport.sendSuccessfully(ElementaryFileReader.select(ChipFileSystem.dataGroup(2)), "SELECT DG2")
            return Session(transport: outcome.transport, secure: outcome.transport)
        }
    }

    /// The bytes epki's session would send for commands 0..<count, and the session after them (the SSC stepped for
    /// each command and each response).
    static func commandBytes(_ session: Session, start: Int = 0, count: Int, chunk: Int, fileSize: Int) throws -> ([[UInt8]], SecureMessaging?) {
        guard var state = session.secure?.session else {
            return (try (start..<(start + count)).map { try readCommand($0, chunk: chunk, fileSize: fileSize).encoded() }, nil)
        }
        var list: [[UInt8]] = []
        list.reserveCapacity(count)
        for index in start..<(start + count) {
            list.append(try state.protect(readCommand(index, chunk: chunk, fileSize: fileSize)).encoded())
            _ = try state.protect(response: ResponseAPDU(statusWord: .success))  // the response's step of the SSC
        }
        return (list, state)
    }

    struct Slice {
        var apdus = 0
        var wall = 0.0
        var threadCPU = 0.0
        var processCPU = 0.0
        var pcscdCPU = 0.0
        /// Minor page faults of the measuring thread (getrusage RUSAGE_THREAD).
        var faults = 0

        var perSecond: Double { Double(apdus) / wall }

        mutating func add(_ other: Slice) {
            apdus += other.apdus
            wall += other.wall
            threadCPU += other.threadCPU
            processCPU += other.processCPU
            pcscdCPU += other.pcscdCPU
            faults += other.faults
        }
        func micro(_ seconds: Double) -> Double { seconds / Double(apdus) * 1e6 }
    }

    static func rawSlice(_ commands: [[UInt8]], pcscd: PrivatePCSCD) throws -> Slice {
        var flat: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for command in commands {
            offsets.append(flat.count)
            lengths.append(command.count)
            flat += command
        }
        let pcscdBefore = pcscd.cpuSeconds()
        let faultsBefore = threadMinorFaults()
        let result = flat.withUnsafeBufferPointer { bytes in
            offsets.withUnsafeBufferPointer { offsets in
                lengths.withUnsafeBufferPointer { lengths in
                    raw_pcsc_transmit_all(bytes.baseAddress, offsets.baseAddress, lengths.baseAddress, commands.count)
                }
            }
        }
        let faults = threadMinorFaults() - faultsBefore
        let pcscdAfter = pcscd.cpuSeconds()
        guard result.ok == 1 else {
            let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw UsageError("raw SCardTransmit loop: \(message)")
        }
        return Slice(apdus: result.apdus, wall: result.seconds, threadCPU: result.threadCPUSeconds, processCPU: result.processCPUSeconds,
                     pcscdCPU: pcscdAfter - pcscdBefore, faults: faults)
    }

    static func epkiSlice(_ session: Session, from first: Int = 0, count: Int, chunk: Int, fileSize: Int, pcscd: PrivatePCSCD, sink: inout Int) throws -> Slice {
        let transport = session.transport
        let clock = ContinuousClock()
        let pcscdBefore = pcscd.cpuSeconds()
        let faultsBefore = threadMinorFaults()
        let processBefore = processCPUSeconds()
        let threadBefore = threadCPUSeconds()
        let start = clock.now
        for index in first..<(first + count) {
            let response = try transport.send(readCommand(index, chunk: chunk, fileSize: fileSize))
            guard response.statusWord == .success, response.data.count == chunk else {
                throw UsageError("epki READ BINARY \(index): \(response.statusWord), \(response.data.count) bytes")
            }
            sink &+= Int(response.data[0])
        }
        let wall = durationSeconds(clock.now - start)
        let thread = threadCPUSeconds() - threadBefore
        let process = processCPUSeconds() - processBefore
        let faults = threadMinorFaults() - faultsBefore
        return Slice(apdus: count, wall: wall, threadCPU: thread, processCPU: process, pcscdCPU: pcscd.cpuSeconds() - pcscdBefore,
                     faults: faults)
    }

    struct LoopRow {
        let mode: Mode
        let chunk: Int
        var count = 0
        var requestBytes = 0
        var responseBytes = 0
        var raw: [Slice] = []
        var epki: [Slice] = []
        /// Diagnostic epki slices with the terminal CPU split: inside PCSCTransport.transmit, and the rest; µs/APDU.
        var inside: [Double] = []
        var outside: [Double] = []
    }

    /// Minor page faults of the calling thread so far.
    static func threadMinorFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (Linux), not exported to Swift
        return usage.ru_minflt
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.sorted()
        guard !v.isEmpty else { return .nan }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    static func runLoops(_ options: Options, chunks: [Int], pcsc: PCSCTransport, document: Document, pcscd: PrivatePCSCD,
                         sink: inout Int) throws -> [LoopRow] {
        let fileSize = document.dg2.count
        var rows: [LoopRow] = []
        for chunk in chunks {
            for mode in Mode.allCases {
                var row = LoopRow(mode: mode, chunk: chunk)
                // The bytes: what epki sends, recorded below its secure messaging, must be the raw side's list.
                do {
                    let counting = CountingTransport(pcsc)
                    let session = try open(mode, over: counting, document: document)
                    let (list, _) = try commandBytes(session, count: 8, chunk: chunk, fileSize: fileSize)
                    counting.recording = true
                    counting.responseBytes = 0
                    var ignored = 0
                    _ = try epkiSlice(session, count: 8, chunk: chunk, fileSize: fileSize, pcscd: pcscd, sink: &ignored)
                    guard counting.recorded == list else {
                        throw UsageError("\(mode.rawValue), chunk \(chunk): the commands epki sent differ from the raw side's list")
                    }
                    row.requestBytes = list[0].count
                    row.responseBytes = counting.responseBytes / 8
                }
                // Calibration: N such that a raw slice takes about one round's time.
                let calibration: Slice
                do {
                    let session = try open(mode, over: pcsc, document: document)
                    let (list, _) = try commandBytes(session, count: 20, chunk: chunk, fileSize: fileSize)
                    let first = try rawSlice(list, pcscd: pcscd)
                    if first.wall < 0.05 {
                        let again = try open(mode, over: pcsc, document: document)
                        calibration = try rawSlice(try commandBytes(again, count: 400, chunk: chunk, fileSize: fileSize).0, pcscd: pcscd)
                    } else {
                        calibration = first
                    }
                }
                let count = max(20, Int(calibration.perSecond * Double(options.roundSeconds)))
                row.count = max(4, count / 5) * 5
                log("  \(mode.title), READ BINARY Le \(chunk): \(row.count) APDUs per round and side (raw calibration \(Int(calibration.perSecond))/s)")
                let pairs = 5
                let perSlice = max(4, count / pairs)
                for round in 1...options.rounds {
                    // One session per round; raw and epki slices take turns on it (the order alternating), each
                    // continuing the other's send sequence counter.
                    let session = try open(mode, over: pcsc, document: document)
                    var raw = Slice(), epki = Slice()
                    var index = 0
                    var lastWasRaw = false
                    for pair in 0..<pairs {
                        for side in (round + pair) % 2 == 1 ? [0, 1] : [1, 0] {
                            if side == 0 {
                                let (list, after) = try commandBytes(session, start: index, count: perSlice, chunk: chunk, fileSize: fileSize)
                                raw.add(try rawSlice(list, pcscd: pcscd))
                                if let secure = session.secure, let after { secure.switchSession(to: after) }
                                lastWasRaw = true
                            } else {
                                epki.add(try epkiSlice(session, from: index, count: perSlice, chunk: chunk, fileSize: fileSize, pcscd: pcscd, sink: &sink))
                                lastWasRaw = false
                            }
                            index += perSlice
                        }
                    }
                    // The chip accepted every raw command in order: epki's session, moved on past them, still reads.
                    if lastWasRaw {
                        var ignored = 0
                        _ = try epkiSlice(session, from: index, count: 1, chunk: chunk, fileSize: fileSize, pcscd: pcscd, sink: &ignored)
                    }
                    row.raw.append(raw)
                    row.epki.append(epki)
                    log(String(format: "    round %d: raw %.0f/s (%.1f µs terminal CPU), epki %.0f/s (%.1f µs)", round, raw.perSecond,
                               raw.micro(raw.threadCPU), epki.perSecond, epki.micro(epki.threadCPU)))
                }
                // Where the terminal's CPU goes: three more epki slices with a transport below secure messaging that
                // times the calls into PCSCTransport.transmit (two clock reads per APDU; not part of the comparison).
                for _ in 0..<3 {
                    let session = try open(mode, over: pcsc, document: document)
                    let split = SplitTimingTransport(pcsc)
                    let measured = Session(transport: session.secure.map { SecureMessagingTransport(split, session: $0.session) } ?? split,
                                           secure: nil)
                    let slice = try epkiSlice(measured, count: perSlice, chunk: chunk, fileSize: fileSize, pcscd: pcscd, sink: &sink)
                    row.inside.append(split.inside / Double(perSlice) * 1e6)
                    row.outside.append((slice.threadCPU - split.inside) / Double(perSlice) * 1e6)
                }
                rows.append(row)
            }
        }
        return rows
    }

    // MARK: - Whole-passport reads

    enum Access: String, CaseIterable {
        case bac, bacCATA, paceCATA

        var title: String {
            switch self {
            case .bac: "BAC"
            case .bacCATA: "BAC + CA (3DES) + TA"
            case .paceCATA: "PACE (MRZ) + CA (AES-128) + TA"
            }
        }

        var files: [Int] { self == .bac ? [1, 2] : [1, 2, 3] }
    }

    struct PassportRead {
        var wall = 0.0
        var threadCPU = 0.0
        var processCPU = 0.0
        var apdus = 0
        var responseBytes = 0
        /// Per phase: name, wall seconds, terminal thread CPU seconds, the rest of the process (the chip) CPU seconds, APDUs.
        var phases: [(name: String, wall: Double, terminal: Double, chip: Double, apdus: Int)] = []
    }

    static func readPassport(_ access: Access, chunk: Int, pcsc: PCSCTransport, document: Document) throws -> PassportRead {
        let counting = CountingTransport(pcsc)
        let clock = ContinuousClock()
        let processBefore = processCPUSeconds()
        let threadBefore = threadCPUSeconds()
        let start = clock.now
        var mark = start
        var markThread = threadBefore, markProcess = processBefore, markAPDUs = 0
        var phases: [(name: String, wall: Double, terminal: Double, chip: Double, apdus: Int)] = []
        func phase(_ name: String) {
            let now = clock.now
            let thread = threadCPUSeconds(), process = processCPUSeconds()
            phases.append((name, durationSeconds(now - mark), thread - markThread, (process - markProcess) - (thread - markThread),
                           counting.commands - markAPDUs))
            mark = now
            markThread = thread
            markProcess = process
            markAPDUs = counting.commands
        }
        var contents: [Int: [UInt8]] = [:]
        let secure: SecureMessagingTransport
        switch access {
        case .bac, .bacCATA:
            _ = try counting.sendSuccessfully(selectApplication, "SELECT eMRTD application")
            secure = try BasicAccessControl.authenticate(over: counting, key: document.key)
            phase("BAC")
            if access == .bacCATA {
                let ephemeral = try ChipAuthentication.authenticate(over: secure, chipKey: document.chipKey,
                                                                    protocolIdentifier: .init(dotRepresentation: caProtocol3DES))
                phase("CA")
                let trustPoints = try EFCVCA(encoded: ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size)).references
                try TerminalAuthentication.authenticate(
                    over: secure, certificates: TerminalAuthentication.certificatesToSend([document.cvca, document.dv, document.terminal], trustPoints: trustPoints),
                    terminalKey: document.terminalKey, chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
                phase("TA")
            }
        case .paceCATA:
            _ = try counting.sendSuccessfully(selectMasterFile, "SELECT MF")
            let cardAccess = try ElementaryFileReader(counting).read(ChipFileSystem.efCardAccess, name: "EF.CardAccess")
            guard let info = try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first else {
                throw UsageError("EF.CardAccess offers no PACE")
            }
            let outcome = try PACETerminal(parameters: PACEParameters(info), password: .mrz(document.key)).authenticate(over: counting)
            secure = outcome.transport
            _ = try secure.sendSuccessfully(selectApplication, "SELECT eMRTD application")
            phase("PACE")
            let ephemeral = try ChipAuthentication.authenticate(over: secure, chipKey: document.chipKey,
                                                                protocolIdentifier: .init(dotRepresentation: caProtocolAES128))
            phase("CA")
            let trustPoints = try EFCVCA(encoded: ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size)).references
            try TerminalAuthentication.authenticate(
                over: secure, certificates: TerminalAuthentication.certificatesToSend([document.cvca, document.dv, document.terminal], trustPoints: trustPoints),
                terminalKey: document.terminalKey, chipIdentifier: TerminalAuthentication.chipIdentifier(paceChipPublicKey: outcome.chipPublicKey),
                terminalEphemeralKey: ephemeral)
            phase("TA")
        }
        let reader = ElementaryFileReader(secure, chunkSize: chunk)
        for number in access.files {
            contents[number] = try reader.read(ChipFileSystem.dataGroup(number), name: "DG\(number)")
            phase("DG\(number)")
        }
        let sod = try reader.read(ChipFileSystem.efSOD, name: "EF.SOD")
        phase("EF.SOD")
        let wall = durationSeconds(clock.now - start)
        let thread = threadCPUSeconds() - threadBefore
        let process = processCPUSeconds() - processBefore
        guard contents[1] == document.dg1, contents[2] == document.dg2, sod == document.sod,
              access == .bac || contents[3] == document.dg3 else {
            throw UsageError("\(access.title), chunk \(chunk): a file read back differs from the chip's")
        }
        return PassportRead(wall: wall, threadCPU: thread, processCPU: process, apdus: counting.commands,
                            responseBytes: counting.responseBytes, phases: phases)
    }

    // MARK: - The terminal's work without PC/SC

    /// Terminal CPU per APDU of `send` over a transport that replays the chip's answers: plain, or under the session
    /// of `mode` (the chip's answers computed beforehand with the chip side of secure messaging).
    static func replayMicro(_ mode: Mode, chunk: Int, document: Document, rounds: Int, sink: inout Int) throws -> Double {
        let count = 2_000
        let fileSize = document.dg2.count
        let keys: SecureMessagingKeys?
        switch mode {
        case .plain: keys = nil
        case .bac: keys = try SecureMessagingKeys(seed: Array(repeating: 0x11, count: 16), cipher: .tripleDES)
        case .pace: keys = try SecureMessagingKeys(seed: Array(repeating: 0x22, count: 16), cipher: .aes128)
        }
        func content(_ index: Int) -> [UInt8] {
            let command = readCommand(index, chunk: chunk, fileSize: fileSize)
            let offset = Int(command.p1) << 8 | Int(command.p2)
            return Array(document.dg2[offset..<(offset + chunk)])
        }
        var best = Double.infinity
        for _ in 0..<rounds {
            let transport: any CardTransport
            if let keys {
                var chip = try SecureMessaging(keys: keys)
                var terminal = try SecureMessaging(keys: keys)
                var responses: [[UInt8]] = []
                for index in 0..<count {
                    let protected = try terminal.protect(readCommand(index, chunk: chunk, fileSize: fileSize))
                    _ = try chip.unprotect(command: CommandAPDU(bytes: protected.encoded()))
                    let answer = try chip.protect(response: ResponseAPDU(data: content(index), statusWord: .success))
                    _ = try terminal.unprotect(answer, command: readCommand(index, chunk: chunk, fileSize: fileSize))
                    responses.append(answer.encoded)
                }
                transport = SecureMessagingTransport(ReplayTransport(responses), session: try SecureMessaging(keys: keys))
            } else {
                transport = ReplayTransport((0..<count).map { ResponseAPDU(data: content($0), statusWord: .success).encoded })
            }
            let before = threadCPUSeconds()
            for index in 0..<count {
                let response = try transport.send(readCommand(index, chunk: chunk, fileSize: fileSize))
                guard response.statusWord == .success, response.data.count == chunk else { throw UsageError("replay: \(response.statusWord)") }
                sink &+= Int(response.data[0])
            }
            best = min(best, (threadCPUSeconds() - before) / Double(count))
        }
        return best * 1e6
    }

    /// The per-call response buffer PCSCTransport.transmit had before 0d099bf (65,538 zero bytes), allocated and
    /// dropped: µs per call.
    static func bufferMicro(sink: inout Int) -> Double {
        var best = Double.infinity
        for _ in 0..<5 {
            let before = threadCPUSeconds()
            for _ in 0..<20_000 {
                let buffer = [UInt8](repeating: 0, count: 65_538)
                sink &+= Int(buffer[sink & 0xFFFF])
            }
            best = min(best, (threadCPUSeconds() - before) / 20_000)
        }
        return best * 1e6
    }

    // MARK: - The section

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let systemPCSCD = (try? runCommand("pgrep", ["-a", "pcscd"]))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        log("  pcscd processes before the run: \(systemPCSCD.isEmpty ? "none" : systemPCSCD)")
        let pcscd = try PrivatePCSCD.shared(keep: options.keep)
        log("  private pcscd (pid \(pcscd.pid)) in its own mount namespace, socket \(pcscd.socketPath), vpcd port \(pcscd.port)")

        let document = try Document(dg2Bytes: options.cardDG2Bytes, fingerBytes: options.cardFingerBytes)
        log("  files: DG1 \(document.dg1.count) B, DG2 \(document.dg2.count) B, DG3 \(document.dg3.count) B, EF.SOD \(document.sod.count) B")
        let context = try PCSCTransport.Context()

        var lines = [
            "## card: the virtual chip through pcscd (vpcd), epki's terminal against a raw SCardTransmit loop",
            "",
            "pcscd before the run: \(systemPCSCD.isEmpty ? "none running" : systemPCSCD); this run's own pcscd (pid \(pcscd.pid)) in a private mount namespace, vpcd on port \(pcscd.port).",
            "Files: DG1 \(document.dg1.count) B, DG2 \(document.dg2.count) B (one face), DG3 \(document.dg3.count) B (two finger records of \(options.cardFingerBytes) B images), EF.SOD \(document.sod.count) B (P-256 DS).",
        ]
        for link in options.cardLinks {
            log("  -- card link: \(link.title)")
            try context.waitForCard(in: reader, present: false, milliseconds: 10_000)
            let chip = try document.chip()
            let connection: any BenchmarkCardLink
            switch link {
            case .quickACK:
                let quick = try QuickACKLink(port: pcscd.port)
                quick.start(chip)
                connection = quick
            case .shipped:
                let shipped = try VPCDConnection(port: pcscd.port)
                shipped.start(chip)
                connection = shipped
            }
            defer { connection.stop() }
            try context.waitForCard(in: reader, milliseconds: 10_000)
            let pcsc = try PCSCTransport(context: context, reader: reader)
            defer { pcsc.disconnect() }
            log("  card in '\(reader)', ATR \(pcsc.atr.hexString)")
            lines += try measure(link, options, pcsc: pcsc, document: document, pcscd: pcscd, sink: &sink)
        }

        // The terminal's work per APDU without PC/SC.
        var micro: [String: Double] = [:]
        for chunk in options.cardChunks {
            for mode in Mode.allCases {
                micro["\(mode.rawValue)-\(chunk)"] = try replayMicro(mode, chunk: chunk, document: document, rounds: 5, sink: &sink)
            }
        }
        let buffer = bufferMicro(sink: &sink)
        lines += [
            "",
            "### The terminal's work per APDU without a reader (`send` over a transport replaying the chip's answers; best of 5 × 2,000; thread CPU)",
            "",
            "| APDUs | µs per APDU |",
            "|---|---:|",
        ]
        for chunk in options.cardChunks {
            for mode in Mode.allCases {
                lines.append("| \(mode.title), Le \(chunk) | \(String(format: "%.2f", micro["\(mode.rawValue)-\(chunk)"] ?? .nan)) |")
            }
        }
        lines.append("| (a response buffer of 65,538 zero bytes allocated and freed per call, as PCSCTransport.transmit did before 0d099bf) | \(String(format: "%.2f", buffer)) |")
        return lines.joined(separator: "\n")
    }

    /// The APDU loops and the passport reads with one card link.
    static func measure(_ link: Link, _ options: Options, pcsc: PCSCTransport, document: Document,
                        pcscd: PrivatePCSCD, sink: inout Int) throws -> [String] {
        // 1. APDU loops against the raw SCardTransmit loop.
        var error = [CChar](repeating: 0, count: 512)
        guard raw_pcsc_connect(reader, &error, error.count) == 1 else {
            throw UsageError("raw PC/SC side: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        let loops: [LoopRow]
        do {
            defer { raw_pcsc_disconnect() }
            loops = try runLoops(options, chunks: options.cardChunks, pcsc: pcsc, document: document, pcscd: pcscd, sink: &sink)
        }

        // 2. Whole-passport reads: one per round and kind over a slow link (a delayed ACK per command, as
        // VPCDConnection before c9292f0: about 20 round trips per second), else --card-reads.
        let slowLink = (loops.first.map { median($0.raw.map(\.perSecond)) } ?? 0) < 100
        let readsPerRound = slowLink ? 1 : options.cardReads
        if slowLink { log("  slow link (\(Int(median(loops[0].raw.map(\.perSecond)))) round trips/s): one passport read per round and kind") }
        struct ReadRow { let access: Access; let chunk: Int; var reads: [PassportRead] = [] }
        var reads: [ReadRow] = []
        for access in Access.allCases {
            for chunk in options.cardChunks {
                if !slowLink { _ = try readPassport(access, chunk: chunk, pcsc: pcsc, document: document) }  // warm-up
                reads.append(ReadRow(access: access, chunk: chunk))
            }
        }
        for round in 1...options.rounds {
            log("  passport reads, round \(round)/\(options.rounds): \(readsPerRound) of each")
            for index in reads.indices {
                for _ in 0..<readsPerRound {
                    reads[index].reads.append(try readPassport(reads[index].access, chunk: reads[index].chunk, pcsc: pcsc, document: document))
                }
            }
        }

        func f1(_ v: Double) -> String { String(format: "%.1f", v) }
        func f0(_ v: Double) -> String { String(format: "%.0f", v) }
        var lines = [
            "",
            "### Card link: \(link.title)",
            "",
            "#### APDU round trips: the same READ BINARY commands, raw C loop vs. epki (\(options.rounds) rounds; each round 5 raw and 5 epki slices of N/5 APDUs in turn on one session, the order alternating)",
            "",
            "Wall clock: round trips per second. CPU: the terminal thread (epki or the raw loop, with the pcsc-lite client under it), µs per APDU; the chip runs on another thread of this process and pcscd in another process, reported on their own.",
            "",
            "| APDUs | N | command / response bytes | raw APDU/s | epki APDU/s | epki / raw, median round (range) | wall time per APDU, epki − raw (median) | raw terminal CPU µs/APDU | epki terminal CPU µs/APDU | epki − raw terminal CPU, as share of the raw round trip | epki terminal CPU split: in PCSCTransport.transmit / the rest (diagnostic slices) | chip thread µs/APDU (raw / epki) | pcscd CPU µs/APDU (raw / epki) | terminal thread's minor page faults per APDU (raw / epki) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        var goalLines: [String] = []
        for row in loops {
            let ratios = zip(row.epki, row.raw).map { $0.perSecond / $1.perSecond }.sorted()
            let rawRate = median(row.raw.map(\.perSecond)), epkiRate = median(row.epki.map(\.perSecond))
            let wallExtra = median(zip(row.epki, row.raw).map { $0.micro($0.wall) - $1.micro($1.wall) })
            let rawCPU = median(row.raw.map { $0.micro($0.threadCPU) }), epkiCPU = median(row.epki.map { $0.micro($0.threadCPU) })
            let rawWall = median(row.raw.map { $0.micro($0.wall) })
            let chipRaw = median(row.raw.map { $0.micro($0.processCPU - $0.threadCPU) })
            let chipEPKI = median(row.epki.map { $0.micro($0.processCPU - $0.threadCPU) })
            // pcscd's CPU comes from /proc in 10 ms ticks: shown only when the slices add up to at least 0.2 s of it.
            func pcscdPerAPDU(_ slices: [Slice]) -> String {
                let total = slices.map(\.pcscdCPU).reduce(0, +)
                return total < 0.2 ? "—" : f1(total / Double(slices.map(\.apdus).reduce(0, +)) * 1e6)
            }
            let pcscdRaw = pcscdPerAPDU(row.raw), pcscdEPKI = pcscdPerAPDU(row.epki)
            let name = "\(row.mode.title), Le \(row.chunk)\(row.chunk > 256 ? " (extended)" : "")"
            let medianRatio = median(ratios)
            let overhead = (1 / medianRatio - 1) * 100
            lines.append("| \(name) | \(row.count) | \(row.requestBytes) / \(row.responseBytes) | \(f0(rawRate)) | \(f0(epkiRate)) | "
                + String(format: "%.3f (%.3f–%.3f)", medianRatio, ratios.first ?? .nan, ratios.last ?? .nan)
                + " | \(f1(wallExtra)) µs (\(String(format: "%+.1f", overhead)) %) | \(f1(rawCPU)) | \(f1(epkiCPU)) | "
                + "\(f1(epkiCPU - rawCPU)) µs = \(String(format: "%.1f", (epkiCPU - rawCPU) / rawWall * 100)) % | \(f1(median(row.inside))) / \(f1(median(row.outside))) | \(f1(chipRaw)) / \(f1(chipEPKI)) | \(pcscdRaw) / \(pcscdEPKI) | "
                + String(format: "%.2f / %.2f", Double(row.raw.map(\.faults).reduce(0, +)) / Double(row.raw.map(\.apdus).reduce(0, +)),
                         Double(row.epki.map(\.faults).reduce(0, +)) / Double(row.epki.map(\.apdus).reduce(0, +))) + " |")
            if row.mode != .plain {
                goalLines.append("  \(name): epki's time per round trip \(String(format: "%+.1f", overhead)) % over raw (median round) → \(overhead <= 10 ? "met" : "NOT met"); terminal CPU \(f1(epkiCPU)) vs. \(f1(rawCPU)) µs per APDU (\(String(format: "%.2f", epkiCPU / rawCPU))×)")
            }
        }
        lines += ["", "Goal: the terminal's own overhead with secure messaging ≤ 10 % over the raw loop (wall time per round trip):"] + goalLines
        lines += [
            "",
            "#### Whole-passport reads (\(options.rounds) rounds × \(readsPerRound) reads of each; medians over all \(options.rounds * readsPerRound))",
            "",
            "Each read starts from the previous session's end (a plain SELECT ends secure messaging on the chip) and reads the files with `ElementaryFileReader(chunkSize:)`; the CA key is given, DG14 not read; TA reads EF.CVCA first. CPU: the terminal thread, and the whole process (terminal + chip).",
            "",
            "| Access | files | chunk | APDUs | bytes received | wall ms, median (min–max) | terminal CPU ms | process CPU ms (terminal + chip) | phases: wall ms (APDUs; terminal / chip CPU ms), medians |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in reads {
            let walls = row.reads.map { $0.wall * 1e3 }
            let phaseNames = row.reads[0].phases.map(\.name)
            let phaseText = phaseNames.enumerated().map { index, name in
                String(format: "%@ %.1f (%d; %.1f / %.1f)", name, median(row.reads.map { $0.phases[index].wall * 1e3 }),
                       row.reads[0].phases[index].apdus, median(row.reads.map { $0.phases[index].terminal * 1e3 }),
                       median(row.reads.map { $0.phases[index].chip * 1e3 }))
            }.joined(separator: " · ")
            let files = (row.access.files.map { "DG\($0)" } + ["EF.SOD"]).joined(separator: ", ")
            lines.append("| \(row.access.title) | \(files) | \(row.chunk) | \(row.reads[0].apdus) | \(row.reads[0].responseBytes) | "
                + String(format: "%.1f (%.1f–%.1f)", median(walls), walls.min() ?? .nan, walls.max() ?? .nan)
                + " | \(String(format: "%.1f", median(row.reads.map { $0.threadCPU * 1e3 }))) | \(String(format: "%.1f", median(row.reads.map { $0.processCPU * 1e3 }))) | \(phaseText) |")
        }
        return lines
    }
}

/// What stops the chip's connection to vpcd: VPCDConnection, or the benchmark's QuickACKLink.
protocol BenchmarkCardLink: AnyObject { func stop() }
extension VPCDConnection: BenchmarkCardLink {}
