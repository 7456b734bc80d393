import Store
import Foundation
import PKICore

/// The verification history: one row per passive authentication the service answered, when the operator turned it on.
extension NationalPKD {
    /// Adds one record (its own small transaction: the history must not hold the store's write lock across a request).
    public func recordVerification(_ record: VerificationRecord) throws {
        try storeWrite { db in try NPKDRepository.insertVerification(db, domain: domain, record) }
    }

    /// Counts by issuing country and verdict, the total, and the time span they cover.
    public func verificationStatistics() throws -> VerificationStatistics {
        try read { db in
            var statistics = VerificationStatistics()
            for (country, verdict, count) in try NPKDRepository.verificationCounts(db, domain: domain) {
                statistics.byCountry[country, default: [:]][verdict] = count
                statistics.total += count
            }
            (statistics.first, statistics.last) = try NPKDRepository.verificationSpan(db, domain: domain)
            return statistics
        }
    }

    /// The newest records first, at most `limit`.
    public func verificationHistory(limit: Int = 100) throws -> [VerificationRecord] {
        try read { db in try NPKDRepository.verifications(db, domain: domain, limit: limit) }
    }
}

/// What `GET /v1/pa/statistics` answers.
public struct VerificationStatistics: Sendable {
    public var total = 0
    /// Country → verdict (genuine, not_genuine) → count.
    public var byCountry: [String: [String: Int]] = [:]
    public var first: Date?
    public var last: Date?

    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["total": total, "byCountry": byCountry]
        object["first"] = first.map { Time.iso8601($0) }
        object["last"] = last.map { Time.iso8601($0) }
        return object
    }
}

extension NPKDRepository {
    static func insertVerification(_ db: Database, domain: String, _ record: VerificationRecord) throws {
        let failed = String(decoding: (try? JSONSerialization.data(withJSONObject: record.failedChecks)) ?? Data("[]".utf8), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO npkd_verification (domain, verified_at, verdict, country, ds_fingerprint, ds_serial, failed_checks)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [domain, record.verifiedAt.timeIntervalSince1970, record.verdict, record.country, record.documentSignerFingerprint,
                             record.documentSignerSerial, failed])
    }

    static func verificationCounts(_ db: Database, domain: String) throws -> [(country: String, verdict: String, count: Int)] {
        try Row.fetchAll(db, sql: """
            SELECT country, verdict, COUNT(*) AS n FROM npkd_verification WHERE domain = ? GROUP BY country, verdict ORDER BY country, verdict
            """, arguments: [domain]).map { ($0["country"], $0["verdict"], $0["n"]) }
    }

    static func verificationSpan(_ db: Database, domain: String) throws -> (Date?, Date?) {
        guard let row = try Row.fetchOne(db, sql: "SELECT MIN(verified_at) AS first, MAX(verified_at) AS last FROM npkd_verification WHERE domain = ?",
                                         arguments: [domain]) else { return (nil, nil) }
        let first: Double? = row["first"]
        let last: Double? = row["last"]
        return (first.map(Date.init(timeIntervalSince1970:)), last.map(Date.init(timeIntervalSince1970:)))
    }

    static func verifications(_ db: Database, domain: String, limit: Int) throws -> [VerificationRecord] {
        try Row.fetchAll(db, sql: """
            SELECT verified_at, verdict, country, ds_fingerprint, ds_serial, failed_checks FROM npkd_verification
            WHERE domain = ? ORDER BY id DESC LIMIT ?
            """, arguments: [domain, limit]).map { row in
            let failed: String = row["failed_checks"]
            let checks = (try? JSONSerialization.jsonObject(with: Data(failed.utf8))) as? [String] ?? []
            let verdict: String = row["verdict"]
            return VerificationRecord(verifiedAt: Date(timeIntervalSince1970: row["verified_at"]), genuine: verdict == "genuine",
                                      country: row["country"], documentSignerFingerprint: row["ds_fingerprint"],
                                      documentSignerSerial: row["ds_serial"], failedChecks: checks)
        }
    }
}
