import PKICore
/// The NPKD module's one error: a code to match on and a reason that names the file, line, entry or object at
/// fault, so an operator can find the bad record in a 100 MB LDIF file.
///
/// Equality and hashing look at the code only, so tests can expect "a refused master list" without spelling
/// out the message.
public struct NPKDError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The content is none of the formats the NPKD imports.
        public static let unknownFormat = Code(name: "unknownFormat")
        /// An LDIF file breaks the syntax (RFC 2849) or the ICAO PKD layout.
        public static let malformedLDIF = Code(name: "malformedLDIF")
        /// A certificate, CRL or list cannot be read at all (leniency ends where bytes cannot be parsed).
        public static let malformedObject = Code(name: "malformedObject")
        /// A signed list whose signature, content type or digest does not verify: nothing of it is stored.
        public static let signatureInvalid = Code(name: "signatureInvalid")
        /// An ICAO PKD delta whose pkdVersion is not newer than the version already applied for its collection: refused
        /// whole, nothing of it stored.
        public static let staleDelta = Code(name: "staleDelta")
        /// The object asked for is not in the store.
        public static let notFound = Code(name: "notFound")
        /// A request or option that cannot be served (bad base64, bad country code, unknown format).
        public static let badRequest = Code(name: "badRequest")
        /// The store failed underneath.
        public static let storeFailure = Code(name: "storeFailure")
        /// The service could not start (address in use, TLS files unreadable).
        public static let serviceFailure = Code(name: "serviceFailure")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }


    /// Prefixes the reason with where it happened ("icaopkd-001.ldif line 1042, entry 17: ...").
    public func located(_ location: String) -> NPKDError {
        NPKDError(code, "\(location): \(reason)")
    }
}

extension NPKDError: OperatorFacingError {}
