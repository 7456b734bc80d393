import Foundation
import PKICore

/// One result row: its values, by position and by column name (case-insensitive, as both engines' unquoted names
/// are; PostgreSQL folds `AS revokedAt` to lower case).
public struct Row: Sendable, Equatable, CustomStringConvertible {
    let columns: RowColumns
    public let values: [DatabaseValue]

    init(columns: RowColumns, values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    public var columnNames: [String] { columns.names }
    public var count: Int { values.count }

    public func hasColumn(_ name: String) -> Bool { columns.index(of: name) != nil }

    /// The value of a column the query selects. Our own schema is read here, so a missing column or a value that
    /// does not convert (NULL into a non-optional) is a programming error, reported with the column's name.
    public subscript<Value: DatabaseValueConvertible>(_ name: String) -> Value {
        guard let index = columns.index(of: name) else {
            preconditionFailure("the store's row has no column '\(name)' (it has \(columns.names.joined(separator: ", ")))")
        }
        return self[index]
    }

    public subscript<Value: DatabaseValueConvertible>(_ index: Int) -> Value {
        guard let value = Value.fromDatabaseValue(values[index]) else {
            preconditionFailure("the store's column '\(columns.names[index])' holds \(values[index]), which is not a \(Value.self)")
        }
        return value
    }

    /// The raw value of a column, NULL when the row has no such column.
    public func databaseValue(_ name: String) -> DatabaseValue {
        columns.index(of: name).map { values[$0] } ?? .null
    }

    /// `[name:value …]`, for messages and for comparing a table's rows as text.
    public var description: String {
        "[" + zip(columns.names, values).map { name, value in
            switch value {
            case .null: return "\(name):NULL"
            case .integer(let value): return "\(name):\(value)"
            case .double(let value): return "\(name):\(value)"
            case .text(let value): return "\(name):\(String(reflecting: value))"
            // A table lookup per byte: String(format:) per byte made comparing a store's tables (BadInputTableTests) take seconds.
            case .blob(let value): return "\(name):x'\(value.hexString.lowercased())'"
            }
        }.joined(separator: " ") + "]"
    }

    public static func == (lhs: Row, rhs: Row) -> Bool {
        lhs.values == rhs.values && lhs.columns.names == rhs.columns.names
    }
}

/// The column names of a result, shared by its rows.
final class RowColumns: Sendable {
    let names: [String]
    private let positions: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name.lowercased()] == nil {
            positions[name.lowercased()] = index
        }
        self.positions = positions
    }

    func index(of name: String) -> Int? {
        if let index = positions[name] { return index }
        return positions[name.lowercased()]
    }
}

/// Rows one at a time: SQLite steps its statement; PostgreSQL's result has arrived whole.
public final class RowCursor {
    private let nextRow: () throws -> Row?

    init(_ next: @escaping () throws -> Row?) {
        nextRow = next
    }

    public func next() throws -> Row? { try nextRow() }
}

extension Row {
    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try db.fetchRows(sql: sql, arguments: arguments)
    }

    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Row? {
        try db.fetchFirstRow(sql: sql, arguments: arguments)
    }

    public static func fetchCursor(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> RowCursor {
        try db.cursor(sql: sql, arguments: arguments)
    }

    public static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Row] {
        try statement.database.fetchRows(statement: statement, arguments: arguments)
    }

    public static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Row? {
        try statement.database.fetchFirstRow(statement: statement, arguments: arguments)
    }

    public static func fetchCursor(_ statement: Statement, arguments: StatementArguments = []) throws -> RowCursor {
        try statement.database.cursor(statement: statement, arguments: arguments)
    }
}

extension DatabaseValueConvertible {
    /// The first column of the first row; nil when there is no row or the value is NULL.
    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        guard let row = try db.fetchFirstRow(sql: sql, arguments: arguments), row.count > 0 else { return nil }
        return fromDatabaseValue(row.values[0])
    }

    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try db.fetchRows(sql: sql, arguments: arguments).compactMap { $0.count > 0 ? fromDatabaseValue($0.values[0]) : nil }
    }

    public static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Self? {
        guard let row = try statement.database.fetchFirstRow(statement: statement, arguments: arguments), row.count > 0 else { return nil }
        return fromDatabaseValue(row.values[0])
    }

    public static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Self] {
        try statement.database.fetchRows(statement: statement, arguments: arguments).compactMap { $0.count > 0 ? fromDatabaseValue($0.values[0]) : nil }
    }
}
