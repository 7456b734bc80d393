import PKICore

/// The Inspection module's one error: a code and a reason. Inspection itself never throws (a failure is a step of
/// the report); these are the errors of what it calls out to.
public struct InspectionError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The NPKD's border control service could not be reached or answered something else than a report.
        public static let remoteService = Code(name: "remoteService")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension InspectionError: OperatorFacingError {}
