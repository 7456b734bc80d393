// Section `store` (issue 19): the two store engines side by side, in one run, on a private PostgreSQL 15 cluster that
// the section starts itself (initdb in a temporary directory, a free port on 127.0.0.1, trust on loopback, fsync and
// synchronous_commit on; as `nobody` through setpriv when run as root) and stops at the end.
//
//   1. DS issuance: CountrySigningCA.issueDocumentSigner(subject:key: .publicKey(…)) in a loop, as the csca section
//      does, by "nodes": child processes of this executable (`--only store-issue-node STORE DATADIR SECONDS`), each with
//      its own EPKIStore and its own connections, all on one data directory (the CSCA's encrypted key) and one table
//      location. SQLite, one node; PostgreSQL, one node; PostgreSQL, two nodes issuing at once under the same CSCA;
//      and, to measure what the commit's flush costs, the two PostgreSQL cases again with synchronous_commit = off for
//      the database. While a PostgreSQL case runs, the server's pg_stat_activity is sampled every 10 ms for the nodes'
//      backends (application_name epki-node…): running, waiting for the advisory write lock, for the WAL flush, idle in
//      a transaction (waiting for the node's next statement), or idle (the node works outside a transaction).
//   2. POST /v1/pa/verify: the BorderControlService of `epki npkd serve` in child processes of this executable
//      (`--only store-pa-node STORE DATADIR`), on a NationalPKD set up as the npkd section's (a master list, a DS, its
//      CRL); `wrk -t1 -c16` against one node, or two `wrk -t1 -c8` at once against two nodes on the same store.
//   3. References in the same run: `openssl speed -elapsed ecdsap256` sign (issuance) and verify (PA) in every round,
//      as the csca and npkd sections; pgbench's own TPS on the same server (`pgbench -i`, then `pgbench -c 2 -j 2 -T 10`
//      select-only `-S` and the default TPC-B-like script) before and after the rounds; a one-statement round trip
//      (`SELECT 1` through pgbench, one connection) for the cost of one loopback round trip; and, from
//      pg_stat_statements, the statements each issuance and each PA request sends.

import CSCA
import Foundation
import LDS
import NPKD
import PKICore
import Store

enum StoreBenchmarks {
    static let passphrase = "store benchmark passphrase"
    static let pgbenchSeconds = 10

    // MARK: - The private cluster

    final class Cluster: @unchecked Sendable {
        static let bin = "/usr/lib/postgresql/15/bin"
        static let superuser = "epki"
        let directory: URL
        let port: Int
        var server: Process?

        var data: String { directory.appendingPathComponent("data").path }
        func url(_ database: String, application: String? = nil) -> String {
            "postgres://\(Self.superuser)@127.0.0.1:\(port)/\(database)" + (application.map { "?application_name=\($0)" } ?? "")
        }

        static var available: Bool {
            ["initdb", "postgres", "pg_ctl", "psql", "pg_isready"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(bin)/\($0)") }
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/pgbench")
        }

        /// The environment of the PostgreSQL programs: without libfaketime and libpq's PG* variables.
        static var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment.filter {
                $0.key != "LD_PRELOAD" && !$0.key.hasPrefix("FAKETIME") && !$0.key.hasPrefix("PG")
            }
            environment["LC_ALL"] = "C.UTF-8"
            return environment
        }

        /// PostgreSQL refuses root: then the server programs run as nobody.
        static func asServer(_ command: [String]) -> [String] {
            guard getuid() == 0 else { return command }
            let entry = getpwnam("nobody")
            let uid = entry?.pointee.pw_uid ?? 65534, gid = entry?.pointee.pw_gid ?? 65534
            return ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--"] + command
        }

        static func run(_ command: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        init() throws {
            // Under root the directory must be reachable by nobody: /tmp, not a root-only TMPDIR.
            let base = getuid() == 0 ? URL(fileURLWithPath: "/tmp") : FileManager.default.temporaryDirectory
            directory = base.appendingPathComponent("epki-bench-postgres-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if getuid() == 0, let entry = getpwnam("nobody") { chown(directory.path, entry.pointee.pw_uid, entry.pointee.pw_gid) }
            port = try Self.freePort()
            let initdb = try Self.run(Self.asServer(["\(Self.bin)/initdb", "-D", data, "-U", Self.superuser, "-A", "trust", "-E", "UTF8",
                                                     "--locale=C.UTF-8", "--no-instructions"]))
            guard initdb.status == 0 else { throw UsageError("initdb failed: \(initdb.output)") }
            // The server's defaults for durability, said out loud; pg_stat_statements to count each operation's statements.
            let settings = """

                # epki benchmarks, section store
                listen_addresses = '127.0.0.1'
                port = \(port)
                unix_socket_directories = '\(directory.path)'
                fsync = on
                synchronous_commit = on
                full_page_writes = on
                max_connections = 100
                logging_collector = off
                shared_preload_libraries = 'pg_stat_statements'
                pg_stat_statements.track_utility = on

                """
            let conf = URL(fileURLWithPath: data).appendingPathComponent("postgresql.conf")
            let handle = try FileHandle(forWritingTo: conf)
            handle.seekToEndOfFile()
            handle.write(Data(settings.utf8))
            try handle.close()
            try """
                local all all trust
                host all all 127.0.0.1/32 trust

                """.write(to: URL(fileURLWithPath: data).appendingPathComponent("pg_hba.conf"), atomically: false, encoding: .utf8)

            // The postmaster in the foreground under a shell that stops it (fast shutdown) once this process is gone.
            let command = Self.asServer(["\(Self.bin)/postgres", "-D", data]).map { "'" + $0 + "'" }.joined(separator: " ")
            let log = directory.appendingPathComponent("server.log").path
            let script = """
                exec >>'\(log)' 2>&1
                \(command) & P=$!
                trap 'kill -INT $P 2>/dev/null' TERM
                while [ -d /proc/\(getpid()) ] && kill -0 $P 2>/dev/null; do sleep 0.2; done
                kill -INT $P 2>/dev/null; wait $P
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.environment = Self.environment
            process.currentDirectoryURL = directory
            try process.run()
            server = process
            for _ in 0..<600 {
                if try Self.run(["\(Self.bin)/pg_isready", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, "-d", "postgres"]).status == 0 {
                    return
                }
                guard process.isRunning else { break }
                usleep(50_000)
            }
            let tail = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw UsageError("the private PostgreSQL did not start on port \(port):\n\(tail.suffix(2000))")
        }

        @discardableResult
        func psql(_ sql: String, database: String = "postgres") throws -> String {
            let result = try Self.run(["\(Self.bin)/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                                       "-U", Self.superuser, "-d", database, "-c", sql])
            guard result.status == 0 else { throw UsageError("psql: \(sql): \(result.output)") }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// psql in the background (the wait sampler); its output once it ends.
        func psqlInBackground(_ sql: String, database: String) throws -> () -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "\(Self.bin)/psql")
            process.arguments = ["-X", "-A", "-t", "-q", "-F", "\t", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, "-d", database, "-c", sql]
            process.environment = Self.environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            return {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return String(decoding: data, as: UTF8.self)
            }
        }

        func pgbench(_ arguments: [String], database: String = "pgbench") throws -> String {
            let result = try Self.run(["/usr/bin/pgbench", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser] + arguments + [database])
            guard result.status == 0 else { throw UsageError("pgbench \(arguments.joined(separator: " ")): \(result.output)") }
            return result.output
        }

        func stop(keep: Bool) {
            if let server, server.isRunning {
                _ = try? Self.run(Self.asServer(["\(Self.bin)/pg_ctl", "stop", "-D", data, "-m", "fast", "-w", "-t", "30"]))
                if server.isRunning { server.terminate() }
                server.waitUntilExit()
            }
            server = nil
            if keep { log("  kept the PostgreSQL cluster in \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
        }

        static func freePort() throws -> Int {
            for _ in 0..<50 {
                let candidate = Int.random(in: 20_000...60_000)
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(candidate).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if bound == 0 { return candidate }
            }
            throw UsageError("no free TCP port for PostgreSQL")
        }
    }

    /// pgbench's "tps = N (without initial connection time)".
    static func tps(_ output: String) throws -> Double {
        for line in output.split(separator: "\n") where line.hasPrefix("tps = ") {
            if let value = line.split(separator: " ").dropFirst(2).first.flatMap({ Double($0) }) { return value }
        }
        throw UsageError("no tps line in the pgbench output:\n\(output)")
    }

    /// pgbench's "latency average = N ms".
    static func latency(_ output: String) -> Double? {
        for line in output.split(separator: "\n") where line.hasPrefix("latency average = ") {
            return line.split(separator: " ").dropFirst(3).first.flatMap { Double($0) }
        }
        return nil
    }

    // MARK: - Nodes (child processes of this executable)

    static func location(_ store: String) throws -> StoreLocation {
        store == "sqlite" ? .sqlite(path: nil) : try StoreLocation(store)
    }

    /// Writes a line to stdout unbuffered (the parent reads it through a pipe).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// `--only store-issue-node STORE DATADIR SECONDS`: opens the store and the CSCA, issues one DS certificate (the
    /// key decrypted, the connections made), says READY, waits for a line on stdin, issues for SECONDS, says RESULT.
    static func childIssue(store: String, directory: String, seconds: Double) throws {
        let epki = try EPKIStore(directory: URL(fileURLWithPath: directory), migrations: CountrySigningCA.migrations, create: false,
                                 location: location(store))
        let ca = try CountrySigningCA(store: epki, domain: CSCABenchmarks.domain,
                                      keys: SoftwareKeyProvider(store: epki, passphrase: Passphrase(passphrase)))
        let subject = try DistinguishedName(parsing: CSCABenchmarks.dsSubject)
        let keys = try (0..<32).map { _ in try PrivateKey.generate(.ec(.p256, parameters: .explicit)).publicKey }
        _ = try ca.issueDocumentSigner(subject: subject, key: .publicKey(keys[0]))
        say("READY")
        _ = readLine()
        let clock = ContinuousClock()
        let cpu = processCPUSeconds()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var issued = 0
        var bytes = 0
        repeat {
            bytes &+= try ca.issueDocumentSigner(subject: subject, key: .publicKey(keys[issued & 31])).certificate.encoded.count
            issued += 1
        } while clock.now < end
        let elapsed = durationSeconds(clock.now - start)
        say("RESULT issued=\(issued) seconds=\(elapsed) cpu=\(processCPUSeconds() - cpu) bytes=\(bytes)")
    }

    /// `--only store-pa-node STORE DATADIR`: the border control service on 127.0.0.1, an ephemeral port; says PORT, and
    /// serves until its stdin closes.
    static func childPA(store: String, directory: String) throws {
        let epki = try EPKIStore(directory: URL(fileURLWithPath: directory), migrations: CountrySigningCA.migrations + NationalPKD.migrations,
                                 create: false, location: location(store))
        let service = BorderControlService(pkd: try NationalPKD(store: epki))
        Task.detached {
            do {
                try await service.run(host: "127.0.0.1", port: 0) { port in say("PORT \(port)") }
            } catch {
                say("FAILED \(error)")
            }
        }
        _ = FileHandle.standardInput.readDataToEndOfFile()
        say("CPU \(processCPUSeconds())")
        exit(0)
    }

    /// A child process of this executable, its stdin and stdout piped.
    final class Node {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        var buffer = ""

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// The next line on the child's stdout that starts with `prefix` (nil: it ended first).
        func line(startingWith prefix: String) -> String? {
            while true {
                while let newline = buffer.firstIndex(of: "\n") {
                    let line = String(buffer[..<newline])
                    buffer = String(buffer[buffer.index(after: newline)...])
                    if line.hasPrefix(prefix) { return line }
                    if line.hasPrefix("FAILED") { log("  node: \(line)") }
                }
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { return nil }
                buffer += String(decoding: data, as: UTF8.self)
            }
        }

        func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

        func finish() -> Int32 {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func fields(_ line: String) -> [String: Double] {
        var fields: [String: Double] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
        }
        return fields
    }

    /// Busy and total jiffies of the whole machine (/proc/stat, first line).
    static func machineJiffies() -> (busy: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let first = text.split(separator: "\n").first else { return (0, 0) }
        let values = first.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 5 else { return (0, 0) }
        let total = values.reduce(0, +)
        let idle = values[3] + values[4]  // idle + iowait
        return (total - idle, total)
    }

    /// CPU seconds (user + system) of one process, from /proc/PID/stat; with `children`, also those of its reaped children.
    static func processCPU(_ pid: Int32, children: Bool = false) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After "(comm)": state is field 3 of stat(5), so utime (14) is fields[11], stime [12], cutime [13], cstime [14].
        guard fields.count > 14 else { return 0 }
        let indices = children ? [11, 12, 13, 14] : [11, 12]
        return indices.compactMap { Double(fields[$0]) }.reduce(0, +) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of the whole PostgreSQL server: every `postgres` process, and the backends the postmaster reaped.
    static func serverCPU() -> Double {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var total = 0.0
        for entry in entries {
            guard let pid = Int32(entry), let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  text.contains("(postgres)") else { continue }
            total += processCPU(pid, children: true)
        }
        return total
    }

    /// The wait sampler: pg_stat_activity of the nodes' backends every 10 ms for `seconds`, counted by state.
    static let samplerFunction = """
        CREATE OR REPLACE FUNCTION epki_bench_waits(samples int) RETURNS TABLE(what text, n bigint) LANGUAGE plpgsql AS $$
        BEGIN
          CREATE TEMP TABLE IF NOT EXISTS epki_bench_sample(what text) ON COMMIT DROP;
          FOR i IN 1..samples LOOP
            PERFORM pg_stat_clear_snapshot();
            INSERT INTO epki_bench_sample
              SELECT CASE WHEN state = 'active' AND wait_event IS NULL THEN 'running'
                          WHEN state = 'active' THEN wait_event_type || ':' || wait_event
                          WHEN state = 'idle in transaction' AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
                            THEN 'idle in the write transaction (lock held)'
                          ELSE state END
              FROM pg_stat_activity a WHERE application_name LIKE 'epki-node%';
            INSERT INTO epki_bench_sample SELECT '#lock' FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1;
            INSERT INTO epki_bench_sample VALUES ('#samples');
            PERFORM pg_sleep(0.01);
          END LOOP;
          RETURN QUERY SELECT s.what, count(*) FROM epki_bench_sample s GROUP BY s.what ORDER BY 2 DESC;
        END $$
        """

    static func describeWaits(_ output: String) -> String {
        var counts: [(String, Double)] = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2, let n = Double(parts[1]) { counts.append((String(parts[0]), n)) }
        }
        let samples = counts.first { $0.0 == "#samples" }?.1 ?? 0
        let held = counts.first { $0.0 == "#lock" }?.1 ?? 0
        counts = counts.filter { !$0.0.hasPrefix("#") }
        let total = counts.map(\.1).reduce(0, +)
        guard total > 0, samples > 0 else { return "no samples" }
        return counts.map { "\($0.0) \(String(format: "%.0f", 100 * $0.1 / total)) %" }.joined(separator: ", ")
            + String(format: "; the write lock held in %.0f %% of %.0f samples", 100 * held / samples, samples)
    }

    struct IssueRun {
        var rate: Double
        var cpuPerIssuance: Double
        var machineBusy: Double
        var waits: String
        var issued: Int
        var serverCPUPerIssuance: Double
    }

    /// N issuing nodes at once on one store; the sum of their rates over the same window.
    static func issue(nodes: Int, store: (Int) -> String, directory: URL, seconds: Double, cluster: Cluster?, database: String) throws -> IssueRun {
        let children = try (1...nodes).map { index in
            try Node(["--only", "store-issue-node", store(index), directory.path, String(seconds)])
        }
        for child in children {
            guard child.line(startingWith: "READY") != nil else { throw UsageError("an issuing node did not start (status \(child.finish()))") }
        }
        let sampler = try cluster.map { try $0.psqlInBackground("SELECT * FROM epki_bench_waits(\(Int(seconds * 80)))", database: database) }
        let before = machineJiffies()
        let serverBefore = serverCPU()
        for child in children { child.send("GO") }
        var rate = 0.0, cpu = 0.0, issued = 0
        for child in children {
            guard let line = child.line(startingWith: "RESULT"), child.finish() == 0 else { throw UsageError("an issuing node failed") }
            let f = fields(line)
            rate += (f["issued"] ?? 0) / (f["seconds"] ?? 1)
            cpu += f["cpu"] ?? 0
            issued += Int(f["issued"] ?? 0)
        }
        let after = machineJiffies()
        let serverAfter = serverCPU()
        let waits = sampler.map { describeWaits($0()) } ?? "—"
        return IssueRun(rate: rate, cpuPerIssuance: cpu / Double(max(issued, 1)), machineBusy: (after.busy - before.busy) / max(after.total - before.total, 1),
                        waits: waits, issued: issued, serverCPUPerIssuance: cluster == nil ? .nan : (serverAfter - serverBefore) / Double(max(issued, 1)))
    }

    // MARK: - The section

    static func run(_ options: Options, sink: inout Int) throws -> String {
        guard Cluster.available else {
            return "## store\n\nPostgreSQL 15 (/usr/lib/postgresql/15/bin) or pgbench is not installed: section skipped."
        }
        let root = try temporaryDirectory("epki-bench-store")
        log("store: starting a private PostgreSQL 15")
        let cluster = try Cluster()
        defer {
            cluster.stop(keep: options.keep)
            if options.keep { log("  kept \(root.path)") } else { try? FileManager.default.removeItem(at: root) }
        }
        log("store: PostgreSQL on 127.0.0.1:\(cluster.port) (\(cluster.directory.path))")
        for database in ["epki", "npkd", "pgbench"] { try cluster.psql("CREATE DATABASE \(database)") }
        try cluster.psql("CREATE EXTENSION pg_stat_statements", database: "epki")
        try cluster.psql("CREATE EXTENSION pg_stat_statements", database: "npkd")
        try cluster.psql(samplerFunction, database: "epki")
        try cluster.psql(samplerFunction, database: "npkd")
        let serverVersion = try cluster.psql("SHOW server_version")

        // pgbench, before the rounds.
        log("store: pgbench -i, then -S and TPC-B-like, \(pgbenchSeconds) s each")
        _ = try cluster.pgbench(["-i", "-q"])
        func pgbenchRuns() throws -> (select: Double, tpcb: Double) {
            let select = try tps(cluster.pgbench(["-c", "2", "-j", "2", "-T", "\(pgbenchSeconds)", "-S"]))
            let tpcb = try tps(cluster.pgbench(["-c", "2", "-j", "2", "-T", "\(pgbenchSeconds)"]))
            return (select, tpcb)
        }
        let pgbenchBefore = try pgbenchRuns()
        // One statement, one connection: a loopback round trip with PostgreSQL's own client.
        let selectOne = root.appendingPathComponent("select1.sql")
        try "SELECT 1;\n".write(to: selectOne, atomically: true, encoding: .utf8)
        let roundTrip = try cluster.pgbench(["-c", "1", "-j", "1", "-T", "3", "-n", "-f", selectOne.path])
        let roundTripTPS = try tps(roundTrip)
        let roundTripTPSPrepared = try tps(cluster.pgbench(["-c", "1", "-j", "1", "-T", "3", "-n", "-M", "prepared", "-f", selectOne.path]))

        // The CSCA, once per engine: P-256 with explicit parameters (as the csca section), one data directory each.
        let sqliteDirectory = root.appendingPathComponent("csca-sqlite")
        let postgresDirectory = root.appendingPathComponent("csca-postgres")
        let postgresURL = cluster.url("epki")
        for (directory, location) in [(sqliteDirectory, StoreLocation.sqlite(path: nil)), (postgresDirectory, try StoreLocation(postgresURL))] {
            let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations, location: location)
            let ca = try CountrySigningCA(store: store, domain: CSCABenchmarks.domain,
                                          keys: SoftwareKeyProvider(store: store, passphrase: Passphrase(passphrase)))
            var policy = CSCAPolicy()
            policy.crlDistributionPoints = ["https://pkd.example/UT.crl"]
            let csca = try ca.initialize(subject: DistinguishedName(parsing: CSCABenchmarks.cscaSubject), key: .ec(.p256, parameters: .explicit), policy: policy)
            let first = try ca.issueDocumentSigner(subject: DistinguishedName(parsing: CSCABenchmarks.dsSubject),
                                                   key: .publicKey(PrivateKey.generate(.ec(.p256, parameters: .explicit)).publicKey)).certificate
            guard try first.isSignatureValid(issuerKey: csca.publicKey) else { throw UsageError("the DS certificate does not verify (\(location))") }
            store.close()
        }
        func dsCount(_ directory: URL, _ location: StoreLocation) throws -> Int {
            let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations, create: false, location: location)
            defer { store.close() }
            let ca = try CountrySigningCA(store: store, domain: CSCABenchmarks.domain,
                                          keys: SoftwareKeyProvider(store: store, passphrase: Passphrase(passphrase)))
            return try ca.certificates(kind: "ds").count
        }
        let countsBefore = (try dsCount(sqliteDirectory, .sqlite(path: nil)), try dsCount(postgresDirectory, try StoreLocation(postgresURL)))

        // The NPKD, once per engine, as the npkd section sets it up; the same objects in both.
        let country = try NPKDBenchmarks.Country()
        let list = try country.masterList()
        let ds = try country.documentSigner()
        let crl = try country.crl(number: 1)
        let npkdSQLite = root.appendingPathComponent("npkd-sqlite")
        let npkdPostgres = root.appendingPathComponent("npkd-postgres")
        let npkdURL = cluster.url("npkd")
        for (directory, location) in [(npkdSQLite, StoreLocation.sqlite(path: nil)), (npkdPostgres, try StoreLocation(npkdURL))] {
            let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations + NationalPKD.migrations, location: location)
            let pkd = try NationalPKD(store: store)
            _ = try pkd.importBytes(list.bytes, source: "ut.ml", options: ImportOptions(trustSigners: [list.signer]))
            _ = try pkd.importBytes(ds.certificate.derEncoded, source: "ds.der")
            _ = try pkd.importBytes(crl.derEncoded, source: "ut-1.crl")
            store.close()
        }
        let sodSigner = try SODSigner(signer: ds.key, documentSigner: ds.certificate, verifyAfterSigning: true)
        let dataGroups = try LDSBenchmarks.makeDataGroups(imageBytes: options.dg2ImageBytes)
        let sod = try sodSigner.sign(dataGroups: dataGroups).encode()
        var groups: [String: String] = [:]
        for (number, bytes) in dataGroups { groups[String(number)] = Data(bytes).base64EncodedString() }
        let body = try JSONSerialization.data(withJSONObject: ["sod": Data(sod).base64EncodedString(), "dataGroups": groups] as [String: Any])
        let bodyPath = root.appendingPathComponent("verify.json").path
        try body.write(to: URL(fileURLWithPath: bodyPath))
        let script = root.appendingPathComponent("post.lua").path
        try """
            local f = io.open("\(bodyPath)", "rb")
            local body = f:read("*a")
            f:close()
            wrk.method = "POST"
            wrk.body = body
            wrk.headers["Content-Type"] = "application/json"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let haveWRK = (try? runProcess("wrk", ["--version"]))?.output.contains("wrk") ?? false
        guard haveWRK else { throw UsageError("the store section needs wrk (apt-get install wrk)") }

        // Statements per operation (pg_stat_statements), from a short run of its own.
        func statements(database: String) throws -> (total: Double, top: [(String, Double)]) {
            let rows = try cluster.psql("""
                SELECT calls, regexp_replace(left(query, 90), '\\s+', ' ', 'g') FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = '\(database)' AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%epki_bench_waits%' ORDER BY calls DESC
                """, database: database)
            var top: [(String, Double)] = []
            var total = 0.0
            for line in rows.split(separator: "\n") {
                let parts = line.split(separator: "|", maxSplits: 1)
                guard parts.count == 2, let calls = Double(parts[0]) else { continue }
                total += calls
                top.append((String(parts[1]), calls))
            }
            return (total, top)
        }

        let seconds = Double(max(2, options.roundSeconds))
        let sqliteStore: (Int) -> String = { _ in "sqlite" }
        let postgresStore: (Int) -> String = { cluster.url("epki", application: "epki-node\($0)") }
        struct Case { let name: String; let nodes: Int; let postgres: Bool; let asynchronous: Bool }
        let issueCases = [
            Case(name: "SQLite, 1 node", nodes: 1, postgres: false, asynchronous: false),
            Case(name: "PostgreSQL, 1 node", nodes: 1, postgres: true, asynchronous: false),
            Case(name: "PostgreSQL, 2 nodes at once", nodes: 2, postgres: true, asynchronous: false),
            Case(name: "PostgreSQL, 1 node, synchronous_commit = off", nodes: 1, postgres: true, asynchronous: true),
            Case(name: "PostgreSQL, 2 nodes at once, synchronous_commit = off", nodes: 2, postgres: true, asynchronous: true),
        ]
        var issueRuns: [String: [IssueRun]] = [:]
        var sign: [Double] = []
        struct PACase { let name: String; let nodes: Int; let postgres: Bool }
        let paCases = [
            PACase(name: "SQLite, 1 node, wrk -c16", nodes: 1, postgres: false),
            PACase(name: "PostgreSQL, 1 node, wrk -c16", nodes: 1, postgres: true),
            PACase(name: "PostgreSQL, 2 nodes, wrk -c8 on each at once", nodes: 2, postgres: true),
        ]
        var paRates: [String: [Double]] = [:]
        var paBusy: [String: [Double]] = [:]
        var paWaits: [String: String] = [:]
        var paNodeCPU: [String: [Double]] = [:]
        var paServerCPU: [String: [Double]] = [:]
        var paLatency: [String: String] = [:]
        var verify: [Double] = []
        var paStatements: (Double, [(String, Double)])?
        var paRequestsForStatements = 0
        var issueStatements: (Double, [(String, Double)])?
        var issuedForStatements = 0

        for round in 1...options.rounds {
            log("store: round \(round)/\(options.rounds): openssl speed -elapsed ecdsap256, then issuance")
            let reference = try CoreBenchmarks.opensslRates(options, "ecdsap256", .ecdsa(bits: 256, label: "nistp256"), base: .wall)
            sign.append(reference.sign)
            verify.append(reference.verify)
            for item in issueCases {
                log("  issuance: \(item.name), \(Int(seconds)) s")
                if item.asynchronous { try cluster.psql("ALTER DATABASE epki SET synchronous_commit = off") }
                let countStatements = round == 1 && item.postgres && item.nodes == 1 && !item.asynchronous
                if countStatements { try cluster.psql("SELECT pg_stat_statements_reset()", database: "epki") }
                let result = try issue(nodes: item.nodes, store: item.postgres ? postgresStore : sqliteStore,
                                       directory: item.postgres ? postgresDirectory : sqliteDirectory, seconds: seconds,
                                       cluster: item.postgres ? cluster : nil, database: "epki")
                if countStatements {
                    issueStatements = try statements(database: "epki")
                    issuedForStatements = result.issued + 1  // and the node's warm-up issuance
                }
                if item.asynchronous { try cluster.psql("ALTER DATABASE epki RESET synchronous_commit") }
                issueRuns[item.name, default: []].append(result)
                sink &+= result.issued
            }
            log("store: round \(round)/\(options.rounds): POST /v1/pa/verify")
            for item in paCases {
                let nodes = try (1...item.nodes).map { index in
                    try Node(["--only", "store-pa-node", item.postgres ? cluster.url("npkd", application: "epki-node\(index)") : "sqlite",
                              (item.postgres ? npkdPostgres : npkdSQLite).path])
                }
                var urls: [String] = []
                for node in nodes {
                    guard let line = node.line(startingWith: "PORT "), let port = Int(line.dropFirst(5)) else {
                        throw UsageError("a PA node did not start (status \(node.finish()))")
                    }
                    let url = "http://127.0.0.1:\(port)/v1/pa/verify"
                    let check = try runProcess("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                                                        "--data-binary", "@\(bodyPath)", url])
                    guard check.output.hasSuffix("\n200"), check.output.contains("\"genuine\":true") || check.output.contains("\"genuine\" : true") else {
                        throw UsageError("POST /v1/pa/verify did not answer 200 genuine (\(item.name)): \(check.output.prefix(600))")
                    }
                    urls.append(url)
                }
                let countStatements = round == 1 && item.postgres && item.nodes == 1
                if countStatements { try cluster.psql("SELECT pg_stat_statements_reset()", database: "npkd") }
                log("  PA: \(item.name), \(Int(seconds)) s")
                let connections = 16 / item.nodes
                let sampler = item.postgres ? try cluster.psqlInBackground("SELECT * FROM epki_bench_waits(\(Int(seconds * 80)))", database: "npkd") : nil
                let before = machineJiffies()
                let nodeBefore = nodes.map { processCPU($0.process.processIdentifier) }.reduce(0, +)
                let serverBefore = item.postgres ? serverCPU() : 0
                let loads = try urls.map { url -> Process in
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["wrk", "-t1", "-c\(connections)", "-d\(Int(seconds))s", "--latency", "-s", script, url]
                    process.standardOutput = Pipe()
                    process.standardError = process.standardOutput
                    try process.run()
                    return process
                }
                var rate = 0.0, requests = 0
                var latencies: [String] = []
                for load in loads {
                    let output = String(decoding: (load.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    load.waitUntilExit()
                    let parsed = NPKDBenchmarks.parseWRK(output)
                    guard parsed.non2xx == 0, parsed.errors == 0, parsed.rate > 0 else { throw UsageError("wrk reported errors or non-2xx answers:\n\(output)") }
                    rate += parsed.rate
                    requests += parsed.requests
                    latencies.append("\(parsed.p50) / \(parsed.p99)")
                }
                let after = machineJiffies()
                let nodeAfter = nodes.map { processCPU($0.process.processIdentifier) }.reduce(0, +)
                let serverAfter = item.postgres ? serverCPU() : 0
                paNodeCPU[item.name, default: []].append((nodeAfter - nodeBefore) / Double(max(requests, 1)))
                paServerCPU[item.name, default: []].append(item.postgres ? (serverAfter - serverBefore) / Double(max(requests, 1)) : .nan)
                if let sampler { paWaits[item.name] = describeWaits(sampler()) }
                if countStatements {
                    paStatements = try statements(database: "npkd")
                    paRequestsForStatements = requests + 1  // and curl's check
                }
                for node in nodes { _ = node.finish() }
                paRates[item.name, default: []].append(rate)
                paBusy[item.name, default: []].append((after.busy - before.busy) / max(after.total - before.total, 1))
                if paRates[item.name]!.max() == rate { paLatency[item.name] = latencies.joined(separator: "; ") }
                sink &+= requests
            }
        }

        // Every issuance the nodes reported is a certificate in the store (and no more).
        let countsAfter = (try dsCount(sqliteDirectory, .sqlite(path: nil)), try dsCount(postgresDirectory, try StoreLocation(postgresURL)))
        let sqliteIssued = issueRuns.filter { !$0.key.hasPrefix("PostgreSQL") }.values.joined().map { $0.issued + 1 }.reduce(0, +)
        let postgresIssued = issueRuns.filter { $0.key.hasPrefix("PostgreSQL") }.values.joined()
            .map(\.issued).reduce(0, +) + issueCases.filter(\.postgres).map(\.nodes).reduce(0, +) * options.rounds
        guard countsAfter.0 - countsBefore.0 == sqliteIssued, countsAfter.1 - countsBefore.1 == postgresIssued else {
            throw UsageError("the stores hold \(countsAfter.0 - countsBefore.0) / \(countsAfter.1 - countsBefore.1) new DS certificates, the nodes reported \(sqliteIssued) / \(postgresIssued)")
        }

        log("store: pgbench again, after the rounds")
        let pgbenchAfter = try pgbenchRuns()
        let bestSelect = max(pgbenchBefore.select, pgbenchAfter.select)
        let bestTPCB = max(pgbenchBefore.tpcb, pgbenchAfter.tpcb)

        var rows: [Row] = []
        for item in issueCases {
            rows.append(Row(operation: "DS issuance, \(item.name)", epki: issueRuns[item.name]!.map(\.rate), openssl: sign, note: "vs. `openssl speed -elapsed ecdsap256` sign"))
        }
        for item in paCases {
            rows.append(Row(operation: "POST /v1/pa/verify, \(item.name)", epki: paRates[item.name]!, openssl: verify, note: "vs. `openssl speed -elapsed ecdsap256` verify"))
        }
        func percent(_ value: Double) -> String { String(format: "%.0f %%", 100 * value) }
        var lines = [
            "## store: SQLite against PostgreSQL, one node and two (issue 19)",
            "",
            "PostgreSQL \(serverVersion), private cluster on 127.0.0.1 (fsync, synchronous_commit and full_page_writes on; pg_stat_statements loaded). Each node is a child process of this executable with its own store and connections; the nodes of a case share one data directory (the CSCA's encrypted key) and one table location. \(options.rounds) rounds × \(Int(seconds)) s per case; `openssl speed -elapsed -seconds \(options.roundSeconds) ecdsap256` at the start of each round; best round of each side. Issuance: `CountrySigningCA.issueDocumentSigner(subject:key: .publicKey(…))` on one thread per node, P-256 CSCA with explicit parameters; two nodes' rates are summed over the same window. PA: the \(body.count)-byte request of the npkd section (P-256 DS, DG2 of \(options.dg2ImageBytes) B), `wrk -t1`; two nodes get half the connections each, at once.",
            "",
            table(rows, unit: "ops/s", reference: "OpenSSL"),
            "",
            "| Case | Best round | Per-round rates | Ratio to pgbench (best of before/after) | Node CPU per operation | PostgreSQL server CPU per operation | Machine CPU busy | PostgreSQL backends of the nodes, sampled every 10 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for item in issueCases {
            let runs = issueRuns[item.name]!
            let best = runs.max { $0.rate < $1.rate }!
            lines.append("| DS issuance, \(item.name) | \(format(best.rate))/s | \(runs.map { format($0.rate) }.joined(separator: ", ")) | \(String(format: "%.4f", best.rate / bestTPCB)) of TPC-B-like | \(String(format: "%.2f ms", best.cpuPerIssuance * 1e3)) | \(item.postgres ? String(format: "%.2f ms", best.serverCPUPerIssuance * 1e3) : "—") | \(percent(best.machineBusy)) | \(item.postgres ? best.waits : "—") |")
        }
        for item in paCases {
            let rates = paRates[item.name]!
            let index = rates.indices.max { rates[$0] < rates[$1] }!
            lines.append("| PA verify, \(item.name) (p50 / p99 \(paLatency[item.name] ?? "—")) | \(format(rates[index]))/s | \(rates.map(format).joined(separator: ", ")) | \(String(format: "%.3f", rates[index] / bestSelect)) of select-only | \(String(format: "%.3f ms", paNodeCPU[item.name]![index] * 1e3)) | \(item.postgres ? String(format: "%.3f ms", paServerCPU[item.name]![index] * 1e3) : "—") | \(percent(paBusy[item.name]![index])) | \(item.postgres ? (paWaits[item.name] ?? "—") : "—") |")
        }
        lines += [
            "",
            "| pgbench on the same server, `-c 2 -j 2 -T \(pgbenchSeconds)` (scale 1) | before the rounds | after |",
            "|---|---:|---:|",
            "| select-only (`-S`), TPS | \(format(pgbenchBefore.select)) | \(format(pgbenchAfter.select)) |",
            "| TPC-B-like (default script), TPS | \(format(pgbenchBefore.tpcb)) | \(format(pgbenchAfter.tpcb)) |",
            "| `SELECT 1`, 1 connection, 3 s: round trips/s, simple / prepared protocol | \(format(roundTripTPS)) / \(format(roundTripTPSPrepared)) (\(latency(roundTrip).map { String(format: "%.3f ms", $0) } ?? "—") each) | — |",
        ]
        if let (total, top) = issueStatements {
            lines += ["", "Statements per DS issuance on PostgreSQL (pg_stat_statements, round 1, 1 node, \(issuedForStatements) issuances incl. the warm-up; the node's opening statements included): **\(String(format: "%.1f", total / Double(issuedForStatements)))**. The most frequent:", ""]
            lines += top.prefix(12).map { "* \(String(format: "%.2f", $0.1 / Double(issuedForStatements))) × `\($0.0)`" }
        }
        if let (total, top) = paStatements {
            lines += ["", "Statements per `POST /v1/pa/verify` on PostgreSQL (round 1, 1 node, \(paRequestsForStatements) requests): **\(String(format: "%.2f", total / Double(paRequestsForStatements)))**. The most frequent:", ""]
            lines += top.prefix(8).map { "* \(String(format: "%.3f", $0.1 / Double(paRequestsForStatements))) × `\($0.0)`" }
        }
        return lines.joined(separator: "\n")
    }
}
