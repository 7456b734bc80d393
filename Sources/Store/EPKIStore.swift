import Foundation
import GRDB

/// The data directory and the database the store keeps its tables in.
///
/// ```
/// <data-dir>/epki.sqlite     domains, audit trail, and each module's tables (the embedded default)
/// <data-dir>/keys/<domain>/  encrypted PKCS#8 software keys
/// ```
/// With `EPKI_STORE=postgres://…` (or `--store`) the tables live in a shared PostgreSQL instead, where several
/// nodes work at once; the key directory stays the node's. Every logical operation is one `write` transaction on
/// either engine: a crash leaves either all of it or none of it.
public final class EPKIStore: Sendable {
    public let directory: URL
    let engine: Engine

    enum Engine: Sendable {
        case sqlite(DatabasePool)
        case postgres(PostgresEngine)
    }

    /// Which engine holds the tables.
    public var engineKind: Database.Engine {
        switch engine {
        case .sqlite: return .sqlite
        case .postgres: return .postgres
        }
    }

    /// Where the tables are, for messages: the SQLite file or the PostgreSQL URL without its password.
    public var locationDescription: String {
        switch engine {
        case .sqlite: return directory.appendingPathComponent("epki.sqlite").path
        case .postgres(let postgres): return postgres.location.description
        }
    }

    /// A module's schema change, applied once, in registration order.
    public struct Migration: Sendable {
        public let name: String
        public let apply: @Sendable (Database) throws -> Void

        public init(_ name: String, apply: @escaping @Sendable (Database) throws -> Void) {
            self.name = name
            self.apply = apply
        }
    }

    /// The data directory from `--data-dir`, else `EPKI_HOME`, else `./epki-data`.
    public static func defaultDirectory(_ explicit: String? = nil) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let home = ProcessInfo.processInfo.environment["EPKI_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        return URL(fileURLWithPath: "epki-data")
    }

    /// Opens the store in `directory`, its tables where `location` says (nil: `EPKI_STORE`, else the SQLite file in
    /// the directory). With `create: false` (commands that only read) a store that was never set up is refused
    /// and nothing is written: asking for a status must not leave an empty data directory behind.
    public init(directory: URL, migrations: [Migration] = [], create: Bool = true, location: StoreLocation? = nil) throws {
        self.directory = directory
        let location = try location ?? StoreLocation.fromEnvironment(directory: directory)
        let all = Self.coreMigrations + AuditCheckpoints.migrations + Governance.migrations + migrations
        switch location {
        case .sqlite(let path):
            engine = .sqlite(try Self.openSQLite(directory: directory, path: path, migrations: all, create: create))
        case .postgres(let postgresLocation, let testDirectorySchema):
            engine = .postgres(try Self.openPostgres(directory: directory, location: postgresLocation, testDirectorySchema: testDirectorySchema,
                                                     migrations: all, create: create))
        }
    }

    private static func openSQLite(directory: URL, path: String?, migrations: [Migration], create: Bool) throws -> DatabasePool {
        let file = path ?? directory.appendingPathComponent("epki.sqlite").path
        if !create, !FileManager.default.fileExists(atPath: file) {
            throw StoreError(.cannotOpen, "no epki data directory at \(directory.path): nothing has been set up there yet "
                + "(give --data-dir or EPKI_HOME, or create one with an init or import command)")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")  // an issued certificate survives a power cut
            }
            let pool = try DatabasePool(path: file, configuration: configuration)
            var migrator = DatabaseMigrator()
            for migration in migrations {
                migrator.registerMigration(migration.name) { db in try migration.apply(Database(.sqlite(db))) }
            }
            try migrator.migrate(pool)
            return pool
        } catch let error as StoreError {
            throw error
        } catch {
            // SQLite opens the database for writing even to read (the write-ahead log): say why that failed when
            // the reason is the directory's, not the database's.
            if access(directory.path, W_OK) != 0 {
                throw StoreError(.cannotOpen, "cannot open the data directory \(directory.path): it is not writable "
                    + "(\(String(cString: strerror(errno))); a file system mounted read-only or without space, or other owners); \(error)")
            }
            throw StoreError(.cannotOpen, "cannot open the data directory \(directory.path): \(error)")
        }
    }

    /// Opens the PostgreSQL store and brings its schema up to date. Migrations run under the writers' advisory
    /// lock, so nodes started together apply each one once.
    private static func openPostgres(directory: URL, location: PostgresLocation, testDirectorySchema: Bool, migrations: [Migration],
                                     create: Bool) throws -> PostgresEngine {
        var location = location
        let marker = directory.appendingPathComponent("epki.postgres-schema")
        var fresh = false
        if testDirectorySchema {
            // The test suite's mode: each data directory gets a schema of its own, made anew with the directory.
            if let existing = try? String(contentsOf: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
                location.schema = existing
            } else {
                guard create else {
                    throw StoreError(.cannotOpen, "no epki data directory at \(directory.path): nothing has been set up there yet "
                        + "(give --data-dir or EPKI_HOME, or create one with an init or import command)")
                }
                location.schema = "epki_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
                fresh = true
            }
        }
        let engine = PostgresEngine(location: location)
        let schema = location.schema
        try engine.withSession { session in
            try session.run("BEGIN", [])
            do {
                try session.run("SELECT pg_advisory_xact_lock(\(engine.writeLock))", [])
                if let schema {
                    try session.run("CREATE SCHEMA IF NOT EXISTS \(quoted(schema))", [])
                    try session.run("SET LOCAL search_path TO \(quoted(schema))", [])
                }
                let exists = try session.query("SELECT to_regclass('epki_migration') IS NOT NULL AS present", []).first.map { $0["present"] as Bool } ?? false
                if !exists {
                    guard create else {
                        throw StoreError(.cannotOpen, "no epki store in \(location): nothing has been set up there yet "
                            + "(create one with an init or import command, or `epki store migrate`)")
                    }
                    try session.run("CREATE TABLE epki_migration (identifier TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)", [])
                }
                let applied = Set(try session.query("SELECT identifier FROM epki_migration", []).map { $0["identifier"] as String })
                let db = Database(.postgres(session))
                for migration in migrations where !applied.contains(migration.name) {
                    try migration.apply(db)
                    try session.run("INSERT INTO epki_migration (identifier, applied_at) VALUES ($1, $2)",
                                    [.text(migration.name), .double(Date().timeIntervalSince1970)])
                }
                try session.run("COMMIT", [])
            } catch {
                try? session.run("ROLLBACK", [])
                throw error
            }
        }
        if fresh, let schema {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data((schema + "\n").utf8).write(to: marker)
        }
        return engine
    }

    /// One transaction: everything `body` writes is committed together, or rolled back when it throws.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        switch engine {
        case .sqlite(let pool):
            return try Self.typed { try pool.write { try body(Database(.sqlite($0))) } }
        case .postgres(let postgres):
            return try postgres.transaction(begin: ["BEGIN", "SELECT pg_advisory_xact_lock(\(postgres.writeLock))"], body)
        }
    }

    /// Reads on one snapshot.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        switch engine {
        case .sqlite(let pool):
            return try Self.typed { try pool.read { try body(Database(.sqlite($0))) } }
        case .postgres(let postgres):
            return try postgres.transaction(begin: ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"], body)
        }
    }

    /// SQLite's own failures (a full disk, a locked or damaged file, a constraint) become `StoreError.databaseError`
    /// naming SQLite's code and message, so that every caller reports them like any other typed error; errors the
    /// body throws itself pass unchanged.
    static func typed<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw StoreError(.databaseError, "the store failed: \(error.message ?? "SQLite error") (SQLite \(error.extendedResultCode))")
        }
    }

    /// A read made of exactly one SQL statement, without BEGIN and COMMIT around it: SQLite already runs a single
    /// statement on one snapshot, and the transaction doubled the cost of the border service's revocation look-up.
    /// Anything that reads twice must use `read`, which isolates the reads from concurrent writes.
    public func readSingleStatement<T>(_ body: (Database) throws -> T) throws -> T {
        switch engine {
        case .sqlite(let pool):
            return try Self.typed { try pool.unsafeRead { try body(Database(.sqlite($0))) } }
        case .postgres(let postgres):
            return try postgres.withSession { session in
                do {
                    return try body(Database(.postgres(session)))
                } catch {
                    if session.isBroken { postgres.dropIdleConnections() }
                    throw error
                }
            }
        }
    }

    /// Closes the PostgreSQL connections at once (SQLite's close when the store goes).
    public func close() {
        if case .postgres(let postgres) = engine { postgres.close() }
    }

    /// Where a domain's software keys live.
    public func keyDirectory(domain: String) throws -> URL {
        let url = directory.appendingPathComponent("keys").appendingPathComponent(domain)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    static let coreMigrations: [Migration] = [
        Migration("store-v1") { db in
            try db.create(table: "domain") { t in
                t.primaryKey("name", .text)
                t.column("created_at", .double).notNull()
                t.column("description", .text).notNull().defaults(to: "")
            }
            try db.create(table: "audit_entry") { t in
                t.column("domain", .text).notNull().references("domain", onDelete: .restrict)
                t.column("sequence", .integer).notNull()
                t.column("time", .double).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("details", .text).notNull()
                t.column("previous_hash", .text).notNull()
                t.column("hash", .text).notNull()
                t.primaryKey(["domain", "sequence"])
            }
        },
    ]
}
