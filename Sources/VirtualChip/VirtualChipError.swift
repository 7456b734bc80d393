import PKICore

/// The VirtualChip module's one error: a code and a reason naming the connection or file at fault.
public struct VirtualChipError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let connectionFailed = Code(name: "connectionFailed")
        public static let connectionClosed = Code(name: "connectionClosed")
        public static let invalidFile = Code(name: "invalidFile")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

}

extension VirtualChipError: OperatorFacingError {}
