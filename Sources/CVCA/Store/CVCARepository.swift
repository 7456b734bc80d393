import CVC
import Foundation
import PKICore
import Store

/// The CVCA's and DVCA's tables, and the only place that knows their SQL.
///
/// ```
/// cvca_authority    one row per domain and kind (cvca | dvca): the holder's country code and mnemonic
/// cvca_key          every key the domain's CVCA or DVCA generated: CHR, key reference, id-TA OID; for DV keys
///                   the CVCA the request went to and the request itself
/// cvca_certificate  every CV certificate the domain holds, by source:
///                     issued   by its CVCA (self-signed, link, DV) or its DVCA (terminal)
///                     own      its DVCA's own DV certificates, imported after verification
///                     foreign  foreign CVCA certificates (self-signed or link) the operator registered
/// cvca_request      every request the CVCA or DVCA received, with its TR-03129 result code
/// cvca_policy       the domain's policy as JSON
/// ```
/// A CHR is certified at most once per issuer: a partial UNIQUE index on the issued DV and terminal certificates
/// backs the check made before signing.
enum CVCARepository {
    static let migrations: [EPKIStore.Migration] = [
        .init("cvca-v1") { db in
            try db.create(table: "cvca_authority") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("kind", .text).notNull()  // cvca | dvca
                t.column("country", .text).notNull()
                t.column("mnemonic", .text).notNull()
                t.column("created_at", .double).notNull()
                t.primaryKey(["domain", "kind"])
            }
            try db.create(table: "cvca_key") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("owner", .text).notNull()  // cvca | dvca
                t.column("chr", .text).notNull()
                t.column("key_reference", .text).notNull()
                t.column("algorithm", .text).notNull()  // id-TA OID
                t.column("target_car", .text)
                t.column("request", .blob)
                t.column("created_at", .double).notNull()
                t.uniqueKey(["domain", "owner", "chr"])
            }
            try db.create(table: "cvca_request") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("receiver", .text).notNull()  // cvca | dvca
                t.column("chr", .text)
                t.column("outer_car", .text)
                t.column("result_code", .text).notNull()
                t.column("detail", .text).notNull()
                t.column("der", .blob).notNull()
                t.column("received_at", .double).notNull()
            }
            try db.create(table: "cvca_certificate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("source", .text).notNull()  // issued | own | foreign
                t.column("issuer", .text)  // cvca | dvca for issued certificates
                t.column("kind", .text).notNull()  // cvca | link | dv | terminal
                t.column("chr", .text).notNull()
                t.column("car", .text).notNull()
                t.column("role", .text).notNull()
                t.column("chat", .text).notNull()
                t.column("effective", .text).notNull()
                t.column("expiration", .text).notNull()
                t.column("der", .blob).notNull()
                t.column("request_id", .integer).references("cvca_request")
                t.column("recorded_at", .double).notNull()
                t.uniqueKey(["domain", "source", "chr", "car"])
            }
            try db.execute(sql: """
                CREATE UNIQUE INDEX cvca_certificate_certified_once ON cvca_certificate(domain, issuer, chr)
                WHERE source = 'issued' AND kind IN ('dv', 'terminal')
                """)
            try db.create(table: "cvca_policy") { t in
                t.primaryKey("domain", .text).references("domain")
                t.column("json", .text).notNull()
            }
        },
    ]

    // MARK: Authorities

    struct AuthorityRow: Sendable {
        let country: String
        let mnemonic: String
    }

    static func authority(_ db: Database, domain: String, kind: String) throws -> AuthorityRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM cvca_authority WHERE domain = ? AND kind = ?", arguments: [domain, kind]).map {
            AuthorityRow(country: $0["country"], mnemonic: $0["mnemonic"])
        }
    }

    static func insertAuthority(_ db: Database, domain: String, kind: String, country: String, mnemonic: String, now: Date) throws {
        try db.execute(sql: "INSERT INTO cvca_authority (domain, kind, country, mnemonic, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [domain, kind, country, mnemonic, now.timeIntervalSince1970])
    }

    // MARK: Keys

    struct KeyRow: Sendable {
        let id: Int64
        let chr: String
        let keyReference: String
        let algorithm: String
        let targetCAR: String?
        let request: [UInt8]?
        let createdAt: Date
    }

    /// The owner's keys, oldest first.
    static func keys(_ db: Database, domain: String, owner: String) throws -> [KeyRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM cvca_key WHERE domain = ? AND owner = ? ORDER BY id", arguments: [domain, owner]).map {
            let request: Data? = $0["request"]
            return KeyRow(id: $0["id"], chr: $0["chr"], keyReference: $0["key_reference"], algorithm: $0["algorithm"],
                          targetCAR: $0["target_car"], request: request.map { Array($0) },
                          createdAt: Date(timeIntervalSince1970: $0["created_at"]))
        }
    }

    static func insertKey(_ db: Database, domain: String, owner: String, chr: String, keyReference: String, algorithm: String,
                          targetCAR: String? = nil, request: [UInt8]? = nil, now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO cvca_key (domain, owner, chr, key_reference, algorithm, target_car, request, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, owner, chr, keyReference, algorithm, targetCAR, request.map { Data($0) }, now.timeIntervalSince1970])
    }

    // MARK: Certificates

    struct CertificateRow: Sendable {
        let id: Int64
        let source: String
        let issuer: String?
        let kind: String
        let der: [UInt8]
        let requestID: Int64?
        let recordedAt: Date
    }

    static func roleName(_ role: CertificateHolderAuthorizationTemplate.Role) -> String {
        switch role {
        case .cvca: "cvca"
        case .domesticDV: "dv-domestic"
        case .foreignDV: "dv-foreign"
        case .terminal: "terminal"
        }
    }

    static func insertCertificate(_ db: Database, domain: String, source: String, issuer: String?, kind: String,
                                  certificate: CVCertificate, requestID: Int64? = nil, now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO cvca_certificate (domain, source, issuer, kind, chr, car, role, chat, effective, expiration, der, request_id, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, source, issuer, kind, certificate.chr, certificate.car, roleName(certificate.role),
                        certificate.chat.authorizationHex, certificate.body.effectiveDate.description,
                        certificate.body.expirationDate.description, Data(try certificate.encoded), requestID,
                        now.timeIntervalSince1970])
    }

    /// Certificates of a source (and kind), oldest first.
    static func certificates(_ db: Database, domain: String, source: String? = nil, kind: String? = nil, holder: String? = nil) throws -> [CertificateRow] {
        var sql = "SELECT * FROM cvca_certificate WHERE domain = ?"
        var arguments: StatementArguments = [domain]
        if let holder {
            // A holder's CHRs: its country code and mnemonic, then five characters of sequence number.
            sql += " AND substr(chr, 1, CAST(? AS INTEGER)) = ? AND length(chr) = ?"
            arguments += [holder.count, holder, holder.count + 5]
        }
        if let source {
            sql += " AND source = ?"
            arguments += [source]
        }
        if let kind {
            sql += " AND kind = ?"
            arguments += [kind]
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).map {
            let der: Data = $0["der"]
            return CertificateRow(id: $0["id"], source: $0["source"], issuer: $0["issuer"], kind: $0["kind"], der: Array(der),
                                  requestID: $0["request_id"], recordedAt: Date(timeIntervalSince1970: $0["recorded_at"]))
        }
    }

    /// When the issuer certified this CHR already, the date; nil when it never did.
    static func certifiedAt(_ db: Database, domain: String, issuer: String, chr: String) throws -> Date? {
        try Double.fetchOne(
            db, sql: "SELECT recorded_at FROM cvca_certificate WHERE domain = ? AND source = 'issued' AND issuer = ? AND chr = ? AND kind IN ('dv', 'terminal')",
            arguments: [domain, issuer, chr]).map(Date.init(timeIntervalSince1970:))
    }

    /// The CHRs the issuer certified for one holder (country code and mnemonic), for sequence-number checks.
    static func certifiedCHRs(_ db: Database, domain: String, issuer: String, holderPrefix: String) throws -> [String] {
        try String.fetchAll(
            db, sql: """
                SELECT chr FROM cvca_certificate WHERE domain = ? AND source = 'issued' AND issuer = ? AND kind IN ('dv', 'terminal')
                AND substr(chr, 1, CAST(? AS INTEGER)) = ? AND length(chr) = ?
                """,
            arguments: [domain, issuer, holderPrefix.count, holderPrefix, holderPrefix.count + 5])
    }

    static func certificateExists(_ db: Database, domain: String, source: String, der: [UInt8]) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM cvca_certificate WHERE domain = ? AND source = ? AND der = ?)",
                          arguments: [domain, source, Data(der)]) ?? false
    }

    // MARK: Requests

    struct RequestRow: Sendable {
        let receiver: String
        let chr: String?
        let outerCAR: String?
        let resultCode: String
        let detail: String
        let der: [UInt8]
        let receivedAt: Date
    }

    @discardableResult
    static func insertRequest(_ db: Database, domain: String, receiver: String, chr: String?, outerCAR: String?,
                              result: TR03129ResultCode, detail: String, der: [UInt8], now: Date) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO cvca_request (domain, receiver, chr, outer_car, result_code, detail, der, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, receiver, chr, outerCAR, result.rawValue, detail, Data(der), now.timeIntervalSince1970])
        return try db.lastInsertedRowID
    }

    static func requests(_ db: Database, domain: String, receiver: String? = nil) throws -> [RequestRow] {
        let rows = receiver == nil
            ? try Row.fetchAll(db, sql: "SELECT * FROM cvca_request WHERE domain = ? ORDER BY id", arguments: [domain])
            : try Row.fetchAll(db, sql: "SELECT * FROM cvca_request WHERE domain = ? AND receiver = ? ORDER BY id", arguments: [domain, receiver])
        return rows.map {
            let der: Data = $0["der"]
            return RequestRow(receiver: $0["receiver"], chr: $0["chr"], outerCAR: $0["outer_car"], resultCode: $0["result_code"],
                              detail: $0["detail"], der: Array(der), receivedAt: Date(timeIntervalSince1970: $0["received_at"]))
        }
    }

    // MARK: Policy

    static func policy(_ db: Database, domain: String) throws -> CVCAPolicy {
        guard let json = try String.fetchOne(db, sql: "SELECT json FROM cvca_policy WHERE domain = ?", arguments: [domain]) else {
            return CVCAPolicy()
        }
        return try JSONDecoder().decode(CVCAPolicy.self, from: Data(json.utf8))
    }

    static func policyJSON(_ policy: CVCAPolicy) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(policy), as: UTF8.self)
    }

    static func setPolicy(_ db: Database, domain: String, policy: CVCAPolicy) throws {
        try db.execute(sql: "INSERT INTO cvca_policy (domain, json) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET json = excluded.json",
                       arguments: [domain, try policyJSON(policy)])
    }
}
