import PKICore
/// The store's error: a code and a reason naming the domain, table or entry at fault.
public struct StoreError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let cannotOpen = Code(name: "cannotOpen")
        public static let unknownDomain = Code(name: "unknownDomain")
        public static let domainExists = Code(name: "domainExists")
        public static let invalidName = Code(name: "invalidName")
        public static let auditChainBroken = Code(name: "auditChainBroken")
        public static let databaseError = Code(name: "databaseError")
        public static let keyUnavailable = Code(name: "keyUnavailable")
        /// What the operation needs (an audit key, an entry) is not in the store.
        public static let notFound = Code(name: "notFound")
        /// Governance refused the operation: no officer, the wrong role, a proposal that does not apply.
        public static let unauthorized = Code(name: "unauthorized")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

}

extension StoreError: OperatorFacingError {}
