import PKICore

/// The administration API's one error: a code, an HTTP status, a reason naming the field or check, and the JSON
/// field at fault when there is one.
public struct AdministrationError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let status: Int
        public var description: String { name }

        /// Malformed JSON, an unknown or missing field, a request that is not what the route takes. 400.
        public static let badRequest = Code(name: "badRequest", status: 400)
        /// No client certificate, or one that is no officer's of the domain. 401.
        public static let unauthenticated = Code(name: "unauthenticated", status: 401)
        /// The officer lacks the role, or the operation needs a second officer. 403.
        public static let forbidden = Code(name: "forbidden", status: 403)
        public static let notFound = Code(name: "notFound", status: 404)
        public static let tooLarge = Code(name: "tooLarge", status: 413)
        /// The CA refused the request (a PKCS#10 with a bad signature, another country). 422.
        public static let refused = Code(name: "refused", status: 422)
        public static let internalError = Code(name: "internalError", status: 500)
    }

    public let code: Code
    public let reason: String
    public let field: String?

    public init(_ code: Code, _ reason: String, field: String? = nil) {
        self.code = code
        self.reason = reason
        self.field = field
    }
}

extension AdministrationError: OperatorFacingError {}
