import Foundation
import PKICore

/// Counters and latency sums of the border control service, printed in the Prometheus text exposition format
/// (version 0.0.4) at `/metrics`:
///
/// ```
/// # HELP npkd_http_requests_total Requests answered, by route and status.
/// # TYPE npkd_http_requests_total counter
/// npkd_http_requests_total{route="/v1/pa/verify",status="200"} 12
/// ```
/// Routes are the registered patterns (`/v1/ds/{ski}`), never raw paths, so the label set stays bounded.
public final class ServiceMetrics: Sendable {
    struct Key: Hashable {
        let route: String
        let status: Int
    }

    struct State {
        var requests: [Key: Int] = [:]
        var durationSum: [String: Double] = [:]
        var durationCount: [String: Int] = [:]
        var verifications: [String: Int] = [:]
        /// Verdicts by the issuing country ("NZ|genuine"); the country is two letters or XX, so at most 677 series.
        var verificationsByCountry: [String: Int] = [:]
        var historyFailures = 0
    }

    private let state = Locked(State())
    public let started = Date()

    public init() {}

    func record(route: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[Key(route: route, status: status), default: 0] += 1
            state.durationSum[route, default: 0] += seconds
            state.durationCount[route, default: 0] += 1
        }
    }

    /// Passive authentication verdicts: genuine, not genuine; and by the issuing country of the Document Signer.
    func recordVerification(genuine: Bool, country: String) {
        state.withLock { state in
            let verdict = genuine ? "genuine" : "not_genuine"
            state.verifications[verdict, default: 0] += 1
            state.verificationsByCountry["\(country)|\(verdict)", default: 0] += 1
        }
    }

    /// A verification the history could not store (the answer was sent all the same).
    func recordHistoryFailure() {
        state.withLock { $0.historyFailures += 1 }
    }

    /// The exposition text; `gauges` are the store's counts, read at scrape time.
    func render(gauges: [(name: String, help: String, samples: [(labels: String, value: Double)])]) -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        lines.append("# HELP npkd_http_requests_total Requests answered, by route and status.")
        lines.append("# TYPE npkd_http_requests_total counter")
        for (key, count) in snapshot.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            lines.append("npkd_http_requests_total{route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(count)")
        }
        lines.append("# HELP npkd_http_request_duration_seconds Time spent answering, by route.")
        lines.append("# TYPE npkd_http_request_duration_seconds summary")
        for (route, sum) in snapshot.durationSum.sorted(by: { $0.key < $1.key }) {
            lines.append("npkd_http_request_duration_seconds_sum{route=\"\(Self.escape(route))\"} \(sum)")
            lines.append("npkd_http_request_duration_seconds_count{route=\"\(Self.escape(route))\"} \(snapshot.durationCount[route] ?? 0)")
        }
        lines.append("# HELP npkd_passive_authentications_total Passive authentication verdicts.")
        lines.append("# TYPE npkd_passive_authentications_total counter")
        for verdict in ["genuine", "not_genuine"] {
            lines.append("npkd_passive_authentications_total{verdict=\"\(verdict)\"} \(snapshot.verifications[verdict] ?? 0)")
        }
        lines.append("# HELP npkd_passive_authentications_by_country_total Passive authentication verdicts by the DS issuer's country (XX: unknown).")
        lines.append("# TYPE npkd_passive_authentications_by_country_total counter")
        for (key, count) in snapshot.verificationsByCountry.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            lines.append("npkd_passive_authentications_by_country_total{country=\"\(Self.escape(parts[0]))\",verdict=\"\(parts[1])\"} \(count)")
        }
        lines.append("# HELP npkd_verification_history_failures_total Verifications the history could not store.")
        lines.append("# TYPE npkd_verification_history_failures_total counter")
        lines.append("npkd_verification_history_failures_total \(snapshot.historyFailures)")
        lines.append("# HELP npkd_uptime_seconds Seconds since the service started.")
        lines.append("# TYPE npkd_uptime_seconds gauge")
        lines.append("npkd_uptime_seconds \(Date().timeIntervalSince(started))")
        for gauge in gauges {
            lines.append("# HELP \(gauge.name) \(gauge.help)")
            lines.append("# TYPE \(gauge.name) gauge")
            for sample in gauge.samples {
                lines.append("\(gauge.name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(sample.value)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
