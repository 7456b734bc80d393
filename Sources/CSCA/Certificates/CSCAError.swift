import PKICore
/// The CSCA module's error: a code and a reason naming the policy or field at fault.
public struct CSCAError: CodedError {
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

}

extension CSCAError: OperatorFacingError {}
