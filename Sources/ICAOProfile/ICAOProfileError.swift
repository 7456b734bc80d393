import PKICore

/// The ICAOProfile module's one error: a code to match on and a reason naming the list, entry or field at fault.
///
/// Equality and hashing look at the code only; tests assert the reason as well. The services above turn it into
/// their own error where it crosses into their operations (the CSCA refuses a list, the NPKD rejects a file).
public struct ICAOProfileError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Bytes that cannot be read as the list or entry they claim to be.
        public static let malformed = Code(name: "malformed")
        /// A value that Doc 9303-12 does not allow in what is being built (a deviation type, a PrintableString).
        public static let invalidValue = Code(name: "invalidValue")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

}

extension ICAOProfileError: OperatorFacingError {}
