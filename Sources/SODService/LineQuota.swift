import Foundation

/// How many SODs a line may have signed per window: `500/minute`, `20000/hour`, `100000/day`. Windows are fixed and
/// aligned to UTC (a minute from :00, a day from midnight UTC), so every node of the service counts the same window.
public struct LineQuota: Hashable, Sendable, CustomStringConvertible {
    public enum Period: String, Sendable, CaseIterable {
        case minute, hour, day

        public var seconds: Int64 {
            switch self {
            case .minute: return 60
            case .hour: return 3_600
            case .day: return 86_400
            }
        }
    }

    public let limit: Int
    public let period: Period

    public init(limit: Int, period: Period) throws {
        guard limit > 0 else { throw SODServiceError(.invalidInput, "a quota must allow at least one SOD per \(period.rawValue)") }
        self.limit = limit
        self.period = period
    }

    /// Reads `N/minute`, `N/hour` or `N/day` (also `N/min`, `N/h`, `N/d`).
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        let periods: [String: Period] = ["minute": .minute, "min": .minute, "m": .minute, "hour": .hour, "h": .hour, "day": .day, "d": .day]
        guard parts.count == 2, let limit = Int(parts[0]), let period = periods[String(parts[1])] else {
            throw SODServiceError(.invalidInput, "quota '\(text)' is not N/minute, N/hour or N/day (e.g. 5000/day)")
        }
        try self.init(limit: limit, period: period)
    }

    public var description: String { "\(limit)/\(period.rawValue)" }

    /// The start of the window that holds `date`, in seconds since 1970.
    public func windowStart(_ date: Date) -> Int64 {
        let seconds = Int64(floor(date.timeIntervalSince1970))
        return seconds - ((seconds % period.seconds) + period.seconds) % period.seconds
    }
}
