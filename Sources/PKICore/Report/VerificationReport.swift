/// What a verification found, check by check: never a bare yes or no.
///
/// Each check is passed, failed, or not checked (with the reason), and deviations from the profiles are listed
/// as warnings without failing the whole verification. Printable as text and JSON.
public struct VerificationReport: Codable, Sendable, CustomStringConvertible {
    public enum Status: String, Codable, Sendable {
        case passed
        case failed
        case notChecked = "not checked"
        /// A deviation from the profile that does not make the object untrustworthy.
        case warning
    }

    public struct Check: Codable, Sendable {
        public var name: String
        public var status: Status
        public var detail: String

        public init(_ name: String, _ status: Status, _ detail: String) {
            self.name = name
            self.status = status
            self.detail = detail
        }
    }

    public var subject: String
    public var checks: [Check] = []

    public init(subject: String) {
        self.subject = subject
    }

    public mutating func add(_ name: String, _ status: Status, _ detail: String) {
        checks.append(Check(name, status, detail))
    }

    public mutating func add(_ name: String, passed: Bool, _ detail: String) {
        checks.append(Check(name, passed ? .passed : .failed, detail))
    }

    /// True when no check failed and at least one passed.
    public var isValid: Bool {
        !checks.contains(where: { $0.status == .failed }) && checks.contains(where: { $0.status == .passed })
    }

    public func check(named name: String) -> Check? { checks.first(where: { $0.name == name }) }

    public var description: String {
        var lines = ["\(subject): \(isValid ? "VALID" : "NOT VALID")"]
        for check in checks {
            lines.append("  [\(check.status.rawValue)] \(check.name): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }

    /// The report as a JSON object: `subject`, `valid`, and `checks` with `name`, `status` and `detail`.
    public var jsonValue: JSONValue {
        .object([
            ("subject", .string(subject)),
            ("valid", .bool(isValid)),
            ("checks", .array(checks.map { check in
                .object([("name", .string(check.name)), ("status", .string(check.status.rawValue)), ("detail", .string(check.detail))])
            })),
        ])
    }

    /// Pretty-printed JSON with sorted keys (see `jsonValue`).
    public func jsonString() throws -> String {
        jsonValue.string(pretty: true)
    }
}
