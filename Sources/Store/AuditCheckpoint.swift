import Foundation
import PKICore

/// A signed checkpoint of a domain's audit trail: the sequence number and hash of the chain's head, signed by the
/// domain's audit key. The hash chain alone shows an entry changed after the fact, unless whoever changed it
/// recomputed every hash after it; a checkpoint makes that impossible without the audit key, and shows a trail
/// cut back below it (the checkpointed entry is gone, or no longer has that hash).
///
/// The signed text, UTF-8, lines ending in LF, so that an auditor verifies it with `openssl dgst -verify` alone:
/// ```
/// epki audit checkpoint
/// domain: <domain>
/// sequence: <n>
/// hash: <SHA-256 of entry n, lower-case hex>
/// signed: <ISO 8601 time, UTC>
/// key: <SHA-256 of the audit key's SubjectPublicKeyInfo, hex>
/// ```
/// The signature is ECDSA (DER) or RSA PKCS#1 v1.5 with SHA-256 over those bytes.
public struct AuditCheckpoint: Hashable, Sendable {
    public let domain: String
    public let sequence: Int64
    public let hash: String
    public let signedAt: Date
    /// SHA-256 of the audit key's SubjectPublicKeyInfo.
    public let keyFingerprint: String
    public let text: [UInt8]
    public let signature: [UInt8]

    static func text(domain: String, sequence: Int64, hash: String, signedAt: Date, keyFingerprint: String) -> [UInt8] {
        Array("epki audit checkpoint\ndomain: \(domain)\nsequence: \(sequence)\nhash: \(hash)\nsigned: \(Time.iso8601(signedAt))\nkey: \(keyFingerprint)\n".utf8)
    }

    static func algorithm(for key: PublicKey) -> SignatureAlgorithm {
        key.isEC ? .ecdsa(.sha256) : .rsaPKCS1v15(.sha256)
    }
}

/// The audit keys of a domain and the checkpoints they signed.
///
/// ```
/// audit_key         domain, key reference (software file or PKCS#11 URI), SubjectPublicKeyInfo, fingerprint
/// audit_checkpoint  domain, sequence, hash, time, key fingerprint, the signed text and its signature
/// ```
public enum AuditCheckpoints {
    static let migrations: [EPKIStore.Migration] = [
        .init("store-v2-audit-checkpoints") { db in
            try db.create(table: "audit_key") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("fingerprint", .text).notNull()
                t.column("key_reference", .text).notNull()
                t.column("public_key", .blob).notNull()
                t.column("created_at", .double).notNull()
                t.primaryKey(["domain", "fingerprint"])
            }
            try db.create(table: "audit_checkpoint") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("sequence", .integer).notNull()
                t.column("hash", .text).notNull()
                t.column("signed_at", .double).notNull()
                t.column("key_fingerprint", .text).notNull()
                t.column("text", .blob).notNull()
                t.column("signature", .blob).notNull()
                t.primaryKey(["domain", "sequence", "key_fingerprint"])
            }
        },
    ]

    /// An audit key of the domain: its reference and public key.
    public struct Key: Sendable, Hashable {
        public let fingerprint: String
        public let reference: String
        public let publicKey: PublicKey
        public let createdAt: Date
    }

    /// Makes the domain's (next) audit key through `keys` (software, encrypted; or an HSM) and records it, audited.
    public static func createKey(store: EPKIStore, domain: String, keys: any KeyProvider, specification: KeySpecification = .ec(.p256, parameters: .namedCurve),
                                 now: Date) throws -> Key {
        let (reference, signer) = try keys.generate(specification, name: "audit", domain: domain)
        let spki = signer.publicKey.derEncoded
        let fingerprint = try HashAlgorithm.sha256.hash(spki).hexString.lowercased()
        do {
            try store.write { db in
                _ = try EPKIStore.requireDomain(db, name: domain)
                try db.execute(sql: "INSERT INTO audit_key (domain, fingerprint, key_reference, public_key, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [domain, fingerprint, reference, Data(spki), now.timeIntervalSince1970])
                try AuditTrail.append(db, domain: domain, action: "audit.key", subject: fingerprint, details: ["key": reference], now: now)
            }
        } catch {
            keys.discard(reference)
            throw error
        }
        return Key(fingerprint: fingerprint, reference: reference, publicKey: signer.publicKey, createdAt: now)
    }

    public static func keys(_ db: Database, domain: String) throws -> [Key] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_key WHERE domain = ? ORDER BY created_at", arguments: [domain]).map {
            Key(fingerprint: $0["fingerprint"], reference: $0["key_reference"], publicKey: try PublicKey(derEncoded: Array($0["public_key"] as Data)),
                createdAt: Date(timeIntervalSince1970: $0["created_at"]))
        }
    }

    /// Signs the head of the domain's chain with its newest audit key, after checking the chain, and records the
    /// checkpoint; then appends an entry saying so (which the next checkpoint covers).
    public static func checkpoint(store: EPKIStore, domain: String, keys: any KeyProvider, now: Date) throws -> AuditCheckpoint {
        let (key, head, verification) = try store.read { db -> (Key?, (Int64, String)?, AuditTrail.Verification) in
            _ = try EPKIStore.requireDomain(db, name: domain)
            let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_entry WHERE domain = ? ORDER BY sequence DESC LIMIT 1", arguments: [domain])
                .map { ($0["sequence"] as Int64, $0["hash"] as String) }
            return (try Self.keys(db, domain: domain).last, head, try AuditTrail.verify(db, domain: domain))
        }
        guard let key else { throw StoreError(.notFound, "domain '\(domain)' has no audit key; run `epki audit key --domain \(domain)`") }
        guard let (sequence, hash) = head else { throw StoreError(.notFound, "domain '\(domain)' has no audit entries to sign") }
        if let broken = verification.firstBroken {
            throw StoreError(.auditChainBroken, "the audit trail of '\(domain)' is broken at entry \(broken.sequence) (\(broken.reason)); a checkpoint would vouch for it")
        }
        let signer = try keys.signer(for: key.reference, domain: domain)
        let text = AuditCheckpoint.text(domain: domain, sequence: sequence, hash: hash, signedAt: now, keyFingerprint: key.fingerprint)
        let signature = try signer.sign(text, algorithm: AuditCheckpoint.algorithm(for: key.publicKey))
        let checkpoint = AuditCheckpoint(domain: domain, sequence: sequence, hash: hash, signedAt: now, keyFingerprint: key.fingerprint,
                                         text: text, signature: signature)
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO audit_checkpoint (domain, sequence, hash, signed_at, key_fingerprint, text, signature) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (domain, sequence, key_fingerprint) DO UPDATE SET hash = excluded.hash, signed_at = excluded.signed_at,
                    text = excluded.text, signature = excluded.signature
                """, arguments: [domain, sequence, hash, now.timeIntervalSince1970, key.fingerprint, Data(text), Data(signature)])
            try AuditTrail.append(db, domain: domain, action: "audit.checkpoint", subject: "\(sequence)", details: ["hash": hash, "key": key.fingerprint], now: now)
        }
        return checkpoint
    }

    public static func checkpoints(_ db: Database, domain: String) throws -> [AuditCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint WHERE domain = ? ORDER BY sequence", arguments: [domain]).map {
            AuditCheckpoint(domain: $0["domain"], sequence: $0["sequence"], hash: $0["hash"], signedAt: Date(timeIntervalSince1970: $0["signed_at"]),
                            keyFingerprint: $0["key_fingerprint"], text: Array($0["text"] as Data), signature: Array($0["signature"] as Data))
        }
    }

    /// What checking the checkpoints found.
    public struct Verification: Sendable {
        public let checkpoints: Int
        /// The first checkpoint that fails, with why; nil when all hold.
        public let firstFailure: (sequence: Int64, reason: String)?
        public var holds: Bool { firstFailure == nil }
    }

    /// Each checkpoint's signature under its audit key, its text matching its fields, and the chain still holding
    /// that very hash at that sequence (a rewritten or truncated trail fails here even when re-hashed throughout).
    public static func verify(_ db: Database, domain: String) throws -> Verification {
        let keys = Dictionary(try Self.keys(db, domain: domain).map { ($0.fingerprint, $0.publicKey) }, uniquingKeysWith: { first, _ in first })
        let checkpoints = try Self.checkpoints(db, domain: domain)
        for checkpoint in checkpoints {
            guard let key = keys[checkpoint.keyFingerprint] else {
                return Verification(checkpoints: checkpoints.count, firstFailure: (checkpoint.sequence, "its audit key \(checkpoint.keyFingerprint.prefix(16))… is not the domain's"))
            }
            let expected = AuditCheckpoint.text(domain: domain, sequence: checkpoint.sequence, hash: checkpoint.hash, signedAt: checkpoint.signedAt,
                                                keyFingerprint: checkpoint.keyFingerprint)
            guard expected == checkpoint.text,
                  (try? key.isValidSignature(checkpoint.signature, for: checkpoint.text, algorithm: AuditCheckpoint.algorithm(for: key))) == true else {
                return Verification(checkpoints: checkpoints.count, firstFailure: (checkpoint.sequence, "the checkpoint's signature does not verify"))
            }
            let stored: String? = try String.fetchOne(db, sql: "SELECT hash FROM audit_entry WHERE domain = ? AND sequence = ?",
                                                      arguments: [domain, checkpoint.sequence])
            guard let stored else {
                return Verification(checkpoints: checkpoints.count, firstFailure: (checkpoint.sequence, "entry \(checkpoint.sequence) is gone: the trail was cut back below a signed checkpoint"))
            }
            guard stored == checkpoint.hash else {
                return Verification(checkpoints: checkpoints.count, firstFailure: (checkpoint.sequence, "entry \(checkpoint.sequence) no longer has the hash signed at \(Time.iso8601(checkpoint.signedAt)): the trail was rewritten"))
            }
        }
        return Verification(checkpoints: checkpoints.count, firstFailure: nil)
    }
}

/// A range of a domain's audit trail as an auditor receives it: each entry's exact hashed bytes and hash, the
/// checkpoints signed within the range, and the audit keys' public keys — everything `openssl dgst` needs.
public struct AuditExport: Sendable {
    public struct Entry: Sendable {
        public let sequence: Int64
        /// The bytes SHA-256 covers; they end with the previous entry's hash (64 hex digits).
        public let hashedBytes: [UInt8]
        public let hash: String
        /// The entry readable: time, actor, action, subject, details.
        public let summary: String
    }

    public let domain: String
    public let entries: [Entry]
    /// The hash the first exported entry links to (64 zeros when the range starts at entry 1).
    public let previousHash: String
    public let checkpoints: [AuditCheckpoint]
    public let keys: [AuditCheckpoints.Key]

    /// Entries `from`…`to` (inclusive; nil for the newest) of the domain.
    public static func make(store: EPKIStore, domain: String, from: Int64 = 1, to: Int64? = nil) throws -> AuditExport {
        try store.read { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            let upper = to ?? Int64.max
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit_entry WHERE domain = ? AND sequence BETWEEN ? AND ? ORDER BY sequence",
                                        arguments: [domain, from, upper])
            let entries = rows.map { row -> Entry in
                let time = Date(timeIntervalSince1970: row["time"])
                let bytes = AuditEntry.hashInput(domain: row["domain"], sequence: row["sequence"], time: time, actor: row["actor"], action: row["action"],
                                                 subject: row["subject"], details: row["details"], previousHash: row["previous_hash"])
                let summary = "\(row["sequence"] as Int64) \(Time.iso8601(time)) \(row["actor"] as String) \(row["action"] as String) \(row["subject"] as String) \(row["details"] as String)"
                return Entry(sequence: row["sequence"], hashedBytes: bytes, hash: row["hash"], summary: summary)
            }
            let previous: String = rows.first?["previous_hash"] ?? AuditEntry.genesis
            let last = entries.last?.sequence ?? 0
            let checkpoints = try AuditCheckpoints.checkpoints(db, domain: domain).filter { $0.sequence >= from && $0.sequence <= last }
            return AuditExport(domain: domain, entries: entries, previousHash: previous, checkpoints: checkpoints,
                               keys: try AuditCheckpoints.keys(db, domain: domain))
        }
    }
}
