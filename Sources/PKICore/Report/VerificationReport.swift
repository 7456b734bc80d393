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
        private var text: Text

        /// The detail as written, or how to write it. A border lane verifies thousands of documents of which it
        /// prints few: composing a dozen sentences per document cost a fifth of passive authentication, so the
        /// hot checks keep their facts and render the sentence when it is read.
        private enum Text: Sendable {
            case written(String)
            case deferred(@Sendable () -> String)
        }

        /// Why the check has its status, in words for an operator.
        public var detail: String {
            get {
                switch text {
                case .written(let detail): detail
                case .deferred(let render): render()
                }
            }
            set { text = .written(newValue) }
        }

        public init(_ name: String, _ status: Status, _ detail: String) {
            self.name = name
            self.status = status
            self.text = .written(detail)
        }

        /// A check whose detail is composed only when read; `detail` must depend on nothing but what it captured.
        public init(_ name: String, _ status: Status, deferred detail: @escaping @Sendable () -> String) {
            self.name = name
            self.status = status
            self.text = .deferred(detail)
        }

        private enum CodingKeys: String, CodingKey {
            case name, status, detail
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(try container.decode(String.self, forKey: .name), try container.decode(Status.self, forKey: .status),
                      try container.decode(String.self, forKey: .detail))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(status, forKey: .status)
            try container.encode(detail, forKey: .detail)
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

    /// Adds a check whose detail is composed when it is read (see `Check.init(_:_:deferred:)`).
    public mutating func add(_ name: String, _ status: Status, deferred detail: @autoclosure @escaping @Sendable () -> String) {
        checks.append(Check(name, status, deferred: detail))
    }

    public mutating func add(_ name: String, passed: Bool, deferred detail: @autoclosure @escaping @Sendable () -> String) {
        checks.append(Check(name, passed ? .passed : .failed, deferred: detail))
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
