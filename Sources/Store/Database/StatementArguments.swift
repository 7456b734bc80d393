/// The values bound to a statement's `?` placeholders, in order.
public struct StatementArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [DatabaseValue]

    public init(arrayLiteral elements: (any DatabaseValueConvertible)?...) {
        values = elements.map { $0?.databaseValue ?? .null }
    }

    public init(_ elements: [(any DatabaseValueConvertible)?]) {
        values = elements.map { $0?.databaseValue ?? .null }
    }

    public init<S: Sequence>(_ elements: S) where S.Element: DatabaseValueConvertible {
        values = elements.map(\.databaseValue)
    }

    public init(values: [DatabaseValue]) {
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    public mutating func append(_ value: (any DatabaseValueConvertible)?) {
        values.append(value?.databaseValue ?? .null)
    }

    public mutating func append(contentsOf other: StatementArguments) {
        values.append(contentsOf: other.values)
    }

    public static func + (lhs: StatementArguments, rhs: StatementArguments) -> StatementArguments {
        StatementArguments(values: lhs.values + rhs.values)
    }

    public static func += (lhs: inout StatementArguments, rhs: StatementArguments) {
        lhs.values += rhs.values
    }
}
