import Foundation
import PKICore
import Store

/// The CSCA's tables, and the only place that knows their SQL.
///
/// ```
/// csca_authority    one row per CSCA key: its certificate, key reference and state (active/retired)
/// csca_certificate  every certificate issued (CSCA, link, DS, MLS, DLS, SPOC TLS client/server) with its serial,
///                   DER and revocation
/// csca_crl          every CRL, numbered per domain
/// csca_list         signed master lists and deviation lists
/// csca_policy       the domain's policy as JSON
/// ```
enum CSCARepository {
    static let migrations: [EPKIStore.Migration] = [
        .init("csca-v1") { db in
            try db.create(table: "csca_authority") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("subject", .text).notNull()
                t.column("country", .text).notNull()
                t.column("key_reference", .text).notNull()
                t.column("certificate_serial", .text).notNull()
                t.column("state", .text).notNull()  // active | retired
                t.column("created_at", .double).notNull()
            }
            try db.create(table: "csca_certificate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("authority_id", .integer).references("csca_authority")
                t.column("kind", .text).notNull()  // csca | link | ds | mls | dls | spoc-client | spoc-server
                t.column("serial", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("not_before", .double).notNull()
                t.column("not_after", .double).notNull()
                t.column("ski", .text)
                t.column("key_reference", .text)
                t.column("der", .blob).notNull()
                t.column("issued_at", .double).notNull()
                t.column("revoked_at", .double)
                t.uniqueKey(["domain", "serial"])  // no serial number is ever used twice in a domain
            }
            try db.create(index: "csca_certificate_revoked", on: "csca_certificate", columns: ["domain", "authority_id", "revoked_at"])
            try db.create(table: "csca_crl") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("number", .integer).notNull()
                t.column("authority_id", .integer).notNull().references("csca_authority")
                t.column("this_update", .double).notNull()
                t.column("next_update", .double).notNull()
                t.column("entries", .integer).notNull()
                t.column("der", .blob).notNull()
                t.primaryKey(["domain", "number"])
            }
            try db.create(table: "csca_list") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("kind", .text).notNull()  // masterlist | deviationlist
                t.column("created_at", .double).notNull()
                t.column("der", .blob).notNull()
            }
            try db.create(table: "csca_policy") { t in
                t.primaryKey("domain", .text).references("domain")
                t.column("json", .text).notNull()
            }
        },
    ]

    struct AuthorityRow: Sendable {
        let id: Int64
        let subject: String
        let country: String
        let keyReference: String
        let certificateSerial: String
        let state: String
    }

    static func authorities(_ db: Database, domain: String) throws -> [AuthorityRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM csca_authority WHERE domain = ? ORDER BY id", arguments: [domain]).map {
            AuthorityRow(id: $0["id"], subject: $0["subject"], country: $0["country"], keyReference: $0["key_reference"],
                         certificateSerial: $0["certificate_serial"], state: $0["state"])
        }
    }

    static func insertAuthority(_ db: Database, domain: String, subject: String, country: String, keyReference: String,
                                serial: String, now: Date) throws -> Int64 {
        try db.execute(sql: "UPDATE csca_authority SET state = 'retired' WHERE domain = ? AND state = 'active'", arguments: [domain])
        try db.execute(
            sql: """
                INSERT INTO csca_authority (domain, subject, country, key_reference, certificate_serial, state, created_at)
                VALUES (?, ?, ?, ?, ?, 'active', ?)
                """,
            arguments: [domain, subject, country, keyReference, serial, now.timeIntervalSince1970])
        return try db.lastInsertedRowID
    }

    static func setAuthoritySerial(_ db: Database, id: Int64, serial: String) throws {
        try db.execute(sql: "UPDATE csca_authority SET certificate_serial = ? WHERE id = ?", arguments: [serial, id])
    }

    /// The key references the domain's certificates and authorities record.
    static func keyReferences(_ db: Database, domain: String) throws -> Set<String> {
        let certificates = try String.fetchAll(db, sql: "SELECT key_reference FROM csca_certificate WHERE domain = ? AND key_reference IS NOT NULL", arguments: [domain])
        let authorities = try String.fetchAll(db, sql: "SELECT key_reference FROM csca_authority WHERE domain = ?", arguments: [domain])
        return Set(certificates + authorities)
    }

    static func keyReferenceExists(_ db: Database, domain: String, reference: String) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS(SELECT 1 FROM csca_certificate WHERE domain = ? AND key_reference = ?)
                OR EXISTS(SELECT 1 FROM csca_authority WHERE domain = ? AND key_reference = ?)
            """, arguments: [domain, reference, domain, reference]) ?? false
    }

    static func serialExists(_ db: Database, domain: String, serial: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM csca_certificate WHERE domain = ? AND serial = ?)", arguments: [domain, serial]) ?? false
    }

    static func insertCertificate(_ db: Database, domain: String, authorityID: Int64?, kind: String, certificate: Certificate,
                                  keyReference: String?, now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO csca_certificate (domain, authority_id, kind, serial, subject, not_before, not_after, ski, key_reference, der, issued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, authorityID, kind, certificate.serialNumberHex, certificate.subject.description,
                        certificate.notBefore.timeIntervalSince1970, certificate.notAfter.timeIntervalSince1970,
                        certificate.subjectKeyIdentifier?.hexString, keyReference, Data(certificate.derEncoded),
                        now.timeIntervalSince1970])
    }

    struct CertificateRow: Sendable {
        let kind: String
        let serial: String
        let subject: String
        let authorityID: Int64?
        let keyReference: String?
        let der: [UInt8]
        let issuedAt: Date
        let revokedAt: Date?
    }

    static func certificateRow(_ row: Row) -> CertificateRow {
        let der: Data = row["der"]
        let revoked: Double? = row["revoked_at"]
        return CertificateRow(kind: row["kind"], serial: row["serial"], subject: row["subject"], authorityID: row["authority_id"],
                              keyReference: row["key_reference"], der: Array(der), issuedAt: Date(timeIntervalSince1970: row["issued_at"]),
                              revokedAt: revoked.map(Date.init(timeIntervalSince1970:)))
    }

    static func certificates(_ db: Database, domain: String, kind: String? = nil) throws -> [CertificateRow] {
        let rows = kind == nil
            ? try Row.fetchAll(db, sql: "SELECT * FROM csca_certificate WHERE domain = ? ORDER BY id", arguments: [domain])
            : try Row.fetchAll(db, sql: "SELECT * FROM csca_certificate WHERE domain = ? AND kind = ? ORDER BY id", arguments: [domain, kind])
        return rows.map(certificateRow)
    }

    static func certificate(_ db: Database, domain: String, serial: String) throws -> CertificateRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM csca_certificate WHERE domain = ? AND serial = ?", arguments: [domain, serial]).map(certificateRow)
    }

    static func markRevoked(_ db: Database, domain: String, serial: String, at date: Date) throws {
        try db.execute(sql: "UPDATE csca_certificate SET revoked_at = ? WHERE domain = ? AND serial = ?",
                       arguments: [date.timeIntervalSince1970, domain, serial])
    }

    /// Revoked certificates issued under one CSCA key, as CRL entries, read with a cursor so 100,000 entries
    /// never sit in memory as rows.
    static func forEachRevoked(_ db: Database, domain: String, authorityID: Int64, _ body: (String, Date) throws -> Void) throws {
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT serial, revoked_at FROM csca_certificate WHERE domain = ? AND authority_id = ? AND revoked_at IS NOT NULL ORDER BY revoked_at, serial",
            arguments: [domain, authorityID])
        while let row = try cursor.next() {
            try body(row["serial"], Date(timeIntervalSince1970: row["revoked_at"]))
        }
    }

    static func lastCRL(_ db: Database, domain: String) throws -> (number: Int64, thisUpdate: Date, nextUpdate: Date, der: [UInt8])? {
        try Row.fetchOne(db, sql: "SELECT * FROM csca_crl WHERE domain = ? ORDER BY number DESC LIMIT 1", arguments: [domain]).map {
            let der: Data = $0["der"]
            return ($0["number"], Date(timeIntervalSince1970: $0["this_update"]), Date(timeIntervalSince1970: $0["next_update"]), Array(der))
        }
    }

    static func insertCRL(_ db: Database, domain: String, number: Int64, authorityID: Int64, crl: CertificateRevocationList, entries: Int) throws {
        try db.execute(
            sql: "INSERT INTO csca_crl (domain, number, authority_id, this_update, next_update, entries, der) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [domain, number, authorityID, crl.thisUpdate.date.timeIntervalSince1970,
                        (crl.nextUpdate?.date ?? crl.thisUpdate.date).timeIntervalSince1970, entries, Data(crl.derEncoded)])
    }

    /// The earliest revocation after the given time (a revocation makes a new CRL due within 48 hours).
    static func firstRevocation(_ db: Database, domain: String, after date: Date?) throws -> Date? {
        let value = try Double.fetchOne(
            db, sql: "SELECT MIN(revoked_at) FROM csca_certificate WHERE domain = ? AND revoked_at IS NOT NULL AND revoked_at > ?",
            arguments: [domain, date?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude])
        return value.map(Date.init(timeIntervalSince1970:))
    }

    static func insertList(_ db: Database, domain: String, kind: String, der: [UInt8], now: Date) throws {
        try db.execute(sql: "INSERT INTO csca_list (domain, kind, created_at, der) VALUES (?, ?, ?, ?)",
                       arguments: [domain, kind, now.timeIntervalSince1970, Data(der)])
    }

    static func policy(_ db: Database, domain: String) throws -> CSCAPolicy {
        guard let json = try String.fetchOne(db, sql: "SELECT json FROM csca_policy WHERE domain = ?", arguments: [domain]) else {
            return CSCAPolicy()
        }
        return try JSONDecoder().decode(CSCAPolicy.self, from: Data(json.utf8))
    }

    static func setPolicy(_ db: Database, domain: String, policy: CSCAPolicy) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(policy), as: UTF8.self)
        try db.execute(sql: "INSERT INTO csca_policy (domain, json) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET json = excluded.json",
                       arguments: [domain, json])
    }
}
