import PKICore

/// The CVC module's error (the CVCA and DVCA services add their codes and use it as `CVCError`): a code and a
/// reason naming the field at fault.
///
/// Decoding errors also carry the byte offset of the data object at fault (counted from the start of the
/// input), so an operator can find it in a hex dump; the reason names the tag and repeats the offset.
public struct CVCError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// Services add codes of their own (the CVCA's TR-03129 result codes among them).
        public init(name: String) { self.name = name }
        public static let invalidReference = Code(name: "invalidReference")
        /// The bytes are not a well-formed TLV structure: truncated, length past the end, indefinite or
        /// non-minimal length, a length above the 65535 octets TR-03110-3 D allows.
        public static let malformedEncoding = Code(name: "malformedEncoding")
        /// A data object is missing, out of the fixed order, or has a tag the profile does not allow there.
        public static let unexpectedTag = Code(name: "unexpectedTag")
        /// The structure was read but a value in it is not allowed (a date that is no date, a bad character).
        public static let invalidValue = Code(name: "invalidValue")
        /// An id-TA object identifier or key type epki does not know.
        public static let unsupportedAlgorithm = Code(name: "unsupportedAlgorithm")
        /// EC domain parameters are incomplete, missing where needed, present where forbidden, or do not match.
        public static let domainParameters = Code(name: "domainParameters")
        /// A key does not fit the algorithm or the certificate it is used with.
        public static let keyMismatch = Code(name: "keyMismatch")
        /// No certificate is known for a Certification Authority Reference.
        public static let unknownReference = Code(name: "unknownReference")
        /// A signature could not be made or checked at all (not: a signature that is wrong).
        public static let cryptoFailure = Code(name: "cryptoFailure")
    }

    public let code: Code
    public let reason: String
    /// Offset of the data object at fault in the decoded input, when the error comes from decoding.
    public let offset: Int?

    public init(_ code: Code, _ reason: String, offset: Int? = nil) {
        self.code = code
        self.reason = reason
        self.offset = offset
    }

}

extension CVCError: OperatorFacingError {}
