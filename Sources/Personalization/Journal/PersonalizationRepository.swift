import Foundation
import Store

/// The personalization tables, and the only place that knows their SQL.
///
/// ```
/// perso_profile    the domain's chip profile as JSON
/// perso_attempt    one row per document and attempt: its state, the step it failed at and why, the reader and
///                  worker that made it, the digests of its EF.SOD and chip keys (never the keys), whether they are
///                  void, and the write statistics
/// ```
/// A partial unique index allows one attempt per document number that is not failed: a document is never
/// personalized twice, and two workers can never make the same one, whatever the code above does.
enum PersonalizationRepository {
    static let migrations: [EPKIStore.Migration] = [
        .init("perso-v1") { db in
            try db.create(table: "perso_profile") { t in
                t.primaryKey("domain", .text).references("domain")
                t.column("json", .text).notNull()
            }
            try db.create(table: "perso_attempt") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("document_number", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("failed_step", .text)
                t.column("reason", .text)
                t.column("reader", .text).notNull()
                t.column("worker", .text).notNull()  // host:pid of the process that made it
                t.column("order_digest", .text).notNull()
                t.column("sod_digest", .text)
                t.column("key_digests", .text)
                t.column("void", .boolean).notNull().defaults(to: false)
                t.column("statistics", .text)
                t.column("created_at", .double).notNull()
                t.column("updated_at", .double).notNull()
                t.uniqueKey(["domain", "document_number", "attempt"])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX perso_attempt_live ON perso_attempt(domain, document_number) WHERE state != 'failed'")
        },
    ]

    static func attempt(_ row: Row) -> PersonalizationAttempt {
        let keys: String? = row["key_digests"]
        let statistics: String? = row["statistics"]
        return PersonalizationAttempt(
            id: row["id"], domain: row["domain"], documentNumber: row["document_number"], attempt: row["attempt"],
            state: PersonalizationState(rawValue: row["state"]) ?? .failed, failedStep: row["failed_step"],
            reason: row["reason"], reader: row["reader"], worker: row["worker"], orderDigest: row["order_digest"], sodDigest: row["sod_digest"],
            keyDigests: keys.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:],
            void: row["void"],
            statistics: statistics.flatMap { try? JSONDecoder().decode(ChipWriter.Statistics.self, from: Data($0.utf8)) },
            createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    static func live(_ db: Database, domain: String, documentNumber: String) throws -> PersonalizationAttempt? {
        try Row.fetchOne(db, sql: "SELECT * FROM perso_attempt WHERE domain = ? AND document_number = ? AND state != 'failed'",
                         arguments: [domain, documentNumber]).map(attempt)
    }

    static func attempts(_ db: Database, domain: String, documentNumber: String? = nil) throws -> [PersonalizationAttempt] {
        if let documentNumber {
            return try Row.fetchAll(db, sql: "SELECT * FROM perso_attempt WHERE domain = ? AND document_number = ? ORDER BY attempt",
                                    arguments: [domain, documentNumber]).map(attempt)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM perso_attempt WHERE domain = ? ORDER BY id", arguments: [domain]).map(attempt)
    }

    static func unfinished(_ db: Database) throws -> [PersonalizationAttempt] {
        try Row.fetchAll(db, sql: "SELECT * FROM perso_attempt WHERE state NOT IN ('failed', 'verified') ORDER BY id").map(attempt)
    }

    static func nextAttemptNumber(_ db: Database, domain: String, documentNumber: String) throws -> Int {
        (try Int.fetchOne(db, sql: "SELECT MAX(attempt) FROM perso_attempt WHERE domain = ? AND document_number = ?",
                          arguments: [domain, documentNumber]) ?? 0) + 1
    }

    static func insert(_ db: Database, domain: String, documentNumber: String, attempt: Int, reader: String, worker: String,
                       orderDigest: String, now: Date) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO perso_attempt (domain, document_number, attempt, state, reader, worker, order_digest, created_at, updated_at)
                VALUES (?, ?, ?, 'received', ?, ?, ?, ?, ?)
                """,
            arguments: [domain, documentNumber, attempt, reader, worker, orderDigest, now.timeIntervalSince1970, now.timeIntervalSince1970])
        return try db.lastInsertedRowID
    }

    static func update(_ db: Database, id: Int64, state: PersonalizationState, sodDigest: String? = nil, keyDigests: [String: String]? = nil,
                       statistics: ChipWriter.Statistics? = nil, now: Date) throws {
        let keys = try keyDigests.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        let stats = try statistics.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try db.execute(
            sql: """
                UPDATE perso_attempt SET state = ?, sod_digest = COALESCE(?, sod_digest), key_digests = COALESCE(?, key_digests),
                statistics = COALESCE(?, statistics), updated_at = ? WHERE id = ?
                """,
            arguments: [state.rawValue, sodDigest, keys, stats, now.timeIntervalSince1970, id])
    }

    static func fail(_ db: Database, id: Int64, step: String, reason: String, statistics: ChipWriter.Statistics?, now: Date) throws {
        let stats = try statistics.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try db.execute(
            sql: """
                UPDATE perso_attempt SET state = 'failed', failed_step = ?, reason = ?, void = 1, statistics = COALESCE(?, statistics),
                updated_at = ? WHERE id = ?
                """,
            arguments: [step, reason, stats, now.timeIntervalSince1970, id])
    }

    static func profile(_ db: Database, domain: String) throws -> ChipProfile? {
        guard let json = try String.fetchOne(db, sql: "SELECT json FROM perso_profile WHERE domain = ?", arguments: [domain]) else { return nil }
        return try JSONDecoder().decode(ChipProfile.self, from: Data(json.utf8))
    }

    static func setProfile(_ db: Database, domain: String, json: String) throws {
        try db.execute(sql: "INSERT INTO perso_profile (domain, json) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET json = excluded.json",
                       arguments: [domain, json])
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
