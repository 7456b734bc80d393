import PKICore

/// The SPOC's one error: a code to match on and a reason naming the element, peer or file at fault.
///
/// Application-level refusals of the SPOC protocol are *result codes* in normal answers (Doc 9303-12 §8.3.1), not
/// errors; this type is for what stops a message from being a SPOC message at all (HTTP 4xx and a SOAP fault), for
/// a caller the mutual-TLS checks refuse (HTTP 401), and for the operator's commands.
public struct SPOCError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// Not well-formed XML, a DTD or entity declaration, too deep, too many elements. HTTP 400 with a SOAP fault.
        public static let malformedXML = Code(name: "malformedXML")
        /// The body is larger than the service accepts. HTTP 413.
        public static let tooLarge = Code(name: "tooLarge")
        /// Well-formed XML that is not a SOAP 1.1 envelope with one of the four SPOC operations. HTTP 400.
        public static let notASPOCMessage = Code(name: "notASPOCMessage")
        /// The caller's TLS client certificate does not speak for `callerID` (registration, chain, EKU, country,
        /// validity, revocation). HTTP 401.
        public static let unauthorized = Code(name: "unauthorized")
        /// A foreign SPOC's server certificate failed the same checks when we called it.
        public static let peerRefused = Code(name: "peerRefused")
        /// The peer answered with something other than a SPOC answer (a fault, an HTTP error, a refused connection).
        public static let deliveryFailed = Code(name: "deliveryFailed")
        /// No registered SPOC for that country, no such queue entry or message.
        public static let notFound = Code(name: "notFound")
        /// An operator's input that cannot be used.
        public static let invalidInput = Code(name: "invalidInput")
        /// The registration or the entry exists already, or was decided already.
        public static let conflict = Code(name: "conflict")
        /// The service could not start (address in use, TLS material unusable).
        public static let serviceFailure = Code(name: "serviceFailure")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension SPOCError: OperatorFacingError {}
