import PKICore
/// The CSCA module's error: a code and a reason naming the policy or field at fault.
public struct CSCAError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let policyViolation = Code(name: "policyViolation")
        public static let malformedMasterList = Code(name: "malformedMasterList")
        public static let notInitialized = Code(name: "notInitialized")
        public static let requestRefused = Code(name: "requestRefused")
        public static let notFound = Code(name: "notFound")
        public static let lintFailed = Code(name: "lintFailed")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
    public static func == (lhs: CSCAError, rhs: CSCAError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension CSCAError: OperatorFacingError {}
