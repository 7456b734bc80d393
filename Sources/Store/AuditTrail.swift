import Foundation
import PKICore

/// The append-only audit trail, one hash chain per domain.
///
/// Each entry's hash is SHA-256 over its own fields and the previous entry's hash, so changing, removing or
/// reordering any entry breaks every hash after it; `verify` names the first entry that no longer fits.
/// Entries are written inside the operation's own transaction: an operation and its audit entry are committed
/// together or not at all.
public struct AuditEntry: Hashable, Sendable, Codable {
    public let domain: String
    public let sequence: Int64
    public let time: Date
    public let actor: String
    public let action: String
    public let subject: String
    /// Sorted key/value details; never secrets.
    public let details: [String: String]
    public let previousHash: String
    public let hash: String

    static let genesis = String(repeating: "0", count: 64)

    /// The bytes the hash covers, in a fixed order and with lengths, so no two entries serialise alike.
    static func hashInput(domain: String, sequence: Int64, time: Date, actor: String, action: String, subject: String,
                          details: String, previousHash: String) -> [UInt8] {
        let fields = [domain, String(sequence), String(format: "%.6f", time.timeIntervalSince1970), actor, action, subject, details, previousHash]
        return Array(fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|").utf8)
    }

    static func encodeDetails(_ details: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(details)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

public enum AuditTrail {
    /// Appends an entry to the domain's chain inside the caller's transaction.
    @discardableResult
    public static func append(_ db: Database, domain: String, actor: String = AuditTrail.defaultActor, action: String,
                              subject: String, details: [String: String] = [:], now: Date) throws -> AuditEntry {
        let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_entry WHERE domain = ? ORDER BY sequence DESC LIMIT 1",
                                    arguments: [domain])
        let sequence: Int64 = (last?["sequence"] ?? 0) + 1
        let previous: String = last?["hash"] ?? AuditEntry.genesis
        let detailText = AuditEntry.encodeDetails(details)
        let hash = try HashAlgorithm.sha256.hash(AuditEntry.hashInput(
            domain: domain, sequence: sequence, time: now, actor: actor, action: action, subject: subject,
            details: detailText, previousHash: previous)).hexString.lowercased()
        try db.execute(
            sql: """
                INSERT INTO audit_entry (domain, sequence, time, actor, action, subject, details, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, sequence, now.timeIntervalSince1970, actor, action, subject, detailText, previous, hash])
        return AuditEntry(domain: domain, sequence: sequence, time: now, actor: actor, action: action, subject: subject,
                          details: details, previousHash: previous, hash: hash)
    }

    /// The officer a server's request acts for, set around that request's work: a server acts for many officers at
    /// once, so the process-wide EPKI_ACTOR cannot name them.
    @TaskLocal public static var requestActor: String?

    /// Who is recorded as the actor: the request's officer, else EPKI_ACTOR (the CLI's officer), else the
    /// operating-system user running epki.
    public static var defaultActor: String {
        requestActor ?? ProcessInfo.processInfo.environment["EPKI_ACTOR"] ?? ProcessInfo.processInfo.environment["USER"] ?? "uid:\(getuid())"
    }

    public static func entries(_ db: Database, domain: String) throws -> [AuditEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_entry WHERE domain = ? ORDER BY sequence", arguments: [domain]).map(entry)
    }

    static func entry(_ row: Row) -> AuditEntry {
        let detailText: String = row["details"]
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(detailText.utf8))) ?? [:]
        return AuditEntry(domain: row["domain"], sequence: row["sequence"], time: Date(timeIntervalSince1970: row["time"]),
                          actor: row["actor"], action: row["action"], subject: row["subject"], details: details,
                          previousHash: row["previous_hash"], hash: row["hash"])
    }

    public struct Verification: Sendable {
        public let domain: String
        public let entries: Int
        /// The first entry whose hash or link does not fit, with the reason; nil when the chain is intact.
        public let firstBroken: (sequence: Int64, reason: String)?
        public var isIntact: Bool { firstBroken == nil }
    }

    /// Recomputes the domain's chain from its first entry.
    public static func verify(_ db: Database, domain: String) throws -> Verification {
        var previous = AuditEntry.genesis
        var expectedSequence: Int64 = 1
        var count = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_entry WHERE domain = ? ORDER BY sequence", arguments: [domain])
        while let row = try rows.next() {
            count += 1
            let sequence: Int64 = row["sequence"]
            let storedPrevious: String = row["previous_hash"]
            let storedHash: String = row["hash"]
            if sequence != expectedSequence {
                return Verification(domain: domain, entries: count, firstBroken: (expectedSequence, "entry \(expectedSequence) is missing (next is \(sequence))"))
            }
            if storedPrevious != previous {
                return Verification(domain: domain, entries: count, firstBroken: (sequence, "entry \(sequence) does not link to entry \(sequence - 1)"))
            }
            let recomputed = try HashAlgorithm.sha256.hash(AuditEntry.hashInput(
                domain: row["domain"], sequence: sequence, time: Date(timeIntervalSince1970: row["time"]), actor: row["actor"],
                action: row["action"], subject: row["subject"], details: row["details"], previousHash: storedPrevious)).hexString.lowercased()
            if recomputed != storedHash {
                return Verification(domain: domain, entries: count, firstBroken: (sequence, "entry \(sequence) was altered (its hash does not match its content)"))
            }
            previous = storedHash
            expectedSequence += 1
        }
        return Verification(domain: domain, entries: count, firstBroken: nil)
    }
}

extension EPKIStore {
    public func verifyAudit(domain: String) throws -> AuditTrail.Verification {
        try read { db in
            _ = try Self.requireDomain(db, name: domain)
            return try AuditTrail.verify(db, domain: domain)
        }
    }

    public func auditEntries(domain: String) throws -> [AuditEntry] {
        try read { db in try AuditTrail.entries(db, domain: domain) }
    }
}
