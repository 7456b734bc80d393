import PKICore
import SmartCard

/// The ChipAccess module's one error: a code to match on and a reason naming the protocol step or command.
public struct ChipAccessError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The other side's cryptogram or MAC did not verify: wrong MRZ, CAN or key (BAC, PACE, CA, TA).
        public static let authenticationFailed = Code(name: "authenticationFailed")
        /// A secure messaging response or command failed its checks (MAC, counter, data objects): the session is over.
        public static let secureMessaging = Code(name: "secureMessaging")
        /// A value that cannot be used (an MRZ field, a key length, a malformed data object).
        public static let invalidValue = Code(name: "invalidValue")
        /// The chip refused a step with a status word.
        public static let refused = Code(name: "refused")
    }

    public let code: Code
    public let reason: String
    public let statusWord: StatusWord?

    public init(_ code: Code, _ reason: String, statusWord: StatusWord? = nil) {
        self.code = code
        self.reason = reason
        self.statusWord = statusWord
    }

}

extension ChipAccessError: OperatorFacingError {}
