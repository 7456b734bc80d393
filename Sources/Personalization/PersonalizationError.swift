import PKICore

/// The Personalization module's one error: a code and a reason naming the order field, the profile setting, the
/// card command or the journal entry at fault.
public struct PersonalizationError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The order does not describe a document that can be issued (MRZ check digit, image, field sizes).
        public static let invalidOrder = Code(name: "invalidOrder")
        /// The chip profile asks for something the standards or this suite do not allow.
        public static let invalidProfile = Code(name: "invalidProfile")
        /// The document number was personalized already, or is being personalized by another worker.
        public static let alreadyPersonalized = Code(name: "alreadyPersonalized")
        /// The card in the reader is not a blank chip open for personalization (locked, or written before).
        public static let cardNotBlank = Code(name: "cardNotBlank")
        /// A command to the card failed or the card went away.
        public static let cardFailed = Code(name: "cardFailed")
        /// The chip, read back as an inspection system reads it, does not prove the document genuine.
        public static let verificationFailed = Code(name: "verificationFailed")
        /// Signing EF.SOD or EF.CardSecurity failed.
        public static let signingFailed = Code(name: "signingFailed")
        /// The journal has no such document, or the store refused the step.
        public static let journal = Code(name: "journal")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension PersonalizationError: OperatorFacingError {}
