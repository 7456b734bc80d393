import Foundation
import GRDB

/// One connection inside one transaction (or one read), whichever engine the store runs on.
///
/// Repositories write their SQL once, with `?` placeholders, in the dialect both engines read: standard SQL plus
/// `ON CONFLICT … DO NOTHING/UPDATE`, `LIMIT`, and `rowid` (which the PostgreSQL schema adds to every table without
/// an integer key, so that "in insertion order" means the same on both). The few places that need an engine's own
/// features (SQLite's C API for a million CRL entries) ask `engine`.
public final class Database {
    public enum Engine: String, Sendable {
        case sqlite
        case postgres
    }

    enum Connection {
        case sqlite(GRDB.Database)
        case postgres(PostgresSession)
    }

    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    public var engine: Engine {
        switch connection {
        case .sqlite: return .sqlite
        case .postgres: return .postgres
        }
    }

    /// The SQLite connection, for the C API (nil on PostgreSQL).
    public var sqliteConnection: OpaquePointer? {
        if case .sqlite(let db) = connection { return db.sqliteConnection }
        return nil
    }

    /// Runs SQL that returns no rows. Without arguments it may hold several statements separated by `;`.
    public func execute(sql: String, arguments: StatementArguments = []) throws {
        switch connection {
        case .sqlite(let db):
            try db.execute(sql: sql, arguments: GRDBBridge.arguments(arguments))
        case .postgres(let session):
            try session.execute(sql, arguments.values)
        }
    }

    /// The row id the last INSERT made (SQLite's `last_insert_rowid()`, PostgreSQL's `lastval()`).
    public var lastInsertedRowID: Int64 {
        get throws {
            switch connection {
            case .sqlite(let db): return db.lastInsertedRowID
            case .postgres(let session): return try session.lastValue()
            }
        }
    }

    /// The rows the last INSERT, UPDATE or DELETE changed.
    public var changesCount: Int {
        switch connection {
        case .sqlite(let db): return db.changesCount
        case .postgres(let session): return session.lastChanges
        }
    }

    /// A statement prepared once per connection and reused (SQLite); PostgreSQL keeps its text.
    public func cachedStatement(sql: String) throws -> Statement {
        switch connection {
        case .sqlite(let db): return Statement(database: self, kind: .sqlite(try db.cachedStatement(sql: sql)))
        case .postgres(let session): return Statement(database: self, kind: .postgres(session.translate(sql)))
        }
    }

    public func makeStatement(sql: String) throws -> Statement {
        switch connection {
        case .sqlite(let db): return Statement(database: self, kind: .sqlite(try db.makeStatement(sql: sql)))
        case .postgres(let session): return Statement(database: self, kind: .postgres(session.translate(sql)))
        }
    }

    // MARK: Rows

    func fetchRows(sql: String, arguments: StatementArguments) throws -> [Row] {
        switch connection {
        case .sqlite(let db):
            return try GRDBBridge.rows(try db.cachedStatement(sql: sql), arguments)
        case .postgres(let session):
            return try session.query(session.translate(sql), arguments.values)
        }
    }

    func fetchFirstRow(sql: String, arguments: StatementArguments) throws -> Row? {
        switch connection {
        case .sqlite(let db):
            return try GRDBBridge.firstRow(try db.cachedStatement(sql: sql), arguments)
        case .postgres(let session):
            return try session.query(session.translate(sql), arguments.values).first
        }
    }

    func cursor(sql: String, arguments: StatementArguments) throws -> RowCursor {
        switch connection {
        case .sqlite(let db):
            return try GRDBBridge.cursor(try db.makeStatement(sql: sql), arguments)
        case .postgres(let session):
            var rows = try session.query(session.translate(sql), arguments.values).makeIterator()
            return RowCursor { rows.next() }
        }
    }

    func fetchRows(statement: Statement, arguments: StatementArguments) throws -> [Row] {
        switch statement.kind {
        case .sqlite(let prepared): return try GRDBBridge.rows(prepared, arguments)
        case .postgres(let sql): return try postgresSession().query(sql, arguments.values)
        }
    }

    func fetchFirstRow(statement: Statement, arguments: StatementArguments) throws -> Row? {
        switch statement.kind {
        case .sqlite(let prepared): return try GRDBBridge.firstRow(prepared, arguments)
        case .postgres(let sql): return try postgresSession().query(sql, arguments.values).first
        }
    }

    func cursor(statement: Statement, arguments: StatementArguments) throws -> RowCursor {
        switch statement.kind {
        case .sqlite(let prepared):
            return try GRDBBridge.cursor(prepared, arguments)
        case .postgres(let sql):
            var rows = try postgresSession().query(sql, arguments.values).makeIterator()
            return RowCursor { rows.next() }
        }
    }

    func execute(statement: Statement, arguments: StatementArguments) throws {
        switch statement.kind {
        case .sqlite(let prepared): try prepared.execute(arguments: GRDBBridge.arguments(arguments))
        case .postgres(let sql): try postgresSession().run(sql, arguments.values)
        }
    }

    private func postgresSession() throws -> PostgresSession {
        guard case .postgres(let session) = connection else {
            throw StoreError(.databaseError, "a PostgreSQL statement was run on a SQLite connection")
        }
        return session
    }
}

/// A statement of one connection, run many times with different arguments.
public final class Statement {
    enum Kind {
        case sqlite(GRDB.Statement)
        /// The SQL with `$n` placeholders.
        case postgres(String)
    }

    let database: Database
    let kind: Kind

    init(database: Database, kind: Kind) {
        self.database = database
        self.kind = kind
    }

    public func execute(arguments: StatementArguments = []) throws {
        try database.execute(statement: self, arguments: arguments)
    }
}

/// Converts between the store's values and GRDB's.
enum GRDBBridge {
    static func value(_ value: Store.DatabaseValue) -> GRDB.DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let value): return grdb(value)
        case .double(let value): return grdb(value)
        case .text(let value): return grdb(value)
        case .blob(let value): return grdb(value)
        }
    }

    /// Through GRDB's own protocol: the store's `DatabaseValueConvertible` has a `databaseValue` of its own.
    private static func grdb(_ value: any GRDB.DatabaseValueConvertible) -> GRDB.DatabaseValue {
        value.databaseValue
    }

    static func value(_ value: GRDB.DatabaseValue) -> Store.DatabaseValue {
        switch value.storage {
        case .null: return .null
        case .int64(let value): return .integer(value)
        case .double(let value): return .double(value)
        case .string(let value): return .text(value)
        case .blob(let value): return .blob(value)
        }
    }

    static func arguments(_ arguments: StatementArguments) -> GRDB.StatementArguments {
        GRDB.StatementArguments(arguments.values.map { Self.value($0) })
    }

    static func rows(_ statement: GRDB.Statement, _ arguments: StatementArguments) throws -> [Row] {
        let columns = RowColumns(statement.columnNames)
        let cursor = try GRDB.Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var rows: [Row] = []
        while let row = try cursor.next() {
            rows.append(Row(columns: columns, values: row.databaseValues.map { Self.value($0) }))
        }
        return rows
    }

    static func firstRow(_ statement: GRDB.Statement, _ arguments: StatementArguments) throws -> Row? {
        let columns = RowColumns(statement.columnNames)
        let cursor = try GRDB.Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        guard let row = try cursor.next() else { return nil }
        return Row(columns: columns, values: row.databaseValues.map { Self.value($0) })
    }

    static func cursor(_ statement: GRDB.Statement, _ arguments: StatementArguments) throws -> RowCursor {
        let columns = RowColumns(statement.columnNames)
        let cursor = try GRDB.Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        return RowCursor {
            guard let row = try cursor.next() else { return nil }
            return Row(columns: columns, values: row.databaseValues.map { Self.value($0) })
        }
    }
}
