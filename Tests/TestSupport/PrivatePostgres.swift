import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 cluster of the test's own (Debian's `postgresql-15`): `initdb` in a temporary directory, a free
/// port on 127.0.0.1, its unix socket in that directory, `trust` for local and loopback connections (nobody else can
/// reach it), the superuser `epki`, fsync on. psql, pg_basebackup and pg_ctl — programs nobody here wrote — drive it.
///
/// PostgreSQL refuses to run as root, and CI runs as root: then every server program (initdb, postgres, pg_ctl,
/// pg_basebackup) runs as `nobody` through util-linux's `setpriv` (Essential on Debian, so always there), in a
/// directory chowned to it. The clients (psql, pg_isready) run as the test's own user.
///
/// libfaketime: the suite runs again a year and five years ahead with libfaketime preloaded, which every child
/// inherits. A postmaster started under it was seen to log some lines a year ahead and others (from processes it
/// forked) on the real clock, and to keep `faketime`'s wrapper waiting after it should have exited. The server is
/// another machine as far as epki is concerned, so its programs and the clients run without libfaketime: LD_PRELOAD
/// and FAKETIME* are taken out of their environment (as for pcscd and slapd). The database's `now()` is therefore the
/// machine's real time while the test process's clock is shifted.
public final class PrivatePostgres: @unchecked Sendable {
    /// Where Debian puts PostgreSQL 15's programs (not on PATH: /usr/bin has only postgresql-common's wrappers).
    public static let binDirectory = "/usr/lib/postgresql/15/bin"
    /// The cluster's superuser (created by `initdb -U`).
    public static let superuser = "epki"

    /// Whether PostgreSQL 15's server and client programs are installed (scripts/setup.sh installs them).
    public static let available: Bool = ["initdb", "pg_ctl", "postgres", "psql", "pg_basebackup", "pg_isready"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: "\(binDirectory)/\($0)") }

    /// The temporary directory: `data/` (the cluster), the unix socket, `server.log`.
    public let directory: URL
    public let dataDirectory: URL
    public let port: UInt16
    public var socketDirectory: String { directory.path }
    public var logPath: String { directory.appendingPathComponent("server.log").path }

    /// `postgres://epki@127.0.0.1:PORT/postgres`
    public var url: String { url(database: "postgres") }

    public func url(database: String) -> String {
        "postgres://\(Self.superuser)@127.0.0.1:\(port)/\(database)"
    }

    private let lock = NSLock()
    /// The shell that runs the postmaster and watches the test process (see `launch`); nil when stopped.
    private var server: Subprocess?

    private init(directory: URL, port: UInt16) {
        self.directory = directory
        self.dataDirectory = directory.appendingPathComponent("data")
        self.port = port
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Starting

    /// A fresh cluster, started and accepting connections. `name` labels its temporary directory.
    public static func start(name: String = "postgres") throws -> PrivatePostgres {
        try start(name: name, settings: [])
    }

    static func start(name: String, settings: [String]) throws -> PrivatePostgres {
        try requireInstalled()
        var lastError: any Error = TestFailure("no attempt made")
        // A port found free can be taken before the postmaster binds it: then another port, a few times.
        for _ in 0..<3 {
            let cluster = PrivatePostgres(directory: try makeDirectory(name), port: try freePort())
            do {
                try cluster.initialize(settings: settings)
                try cluster.launch()
                return cluster
            } catch {
                lastError = error
                let log = (try? String(contentsOfFile: cluster.logPath, encoding: .utf8)) ?? ""
                guard log.contains("could not bind") || log.contains("Address already in use") else { throw error }
            }
        }
        throw lastError
    }

    /// A primary and a hot standby streaming from it (pg_basebackup -R, a replication slot, application_name
    /// `standby1`). With `synchronous`, the primary names the standby in `synchronous_standby_names` with
    /// `synchronous_commit = on`, so a commit returns only once the standby has flushed it; this returns when the
    /// primary reports the standby as `sync` (else as `streaming`).
    public static func startReplicated(synchronous: Bool) throws -> (primary: PrivatePostgres, standby: PrivatePostgres) {
        var settings = ["wal_level = replica", "max_wal_senders = 5", "max_replication_slots = 5", "hot_standby = on"]
        if synchronous {
            settings += ["synchronous_standby_names = 'standby1'", "synchronous_commit = on"]
        }
        let primary = try start(name: "postgres-primary", settings: settings)
        let standby = try makeStandby(of: primary)
        let expected = synchronous ? "sync" : "async"
        try primary.waitFor("standby1 replicating as \(expected)", seconds: 30) {
            let state = try primary.psql(
                "SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")
            return state == "streaming \(expected)"
        }
        return (primary, standby)
    }

    private static func makeStandby(of primary: PrivatePostgres) throws -> PrivatePostgres {
        var lastError: any Error = TestFailure("no attempt made")
        for attempt in 0..<3 {
            let standby = PrivatePostgres(directory: try makeDirectory("postgres-standby"), port: try freePort())
            do {
                // The slot keeps the primary's WAL until the standby has it; dropped first on a retry.
                if attempt > 0 { _ = try? primary.psql("SELECT pg_drop_replication_slot('standby1')") }
                try standby.runServerProgram("pg_basebackup", [
                    "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", superuser, "-D", standby.dataDirectory.path,
                    "-X", "stream", "-c", "fast", "-R", "-C", "-S", "standby1",
                ])
                // The copy carries the primary's postgresql.conf: the standby gets its own port and socket, and no
                // synchronous standby of its own (else, once promoted, every commit would wait for a `standby1`
                // that is not there). The connection to the primary names it `standby1` (written last, it overrides
                // the primary_conninfo that -R wrote).
                try standby.appendSettings([
                    "port = \(standby.port)",
                    "unix_socket_directories = '\(standby.socketDirectory)'",
                    "synchronous_standby_names = ''",
                ], to: "postgresql.conf")
                try standby.appendSettings([
                    "primary_conninfo = 'host=127.0.0.1 port=\(primary.port) user=\(superuser) application_name=standby1'",
                ], to: "postgresql.auto.conf")
                try standby.launch()
                return standby
            } catch {
                lastError = error
                let log = (try? String(contentsOfFile: standby.logPath, encoding: .utf8)) ?? ""
                guard log.contains("could not bind") || log.contains("Address already in use") else { throw error }
            }
        }
        throw lastError
    }

    private static func requireInstalled() throws {
        guard available else {
            throw TestFailure("PostgreSQL 15 is not installed (\(binDirectory)/initdb, psql, pg_basebackup …): the test needs the Debian packages postgresql and postgresql-client (scripts/setup.sh installs them)")
        }
    }

    /// Runs initdb and writes the cluster's settings and pg_hba.conf.
    private func initialize(settings: [String]) throws {
        try runServerProgram("initdb", [
            "-D", dataDirectory.path, "-U", Self.superuser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        ])
        try appendSettings([
            "listen_addresses = '127.0.0.1'",
            "port = \(port)",
            "unix_socket_directories = '\(socketDirectory)'",
            // Durability is under test: the defaults, said out loud.
            "fsync = on",
            "synchronous_commit = on",
            "full_page_writes = on",
            // Small: a test may run several clusters at once on a small machine.
            "shared_buffers = 32MB",
            "max_connections = 100",
            "logging_collector = off",
        ] + settings, to: "postgresql.conf")
        // Only this machine's loopback and socket reach the cluster; no password.
        try writeOwned("""
            # private test cluster (epki TestSupport): trust on the unix socket and 127.0.0.1 only
            local   all             all                     trust
            host    all             all     127.0.0.1/32    trust
            local   replication     all                     trust
            host    replication     all     127.0.0.1/32    trust

            """, dataDirectory.appendingPathComponent("pg_hba.conf"))
    }

    /// Starts the postmaster and waits (at most 30 s) until `pg_isready` says it accepts connections.
    ///
    /// The postmaster runs in the foreground under a small shell that also watches the test process: a test
    /// process that exits runs no deinit, and a crash no atexit, so the shell asks the postmaster for a fast
    /// shutdown (SIGINT) once the test process is gone. The shell runs as the test's user (so it may signal
    /// both); only the postmaster is `nobody` when that user is root.
    private func launch() throws {
        let command = Self.asServerUser(["\(Self.binDirectory)/postgres", "-D", dataDirectory.path])
        let quoted = command.map(Self.shellQuoted).joined(separator: " ")
        let script = """
            exec >>\(Self.shellQuoted(logPath)) 2>&1
            \(quoted) & P=$!
            trap 'kill -INT $P 2>/dev/null' TERM
            while [ -d /proc/\(getpid()) ] && kill -0 $P 2>/dev/null; do sleep 0.2; done
            kill -INT $P 2>/dev/null; wait $P
            """
        let process = try Subprocess("/bin/sh", ["-c", script], environment: Self.environment, currentDirectory: directory.path)
        lock.withLock { server = process }
        do {
            try waitFor("the server accepting connections", seconds: 30) {
                guard process.isRunning else { throw TestFailure("the postmaster exited") }
                return try self.run("pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(self.port)", "-U", Self.superuser, "-d", "postgres", "-t", "2"]).status == 0
            }
        } catch {
            if process.isRunning {
                process.signal(SIGTERM)
                process.wait()
            }
            lock.withLock { server = nil }
            throw TestFailure("PostgreSQL did not start on port \(port) (\(error)); the end of \(logPath):\n\(logTail())")
        }
    }

    // MARK: Using

    /// Runs `sql` (one statement or several) with psql as the superuser; returns what psql printed, unaligned and
    /// without headers or command tags (`-Atq`), trimmed. A failed statement stops psql and throws with its message.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let file = directory.appendingPathComponent("psql-\(UUID().uuidString).sql")
        try TestSupport.write(sql, file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run("psql", [
            "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser,
            "-d", database, "-f", file.path,
        ])
        guard result.status == 0 else {
            throw TestFailure("psql on port \(port) exited \(result.status) for \(sql): \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func createDatabase(_ name: String) throws {
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try psql("CREATE DATABASE \(quoted)")
    }

    /// Whether the postmaster runs (as far as this object knows: `kill` and `stop` end it).
    public var isRunning: Bool { lock.withLock { server?.isRunning ?? false } }

    // MARK: Stopping, crashing, restarting, promoting

    /// A fast shutdown (`pg_ctl stop -m fast`: sessions are ended, a checkpoint is written). Does nothing when the
    /// server is not running. The data directory stays (see `restart`); deinit removes it.
    public func stop() {
        guard let process = lock.withLock({ server }) else { return }
        if process.isRunning {
            _ = try? runServerProgram("pg_ctl", ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-t", "30"])
            if process.isRunning { process.signal(SIGTERM) }
        }
        process.wait()
        lock.withLock { server = nil }
    }

    /// A crash: SIGKILL to the postmaster (its pid from postmaster.pid), then to every process it had started, as
    /// a power cut would leave them; returns once they are all gone. Nothing is written: what survives is what
    /// PostgreSQL had flushed.
    public func kill() throws {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let line = text.split(separator: "\n").first, let postmaster = pid_t(line.trimmingCharacters(in: .whitespaces)) else {
            throw TestFailure("no postmaster.pid in \(dataDirectory.path): the server is not running")
        }
        let children = Self.children(of: postmaster)
        Glibc.kill(postmaster, SIGKILL)
        for child in children { Glibc.kill(child, SIGKILL) }
        try waitFor("the killed server's processes to end", seconds: 10) {
            ([postmaster] + children).allSatisfy { !Self.isAlive($0) }
        }
        if let process = lock.withLock({ server }) { process.wait() }
        lock.withLock { server = nil }
    }

    /// Stops the server if it runs (fast) and starts it again on the same port and data; after `kill`, this is
    /// crash recovery.
    public func restart() throws {
        stop()
        try launch()
    }

    /// Promotes a standby (`pg_ctl promote`) and waits until it is out of recovery (`pg_is_in_recovery()` false).
    public func promote() throws {
        try runServerProgram("pg_ctl", ["promote", "-D", dataDirectory.path, "-w", "-t", "30"])
        try waitFor("promotion", seconds: 30) { try self.psql("SELECT pg_is_in_recovery()") == "f" }
    }

    // MARK: Helpers

    /// The environment of every PostgreSQL program: the test's own without libfaketime (see above) and without the
    /// PG* variables of libpq, which could point a client elsewhere.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            $0.key != "LD_PRELOAD" && !$0.key.hasPrefix("FAKETIME") && !$0.key.hasPrefix("PG")
        }
        environment["LC_ALL"] = "C.UTF-8"
        return environment
    }

    /// Turns TLS on with this certificate and key (PEM files), and, with `only`, accepts TCP connections over TLS
    /// only (`hostssl` lines; the unix socket stays for psql): a client that connects at all then spoke TLS.
    public func enableTLS(certificate: URL, key: URL, only: Bool = true) throws {
        for (source, name) in [(certificate, "server.crt"), (key, "server.key")] {
            let target = dataDirectory.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: source, to: target)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
            if let user = Self.serverUser { chown(target.path, user.uid, user.gid) }
        }
        if only {
            let hba = dataDirectory.appendingPathComponent("pg_hba.conf")
            try Data("""
                local all all trust
                hostssl all all 127.0.0.1/32 trust
                hostssl replication all 127.0.0.1/32 trust

                """.utf8).write(to: hba)
            if let user = Self.serverUser { chown(hba.path, user.uid, user.gid) }
        }
        try psql("""
            ALTER SYSTEM SET ssl = on;
            ALTER SYSTEM SET ssl_cert_file = 'server.crt';
            ALTER SYSTEM SET ssl_key_file = 'server.key';
            SELECT pg_reload_conf();
            """)
        // The reload is asynchronous: wait until the server says TLS is on.
        let deadline = Date().addingTimeInterval(10)
        while try psql("SHOW ssl").trimmingCharacters(in: .whitespacesAndNewlines) != "on" {
            guard Date() < deadline else { throw TestFailure("PostgreSQL did not turn TLS on: \(logTail())") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The user the server programs run as: `nobody` when the test runs as root (initdb and postgres refuse root),
    /// else the test's own user (nil).
    static let serverUser: (uid: uid_t, gid: gid_t)? = {
        guard getuid() == 0 else { return nil }
        guard let entry = getpwnam("nobody") else { return (65534, 65534) }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }()

    static func asServerUser(_ command: [String]) -> [String] {
        guard let user = serverUser else { return command }
        return ["/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"] + command
    }

    /// A fresh directory for a cluster, owned by the server user. As root it is made under /tmp (sticky, open to
    /// all), since `nobody` cannot reach into a root-only TMPDIR.
    static func makeDirectory(_ label: String) throws -> URL {
        let base = serverUser == nil ? FileManager.default.temporaryDirectory : URL(fileURLWithPath: "/tmp")
        let url = base.appendingPathComponent("epki-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let user = serverUser, chown(url.path, user.uid, user.gid) != 0 {
            throw TestFailure("cannot give \(url.path) to nobody: \(String(cString: strerror(errno)))")
        }
        return url
    }

    /// Runs a server program (initdb, pg_ctl, pg_basebackup) as the server user; throws with its output on failure.
    @discardableResult
    func runServerProgram(_ program: String, _ arguments: [String]) throws -> TestSupport.ProcessResult {
        let command = Self.asServerUser(["\(Self.binDirectory)/\(program)"] + arguments)
        let result = try Self.capture(command[0], Array(command.dropFirst()), in: directory.path)
        guard result.status == 0 else {
            throw TestFailure("\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result
    }

    /// Runs a client program (psql, pg_isready) as the test's user.
    func run(_ program: String, _ arguments: [String]) throws -> TestSupport.ProcessResult {
        try Self.capture("\(Self.binDirectory)/\(program)", arguments, in: directory.path)
    }

    static func capture(_ path: String, _ arguments: [String], in directory: String) throws -> TestSupport.ProcessResult {
        // Output goes through files (a chatty program never blocks on a pipe), readable by the test's user only.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("epki-pg-run-\(UUID().uuidString)").path
        let (out, err) = (scratch + ".out", scratch + ".err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let child = try Subprocess(path, arguments, environment: environment, currentDirectory: directory,
                                   standardOutput: out, standardError: err)
        let status = child.wait()
        let stdout = FileManager.default.contents(atPath: out) ?? Data()
        let stderr = FileManager.default.contents(atPath: err) ?? Data()
        return TestSupport.ProcessResult(status: status, stdout: String(decoding: stdout, as: UTF8.self),
                                         stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Appends settings to a file of the data directory (a later line wins over an earlier one).
    func appendSettings(_ lines: [String], to file: String) throws {
        let url = dataDirectory.appendingPathComponent(file)
        let existing = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        try writeOwned(existing + "\n# epki TestSupport.PrivatePostgres\n" + lines.joined(separator: "\n") + "\n", url)
    }

    /// Writes a file the server reads, owned by the server user and readable by it only.
    func writeOwned(_ text: String, _ url: URL) throws {
        try TestSupport.write(text, url)
        chmod(url.path, 0o600)
        if let user = Self.serverUser { chown(url.path, user.uid, user.gid) }
    }

    /// Polls `condition` every 50 ms until it holds, for at most `seconds`; a thrown error ends the wait at once.
    func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        // The wall clock may be shifted by libfaketime, but by a constant: a deadline from it still measures seconds.
        let deadline = Date().addingTimeInterval(seconds)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if try condition() { return }
                lastError = nil
            } catch let failure as TestFailure where failure.description == "the postmaster exited" {
                throw failure
            } catch {
                lastError = error   // psql may fail while the server is still coming up; try again
            }
            usleep(50_000)
        }
        throw TestFailure("timed out after \(Int(seconds)) s waiting for \(what) on port \(port)" + (lastError.map { ": \($0)" } ?? ""))
    }

    /// The last 30 lines of the server log.
    public func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// A TCP port nothing listens on or is bound to (on any address).
    static func freePort() throws -> UInt16 {
        for _ in 0..<50 {
            let candidate = UInt16.random(in: 20_000...60_000)
            if PrivatePCSCD.isFree(candidate) { return candidate }
        }
        throw TestFailure("no free TCP port found for PostgreSQL")
    }

    /// The processes whose parent is `pid` (from /proc).
    static func children(of pid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { parent(of: $0) == pid }
    }

    /// A process's parent and state from /proc/PID/stat ("pid (comm) state ppid …"; comm may hold spaces).
    static func stat(of pid: pid_t) -> (state: Character, parent: pid_t)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (state, parent)
    }

    static func parent(of pid: pid_t) -> pid_t? { stat(of: pid)?.parent }

    /// Alive: present and not a zombie (a killed child of a reaper that never reaps still has its /proc entry).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let state = stat(of: pid)?.state else { return false }
        return state != "Z" && state != "X"
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
