import PKICore

/// The SOD signing service's one error: a code to match on, a reason that names the field, line or file at fault,
/// and, for a refused request, the JSON field it names (`dataGroupHashes.3`), which the HTTP answer carries.
///
/// Equality and hashing look at the code only, so tests can expect "a quota refusal" without spelling out the
/// message.
public struct SODServiceError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The request body is not what `POST /v1/sod/sign` takes (not JSON, a field missing or malformed). HTTP 400.
        public static let badRequest = Code(name: "badRequest")
        /// The client certificate is no registered line's (or the line was removed meanwhile). HTTP 403.
        public static let unknownLine = Code(name: "unknownLine")
        /// The line has used its quota for the current window. HTTP 429.
        public static let quotaExceeded = Code(name: "quotaExceeded")
        /// The Document Signer could not sign, or the SOD did not verify after signing. HTTP 500.
        public static let signingFailed = Code(name: "signingFailed")
        /// A line of that name or certificate is already registered.
        public static let lineExists = Code(name: "lineExists")
        /// No line of that name.
        public static let notFound = Code(name: "notFound")
        /// An operator's input that cannot be used (a quota that is not N/minute, a certificate that is not one).
        public static let invalidInput = Code(name: "invalidInput")
        /// The store failed underneath. HTTP 500.
        public static let storeFailure = Code(name: "storeFailure")
        /// The service could not start (address in use, TLS files unreadable).
        public static let serviceFailure = Code(name: "serviceFailure")
    }

    public let code: Code
    public let reason: String
    /// The request field at fault, for `badRequest`.
    public let field: String?

    public init(_ code: Code, _ reason: String, field: String? = nil) {
        self.code = code
        self.reason = reason
        self.field = field
    }

    /// A refused request naming its field: "dataGroupHashes.3: 31 bytes, SHA-256 gives 32".
    static func field(_ name: String, _ reason: String) -> SODServiceError {
        SODServiceError(.badRequest, "\(name): \(reason)", field: name)
    }
}

extension SODServiceError: OperatorFacingError {}
