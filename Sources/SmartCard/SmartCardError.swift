import PKICore

/// The SmartCard module's one error: a code to match on and a reason naming the reader, command or status word.
public struct SmartCardError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Bytes that are not a command or response APDU (too short, lengths that do not add up).
        public static let malformedAPDU = Code(name: "malformedAPDU")
        /// A command that cannot be encoded (data or expected length beyond extended length).
        public static let invalidCommand = Code(name: "invalidCommand")
        /// The card answered with an error status word where success was needed.
        public static let statusWord = Code(name: "statusWord")
        /// No reader is attached, or the named reader does not exist.
        public static let noReader = Code(name: "noReader")
        /// The reader holds no card.
        public static let noCard = Code(name: "noCard")
        /// The card was removed (or reset) while a command was under way.
        public static let cardRemoved = Code(name: "cardRemoved")
        /// Another application holds the card exclusively.
        public static let sharingViolation = Code(name: "sharingViolation")
        /// The reader or card did not answer in time.
        public static let timeout = Code(name: "timeout")
        /// Any other failure of the PC/SC layer, with its code.
        public static let transportFailure = Code(name: "transportFailure")
    }

    public let code: Code
    public let reason: String
    /// The status word when the card answered with one.
    public let statusWord: StatusWord?

    public init(_ code: Code, _ reason: String, statusWord: StatusWord? = nil) {
        self.code = code
        self.reason = reason
        self.statusWord = statusWord
    }

}

extension SmartCardError: OperatorFacingError {}
