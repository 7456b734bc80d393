import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The shared store: connections to a PostgreSQL server, used synchronously, one thread at a time each.
///
/// The repositories are synchronous (they run inside SQLite transactions on the embedded default), so each call
/// waits on PostgresNIO's future on the calling thread. The connections' event loops are the engine's own, never
/// the HTTP server's, so a wait can never block the loop it waits for.
///
/// Write transactions take a transaction-scoped advisory lock first: writers are serialized across every node, as
/// SQLite serializes them in one file. That keeps the invariants the repositories were written for (the next serial
/// number, the next CRL number, the audit chain's next link read and written in one transaction) true when several
/// nodes write at once, at the cost of write concurrency, which the benchmarks measure.
final class PostgresEngine: @unchecked Sendable {
    let location: PostgresLocation
    /// The advisory lock of this store's writers: one per schema, so stores in other schemas do not wait.
    let writeLock: Int64
    private let lock = NSLock()
    private var idle: [PostgresSession] = []
    private var nextID = 0
    private var closed = false
    private static let idleLimit = 8
    static let logger: Logger = {
        var logger = Logger(label: "epki.store.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// The engine's event loops, shared by every PostgreSQL store of the process.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    init(location: PostgresLocation) {
        self.location = location
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the schema's name
        for byte in (location.schema ?? "public").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        writeLock = Int64(bitPattern: hash)
    }

    deinit {
        for session in idle { session.close() }
    }

    func close() {
        lock.lock()
        let sessions = idle
        idle = []
        closed = true
        lock.unlock()
        for session in sessions { session.close() }
    }

    /// Runs `body` on a connection of the pool, made when none is idle. A connection that failed is not reused.
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let session = try acquire()
        do {
            let result = try body(session)
            release(session)
            return result
        } catch {
            release(session)
            throw error
        }
    }

    private func acquire() throws -> PostgresSession {
        lock.lock()
        if let session = idle.popLast() {
            lock.unlock()
            return session
        }
        nextID += 1
        let id = nextID
        lock.unlock()
        return try connect(id: id)
    }

    private func release(_ session: PostgresSession) {
        guard !session.isBroken else {
            session.close()
            return
        }
        lock.lock()
        if !closed, idle.count < Self.idleLimit {
            idle.append(session)
            lock.unlock()
        } else {
            lock.unlock()
            session.close()
        }
    }

    /// One transaction on a pooled connection: `begin`'s statements, `body`, COMMIT; ROLLBACK when anything throws.
    /// A connection that broke on the way is dropped with every idle one (a failover takes them all).
    func transaction<T>(begin: [String], _ body: (Database) throws -> T) throws -> T {
        try withSession { session in
            do {
                for statement in begin { try session.run(statement, []) }
                let result = try body(Database(.postgres(session)))
                try session.run("COMMIT", [])
                return result
            } catch {
                if session.isBroken {
                    dropIdleConnections()
                } else {
                    try? session.run("ROLLBACK", [])
                }
                throw error
            }
        }
    }

    /// Drops every idle connection: after a failover they point at a server that is gone or read-only.
    func dropIdleConnections() {
        lock.lock()
        let sessions = idle
        idle = []
        lock.unlock()
        for session in sessions { session.close() }
    }

    /// libpq's sslmode in NIOSSL's terms: `require` encrypts without checking whom it talks to (as libpq's does),
    /// `verify-full` checks the chain against sslrootcert and the host name against the certificate.
    private func tlsConfiguration() throws -> PostgresConnection.Configuration.TLS {
        switch location.tls {
        case .disable:
            return .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(location.rootCertificatePath ?? "")
                configuration.trustRoots = .certificates(roots)
                return .require(try NIOSSLContext(configuration: configuration))
            } catch {
                throw StoreError(.cannotOpen, "cannot read sslrootcert '\(location.rootCertificatePath ?? "")' for the store \(location): \(error)")
            }
        }
    }

    /// Connects to the first host that answers and, unless any server will do, accepts writes.
    private func connect(id: Int) throws -> PostgresSession {
        var failures: [String] = []
        let tls = try tlsConfiguration()
        for host in location.hosts {
            var configuration = PostgresConnection.Configuration(host: host.name, port: host.port, username: location.user,
                                                                 password: location.password, database: location.database, tls: tls)
            configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
            configuration.options.additionalStartupParameters = [("application_name", location.applicationName)]
            let connection: PostgresConnection
            do {
                connection = try PostgresConnection.connect(on: Self.eventLoops.next(), configuration: configuration, id: id,
                                                            logger: Self.logger).blockingResult()
            } catch {
                failures.append("\(host.name):\(host.port): \(PostgresSession.describe(error))")
                continue
            }
            let session = PostgresSession(connection: connection)
            do {
                if location.requiresWritable {
                    let readOnly = try session.query("SHOW transaction_read_only", []).first.map { $0["transaction_read_only"] as String } ?? "on"
                    guard readOnly == "off" else {
                        failures.append("\(host.name):\(host.port): the server is read-only (a standby in recovery)")
                        session.close()
                        continue
                    }
                }
                if let schema = location.schema {
                    try session.run("SET search_path TO \(quoted(schema))", [])
                }
                return session
            } catch {
                failures.append("\(host.name):\(host.port): \(PostgresSession.describe(error))")
                session.close()
            }
        }
        throw StoreError(.cannotOpen, "cannot reach a \(location.requiresWritable ? "writable " : "")PostgreSQL server for the store "
            + "\(location): " + failures.joined(separator: "; "))
    }
}

/// One PostgreSQL connection, used by one thread at a time.
final class PostgresSession {
    let connection: PostgresConnection
    private(set) var lastChanges = 0
    private(set) var isBroken = false
    private var translations: [String: String] = [:]

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    func close() {
        _ = try? connection.close().blockingResult()
    }

    /// `?` placeholders become `$1`, `$2`…, outside quoted text; the result is remembered per connection.
    func translate(_ sql: String) -> String {
        if let known = translations[sql] { return known }
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        if translations.count < 512 { translations[sql] = result }
        return result
    }

    /// Runs SQL whose rows are not wanted. Without arguments, several statements separated by `;` run at once
    /// (the simple query protocol); otherwise one statement with bound values.
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws {
        let sql = sql.range(of: "CREATE TABLE", options: .caseInsensitive) != nil ? PostgresDialect.schema(sql) : sql
        if arguments.isEmpty, sql.contains(";") {
            // PostgresNIO speaks the extended protocol only, one statement per message.
            for statement in PostgresDialect.statements(sql) { try run(statement, []) }
        } else {
            try run(translate(sql), arguments)
        }
    }

    /// Runs translated SQL, keeping the number of rows it changed.
    func run(_ sql: String, _ arguments: [DatabaseValue]) throws {
        let result = try guarded(sql) { try connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.binds(arguments)), logger: PostgresEngine.logger).blockingResult(closing: connection.closeFuture) }
        lastChanges = result.metadata.rows ?? 0
    }

    /// Runs translated SQL and returns its rows.
    func query(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row] {
        let result = try guarded(sql) { try connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.binds(arguments)), logger: PostgresEngine.logger).blockingResult(closing: connection.closeFuture) }
        lastChanges = result.metadata.rows ?? 0
        guard let first = result.rows.first else { return [] }
        let columns = RowColumns(first.map(\.columnName))
        return try result.rows.map { row in
            var values: [DatabaseValue] = []
            values.reserveCapacity(columns.names.count)
            for cell in row { values.append(try Self.value(cell)) }
            return Row(columns: columns, values: values)
        }
    }

    func lastValue() throws -> Int64 {
        guard let row = try query("SELECT lastval()", []).first else {
            throw StoreError(.databaseError, "the store failed: PostgreSQL returned no lastval()")
        }
        return row[0]
    }

    private func guarded<T>(_ sql: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PSQLError {
            if error.code != .server { isBroken = true }
            let statement = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            throw StoreError(.databaseError, "the store failed: \(Self.describe(error)) in: \(statement.prefix(160))")
        } catch let error as StoreError {
            if connection.isClosed { isBroken = true }
            throw error
        } catch {
            isBroken = true
            throw StoreError(.databaseError, "the store failed: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                var text = info[.message] ?? "PostgreSQL error"
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " (PostgreSQL SQLSTATE \(state))" }
                return text
            }
            return "PostgreSQL connection: \(error.code)" + (error.underlying.map { " (\($0))" } ?? "")
        }
        return "\(error)"
    }

    static func binds(_ arguments: [DatabaseValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .double(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return binds
    }

    static func value(_ cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2:
            return .integer(try cell.decode(Int64.self))
        case .float8, .float4:
            return .double(try cell.decode(Double.self))
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readableBytesView))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            if decimal == decimal.rounded(), let integer = Int64(exactly: NSDecimalNumber(decimal: decimal).int64Value),
               Decimal(integer) == decimal {
                return .integer(integer)
            }
            return .double(NSDecimalNumber(decimal: decimal).doubleValue)
        default:
            return .text(try cell.decode(String.self))
        }
    }
}

private extension Decimal {
    func rounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}

/// The few migrations written as SQLite DDL, spoken in PostgreSQL's: its types, and an `id INTEGER PRIMARY KEY`
/// (SQLite's row id) as an identity column.
enum PostgresDialect {
    /// SQL text split at each `;` outside quotes and `$$` bodies, without empty statements.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var inDollarBody = false
        var previous: Character?
        for character in sql {
            if inDollarBody {
                current.append(character)
                if character == "$", previous == "$" { inDollarBody = false; previous = nil; continue }
            } else if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == "$", previous == "$" {
                current.append(character)
                inDollarBody = true
                previous = nil
                continue
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    static func schema(_ sql: String) -> String {
        var text = sql
        let replacements: [(String, String)] = [
            (#"\bid\s+INTEGER\s+PRIMARY\s+KEY\b(\s+AUTOINCREMENT)?"#, "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
            (#"\bINTEGER\b"#, "BIGINT"),
            (#"\bBLOB\b"#, "BYTEA"),
            (#"\bREAL\b"#, "DOUBLE PRECISION"),
            (#"\)\s*WITHOUT\s+ROWID"#, ")"),
        ]
        for (pattern, replacement) in replacements {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: [.regularExpression, .caseInsensitive])
        }
        return text
    }
}

extension EventLoopFuture {
    /// The future's value, the calling thread blocked until it arrives. Not NIO's `wait()`: the HTTP services call the
    /// store from their own event loops (as they call SQLite), which `wait()` refuses; the future here completes on
    /// the engine's own event loops, never the caller's, so blocking cannot hold up the loop it waits for.
    ///
    /// With `closing` (the connection's close future): a query whose connection is gone fails a second after it went,
    /// whether or not PostgresNIO completes its promise. Seen when the primary was killed mid-query: the socket was
    /// gone, the promise never completed, and a writer waited for ever.
    func blockingResult(closing: EventLoopFuture<Void>? = nil) throws -> Value {
        let box = ResultBox<Value>()
        whenComplete { result in box.set(result) }
        closing?.whenComplete { _ in box.connectionClosed() }
        return try box.wait()
    }
}

/// One result handed from an event loop to a waiting thread.
private final class ResultBox<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?
    private var closedAt: Date?

    func set(_ result: Result<Value, any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    func connectionClosed() {
        condition.lock()
        closedAt = Date()
        condition.broadcast()
        condition.unlock()
    }

    func wait() throws -> Value {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return try result.get() }
            if let closedAt {
                if Date().timeIntervalSince(closedAt) >= 1 {
                    throw StoreError(.databaseError, "the store failed: the connection to PostgreSQL was lost during the statement")
                }
                _ = condition.wait(until: Date().addingTimeInterval(0.1))
            } else {
                condition.wait()
            }
        }
    }
}
