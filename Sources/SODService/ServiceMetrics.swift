import Foundation
import PKICore

/// Counters of the SOD signing service in the Prometheus text exposition format (0.0.4), served at `/metrics`:
///
/// ```
/// sod_http_requests_total{route="/v1/sod/sign",status="200"} 12
/// sod_signatures_total{line="line-4"} 12
/// sod_refusals_total{code="quotaExceeded"} 1
/// sod_batches_total 5
/// sod_batch_documents_total 12
/// ```
/// Routes are the registered patterns and lines the registered names, so the label sets stay bounded.
public final class ServiceMetrics: Sendable {
    struct Key: Hashable {
        let route: String
        let status: Int
    }

    struct State {
        var requests: [Key: Int] = [:]
        var durationSum: [String: Double] = [:]
        var durationCount: [String: Int] = [:]
        var signatures: [String: Int] = [:]
        var refusals: [String: Int] = [:]
        var batches = 0
        var batchDocuments = 0
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

    func recordSignature(line: String) { state.withLock { $0.signatures[line, default: 0] += 1 } }
    func recordRefusal(code: String) { state.withLock { $0.refusals[code, default: 0] += 1 } }

    func recordBatch(size: Int) {
        state.withLock { state in
            state.batches += 1
            state.batchDocuments += size
        }
    }

    /// SODs handed out since the service started.
    public var signatures: Int { state.withLock { $0.signatures.values.reduce(0, +) } }

    /// Batches signed and the documents in them since the service started.
    public var batches: (count: Int, documents: Int) { state.withLock { ($0.batches, $0.batchDocuments) } }

    func render(lines: Int) -> String {
        let snapshot = state.withLock { $0 }
        var out: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            out.append("# HELP \(name) \(help)")
            out.append("# TYPE \(name) \(type)")
        }
        family("sod_http_requests_total", "counter", "Requests answered, by route and status.")
        for (key, count) in snapshot.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            out.append("sod_http_requests_total{route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(count)")
        }
        family("sod_http_request_duration_seconds", "summary", "Time spent answering, by route.")
        for (route, sum) in snapshot.durationSum.sorted(by: { $0.key < $1.key }) {
            out.append("sod_http_request_duration_seconds_sum{route=\"\(Self.escape(route))\"} \(sum)")
            out.append("sod_http_request_duration_seconds_count{route=\"\(Self.escape(route))\"} \(snapshot.durationCount[route] ?? 0)")
        }
        family("sod_signatures_total", "counter", "SODs handed out (signed, verified and recorded), by line.")
        for (line, count) in snapshot.signatures.sorted(by: { $0.key < $1.key }) {
            out.append("sod_signatures_total{line=\"\(Self.escape(line))\"} \(count)")
        }
        family("sod_refusals_total", "counter", "Requests refused, by error code.")
        for (code, count) in snapshot.refusals.sorted(by: { $0.key < $1.key }) {
            out.append("sod_refusals_total{code=\"\(Self.escape(code))\"} \(count)")
        }
        family("sod_batches_total", "counter", "Batches given to the batch signer.")
        out.append("sod_batches_total \(snapshot.batches)")
        family("sod_batch_documents_total", "counter", "Documents in those batches.")
        out.append("sod_batch_documents_total \(snapshot.batchDocuments)")
        family("sod_lines", "gauge", "Lines registered in the service's domain.")
        out.append("sod_lines \(lines)")
        family("sod_uptime_seconds", "gauge", "Seconds since the service started.")
        out.append("sod_uptime_seconds \(Date().timeIntervalSince(started))")
        return out.joined(separator: "\n") + "\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
