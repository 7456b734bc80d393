/// What the one error type of every module shares: a code to match on and a reason that names the field, tag, file
/// or command at fault. Equality and hashing look at the code only, so code can ask "was it a wrong passphrase?"
/// without spelling out a message (tests assert the reason as well); the text is "code: reason".
public protocol CodedError: Error, Hashable, CustomStringConvertible, Sendable {
    associatedtype Code: Hashable & CustomStringConvertible & Sendable
    var code: Code { get }
    var reason: String { get }
}

extension CodedError {
    public var description: String { "\(code): \(reason)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
