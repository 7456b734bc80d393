import Foundation
import GRDB

/// The data directory: one SQLite database (WAL) for every domain, plus the encrypted software keys.
///
/// ```
/// <data-dir>/epki.sqlite     domains, audit trail, and each module's tables
/// <data-dir>/keys/<domain>/  encrypted PKCS#8 software keys
/// ```
/// Every logical operation is one `write` transaction: a crash leaves either all of it or none of it.
public final class EPKIStore: Sendable {
    public let directory: URL
    let pool: DatabasePool

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

    /// Opens the store in `directory`. With `create: false` (commands that only read) a directory without a database
    /// is refused and nothing is written: asking for a status must not leave an empty data directory behind.
    public init(directory: URL, migrations: [Migration] = [], create: Bool = true) throws {
        self.directory = directory
        if !create, !FileManager.default.fileExists(atPath: directory.appendingPathComponent("epki.sqlite").path) {
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
            pool = try DatabasePool(path: directory.appendingPathComponent("epki.sqlite").path, configuration: configuration)
            var migrator = DatabaseMigrator()
            for migration in Self.coreMigrations + AuditCheckpoints.migrations + Governance.migrations + migrations {
                migrator.registerMigration(migration.name, migrate: migration.apply)
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.cannotOpen, "cannot open the data directory \(directory.path): \(error)")
        }
    }

    /// One transaction: everything `body` writes is committed together, or rolled back when it throws.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.typed { try pool.write(body) }
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.typed { try pool.read(body) }
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
        try pool.unsafeRead(body)
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
