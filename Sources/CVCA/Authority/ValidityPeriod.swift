import CVC
import Foundation

/// How long a CV certificate is valid, as the operator sets it per role: whole months or days.
///
/// ```
/// "36m"   36 months        "3m"   3 months        "30d"   30 days
/// ```
/// A certificate is valid from the start of its effective date to the end of its expiration date (whole GMT
/// days, as the chip compares them), so the expiration date is the effective date plus the period minus one day:
/// three months from 1 November end on 31 January.
public struct ValidityPeriod: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Unit: String, Hashable, Sendable {
        case months = "m"
        case days = "d"
    }

    public let value: Int
    public let unit: Unit

    public init(_ value: Int, _ unit: Unit) throws {
        guard value >= 1 else { throw CVCAError(.policyViolation, "a validity period is at least one day or month, not \(value)") }
        self.value = value
        self.unit = unit
    }

    public static func months(_ value: Int) -> ValidityPeriod { ValidityPeriod(checked: value, .months) }
    public static func days(_ value: Int) -> ValidityPeriod { ValidityPeriod(checked: value, .days) }

    private init(checked value: Int, _ unit: Unit) {
        self.value = max(value, 1)
        self.unit = unit
    }

    /// Parses `36m`, `3m`, `30d` (a bare number means months).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let unit: Unit = trimmed.hasSuffix("d") ? .days : .months
        let digits = trimmed.hasSuffix("d") || trimmed.hasSuffix("m") ? String(trimmed.dropLast()) : trimmed
        guard let value = Int(digits) else {
            throw CVCAError(.policyViolation, "validity '\(text)' is not a number of months (36m) or days (30d)")
        }
        try self.init(value, unit)
    }

    public var description: String { "\(value)\(unit.rawValue)" }

    /// The last day of validity for a certificate effective on `effective`.
    public func expiration(from effective: CVDate) throws -> CVDate {
        switch unit {
        case .months: try effective.adding(months: value).adding(days: -1)
        case .days: try effective.adding(days: value - 1)
        }
    }

    /// Whether the period is at most `limit` months. Days count as a month per 30, which keeps a period given in
    /// days within the limit from any start date (36 months are never shorter than 1080 days).
    public func isWithin(months limit: Int) -> Bool {
        switch unit {
        case .months: value <= limit
        case .days: value <= limit * 30
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
