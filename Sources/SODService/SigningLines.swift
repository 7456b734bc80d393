import Foundation
import PKICore
import Store
import SwiftASN1

/// The registered lines of one domain in the store, their quota counters, and the record of every signature.
///
/// ```
/// sod_line        (domain, name) → fingerprint (unique per domain), SPKI fingerprint, subject, validity, quota, DER
/// sod_line_usage  (domain, line, window_start) → SODs signed for the line in that quota window
/// audit_entry     sod.line-add, sod.line-remove, and one sod.sign per SOD handed out (line, document number, DS, SOD digest)
/// ```
/// Each operation is one transaction; a batch of signatures is committed as one transaction holding every
/// signature's audit entry and quota count, before any of its SODs is answered.
public struct SigningLines: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let clock: any PKIClock

    public static let defaultDomain = "sod"

    public static let migrations: [EPKIStore.Migration] = [
        EPKIStore.Migration("sod-service-v1") { db in
            try db.create(table: "sod_line") { t in
                t.column("domain", .text).notNull().references("domain", onDelete: .restrict)
                t.column("name", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("spki_fingerprint", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("not_before", .double).notNull()
                t.column("not_after", .double).notNull()
                t.column("quota_limit", .integer)
                t.column("quota_period", .text)
                t.column("created_at", .double).notNull()
                t.column("certificate", .blob).notNull()
                t.primaryKey(["domain", "name"])
                t.uniqueKey(["domain", "fingerprint"])
            }
            try db.create(table: "sod_line_usage") { t in
                t.column("domain", .text).notNull()
                t.column("line", .text).notNull()
                t.column("window_start", .integer).notNull()
                t.column("count", .integer).notNull()
                t.primaryKey(["domain", "line", "window_start"])
            }
        },
    ]

    public init(store: EPKIStore, domain: String = SigningLines.defaultDomain, clock: any PKIClock = SystemClock()) {
        self.store = store
        self.domain = domain
        self.clock = clock
    }

    // MARK: - Registration

    /// Registers a line's client certificate (one transaction with its audit entry). A certificate already
    /// registered under another name, a name taken, or a certificate already expired is refused.
    @discardableResult
    public func add(name: String, certificate: Certificate, quota: LineQuota?) throws -> SigningLine {
        try SigningLine.validate(name: name)
        let now = clock.now()
        guard certificate.notAfter > now else {
            throw SODServiceError(.invalidInput, "the certificate of line '\(name)' (\(certificate.subject)) expired on \(Time.iso8601(certificate.notAfter))")
        }
        let line = SigningLine(
            name: name, fingerprint: try Self.fingerprint(certificate.derEncoded),
            publicKeyFingerprint: try Self.publicKeyFingerprint(certificate), subject: certificate.subject.description,
            notBefore: certificate.notBefore, notAfter: certificate.notAfter, quota: quota, createdAt: now, certificate: certificate.derEncoded)
        return try write { db in
            try EPKIStore.ensureDomain(db, name: domain, description: "SOD signing service", now: now)
            if try Row.fetchOne(db, sql: "SELECT 1 FROM sod_line WHERE domain = ? AND name = ?", arguments: [domain, name]) != nil {
                throw SODServiceError(.lineExists, "a line named '\(name)' is already registered in domain '\(domain)'")
            }
            if let other = try String.fetchOne(db, sql: "SELECT name FROM sod_line WHERE domain = ? AND fingerprint = ?", arguments: [domain, line.fingerprint]) {
                throw SODServiceError(.lineExists, "this certificate (SHA-256 \(line.fingerprint)) is already registered as line '\(other)'")
            }
            try db.execute(
                sql: """
                    INSERT INTO sod_line (domain, name, fingerprint, spki_fingerprint, subject, not_before, not_after, quota_limit, quota_period, created_at, certificate)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [domain, name, line.fingerprint, line.publicKeyFingerprint, line.subject, line.notBefore.timeIntervalSince1970,
                            line.notAfter.timeIntervalSince1970, quota?.limit, quota?.period.rawValue, now.timeIntervalSince1970, Data(line.certificate)])
            var details = ["fingerprint": line.fingerprint, "certificateSubject": line.subject, "notAfter": Time.iso8601(line.notAfter)]
            if let quota { details["quota"] = quota.description }
            try AuditTrail.append(db, domain: domain, action: "sod.line-add", subject: name, details: details, now: now)
            return line
        }
    }

    /// Removes a line: its certificate is refused from the next handshake on, and its open connections get 403.
    public func remove(name: String) throws {
        let now = clock.now()
        try write { db in
            guard let line = try Self.line(db, domain: domain, sql: "name = ?", name) else {
                throw SODServiceError(.notFound, "no line named '\(name)' in domain '\(domain)'")
            }
            try db.execute(sql: "DELETE FROM sod_line WHERE domain = ? AND name = ?", arguments: [domain, name])
            try db.execute(sql: "DELETE FROM sod_line_usage WHERE domain = ? AND line = ?", arguments: [domain, name])
            try AuditTrail.append(db, domain: domain, action: "sod.line-remove", subject: name, details: ["fingerprint": line.fingerprint], now: now)
        }
    }

    public func lines() throws -> [SigningLine] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sod_line WHERE domain = ? ORDER BY name", arguments: [domain]).map(Self.line)
        }
    }

    /// The line registered with this certificate fingerprint, if any.
    public func line(fingerprint: String) throws -> SigningLine? {
        try read { db in try Self.line(db, domain: domain, fingerprint: fingerprint) }
    }

    /// SODs signed for the line in its current quota window (0 without a quota).
    public func usage(of line: SigningLine) throws -> Int {
        guard let quota = line.quota else { return 0 }
        return try read { db in
            try Int.fetchOne(db, sql: "SELECT count FROM sod_line_usage WHERE domain = ? AND line = ? AND window_start = ?",
                             arguments: [domain, line.name, quota.windowStart(clock.now())]) ?? 0
        }
    }

    // MARK: - Signatures

    /// A SOD signed for a line, waiting to be recorded before it is handed out.
    public struct Signature: Sendable {
        public let lineFingerprint: String
        public let documentNumber: String
        /// SHA-256 of the EF.SOD as answered, lower-case hex.
        public let sodDigest: String
        public let hash: HashAlgorithm
        public let dataGroups: [Int]

        public init(lineFingerprint: String, documentNumber: String, sodDigest: String, hash: HashAlgorithm, dataGroups: [Int]) {
            self.lineFingerprint = lineFingerprint
            self.documentNumber = documentNumber
            self.sodDigest = sodDigest
            self.hash = hash
            self.dataGroups = dataGroups
        }
    }

    /// What the audit entries name about the Document Signer.
    public struct SignerFacts: Sendable {
        public let fingerprint: String
        public let serial: String
        public let subject: String

        public init(fingerprint: String, serial: String, subject: String) {
            self.fingerprint = fingerprint
            self.serial = serial
            self.subject = subject
        }
    }

    /// Records a batch of signatures in one transaction: each one's line is looked up again (a line removed
    /// meanwhile gets `unknownLine`), its quota counted (`quotaExceeded` when the window is full), and an audit entry
    /// `sod.sign` appended. Returns, per signature, the audit entry's sequence number or the refusal; refused SODs
    /// must not be handed out.
    public func record(_ signatures: [Signature], signer: SignerFacts) throws -> [Result<Int64, SODServiceError>] {
        let now = clock.now()
        return try write { db in
            // Every statement of a batch is prepared once per connection (GRDB's statement cache): parsing and
            // authorizing SQL cost more than running it (BENCHMARKS.md §8).
            if try Row.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM domain WHERE name = ?"), arguments: [domain]) == nil {
                try EPKIStore.ensureDomain(db, name: domain, description: "SOD signing service", now: now)
            }
            var audit = try AuditBatch(db, domain: domain, now: now)
            var lines: [String: RecordedLine?] = [:]
            var counts: [String: (window: Int64, count: Int)] = [:]
            var results: [Result<Int64, SODServiceError>] = []
            results.reserveCapacity(signatures.count)
            for signature in signatures {
                let found: RecordedLine?
                if let cached = lines[signature.lineFingerprint] {
                    found = cached
                } else {
                    found = try Self.recordedLine(db, domain: domain, fingerprint: signature.lineFingerprint)
                    lines[signature.lineFingerprint] = .some(found)
                }
                guard let line = found else {
                    results.append(.failure(SODServiceError(.unknownLine, "the client certificate (SHA-256 \(signature.lineFingerprint)) is no longer a registered line")))
                    continue
                }
                if let quota = line.quota {
                    let window = quota.windowStart(now)
                    var used = counts[line.name]?.count ?? 0
                    if counts[line.name]?.window != window {
                        let usage = try db.cachedStatement(sql: "SELECT count FROM sod_line_usage WHERE domain = ? AND line = ? AND window_start = ?")
                        used = try Int.fetchOne(usage, arguments: [domain, line.name, window]) ?? 0
                    }
                    guard used < quota.limit else {
                        counts[line.name] = (window, used)
                        results.append(.failure(Self.quotaExceeded(line: line.name, quota: quota, window: window)))
                        continue
                    }
                    counts[line.name] = (window, used + 1)
                }
                // In the order of the JSON's sorted keys, so that AuditBatch need not sort them.
                let sequence = try audit.append(
                    actor: "line:\(line.name)", action: "sod.sign", subject: signature.documentNumber,
                    details: [("dataGroups", signature.dataGroups.map(String.init).joined(separator: ",")), ("documentSigner", signer.fingerprint),
                              ("documentSignerSerial", signer.serial), ("hashAlgorithm", signature.hash.rawValue), ("line", line.name),
                              ("sodSHA256", signature.sodDigest)])
                results.append(.success(sequence))
            }
            for (line, usage) in counts {
                try db.cachedStatement(sql: """
                    INSERT INTO sod_line_usage (domain, line, window_start, count) VALUES (?, ?, ?, ?)
                    ON CONFLICT (domain, line, window_start) DO UPDATE SET count = excluded.count
                    """).execute(arguments: [domain, line, usage.window, usage.count])
                try db.cachedStatement(sql: "DELETE FROM sod_line_usage WHERE domain = ? AND line = ? AND window_start < ?")
                    .execute(arguments: [domain, line, usage.window])
            }
            return results
        }
    }

    static func quotaExceeded(line: String, quota: LineQuota, window: Int64) -> SODServiceError {
        let next = Date(timeIntervalSince1970: TimeInterval(window + quota.period.seconds))
        return SODServiceError(.quotaExceeded, "line '\(line)' has used its quota of \(quota) until \(Time.iso8601(next))")
    }

    // MARK: - Helpers

    public static func fingerprint(_ der: [UInt8]) throws -> String {
        Hex.lowercase(try HashAlgorithm.sha256.hash(der))
    }

    static func publicKeyFingerprint(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate.tbsCertificate.subjectPublicKeyInfo)
        return try fingerprint(serializer.serializedBytes)
    }

    /// What recording a signature needs of its line, read again inside the batch's transaction: its name and quota.
    struct RecordedLine {
        let name: String
        let quota: LineQuota?
    }

    static func recordedLine(_ db: Database, domain: String, fingerprint: String) throws -> RecordedLine? {
        let statement = try db.cachedStatement(sql: "SELECT name, quota_limit, quota_period FROM sod_line WHERE domain = ? AND fingerprint = ?")
        return try Row.fetchOne(statement, arguments: [domain, fingerprint]).map { row in
            RecordedLine(name: row[0], quota: quota(limit: row[1], period: row[2]))
        }
    }

    static func quota(limit: Int?, period: String?) -> LineQuota? {
        limit.flatMap { limit in period.flatMap(LineQuota.Period.init(rawValue:)).flatMap { try? LineQuota(limit: limit, period: $0) } }
    }

    /// The line with this certificate fingerprint, through a statement prepared once per connection.
    static func line(_ db: Database, domain: String, fingerprint: String) throws -> SigningLine? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM sod_line WHERE domain = ? AND fingerprint = ?"), arguments: [domain, fingerprint]).map(line)
    }

    static func line(_ db: Database, domain: String, sql condition: String, _ value: String) throws -> SigningLine? {
        try Row.fetchOne(db, sql: "SELECT * FROM sod_line WHERE domain = ? AND \(condition)", arguments: [domain, value]).map(line)
    }

    static func line(_ row: Row) -> SigningLine {
        let quota = Self.quota(limit: row["quota_limit"], period: row["quota_period"])
        let certificate: Data = row["certificate"]
        return SigningLine(name: row["name"], fingerprint: row["fingerprint"], publicKeyFingerprint: row["spki_fingerprint"], subject: row["subject"],
                           notBefore: Date(timeIntervalSince1970: row["not_before"]), notAfter: Date(timeIntervalSince1970: row["not_after"]),
                           quota: quota, createdAt: Date(timeIntervalSince1970: row["created_at"]), certificate: Array(certificate))
    }

    /// Store failures keep their StoreError (typed already); the service's own refusals pass unchanged.
    func write<T>(_ body: (Database) throws -> T) throws -> T { try store.write(body) }
    func read<T>(_ body: (Database) throws -> T) throws -> T { try store.read(body) }
}
