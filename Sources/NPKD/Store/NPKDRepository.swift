import Foundation
import GRDBSQLite
import PKICore
import Store

/// The NPKD's tables, and the only place that knows their SQL (a second engine later only replaces this file).
///
/// ```
/// npkd_certificate         every certificate received (CSCA, link, DS, MLS, DLS), once per DER (duplicates merged),
///                          with its findings, its verified issuer and its trust state
/// npkd_certificate_der     the DER of each certificate, apart from its row: the rows a trust evaluation reads and
///                          rewrites (30,000 after an ICAO collection) stay half as big
/// npkd_certificate_source  every time a certificate was received: file, list, import time
/// npkd_crl                 every CRL received, with the key that verified it (NULL: applies to nothing)
/// npkd_crl_der             the bytes of each CRL still held (current or unverified), apart from its row: marking a
///                          35 MB CRL superseded, or counting its entries, does not rewrite its bytes
/// npkd_crl_entry           the entries of each current CRL: (crl, serial) → revocation date, WITHOUT ROWID
/// npkd_list                master lists and deviation lists, with their verification report
/// npkd_deviation           the deviations of each deviation list
/// npkd_trusted_signer      master list signers the operator trusts (--trust-signer)
/// npkd_pkd_version         the highest ICAO PKD LDIF pkdVersion imported per collection (001, 002, 003)
/// npkd_verification        the verification history, when the service records it (VerificationRecord)
/// ```
/// A certificate or CRL that came from an ICAO PKD LDIF entry keeps the entry's normalised dn (`pkd_dn`), so that a
/// delta's `delete` or `modify` of that entry finds it; a certificate whose entry a delta deleted keeps why
/// (`withdrawn`) and is no longer trusted, a CRL whose entry was deleted or replaced becomes `withdrawn`.
/// Serial numbers and key identifiers are upper-case hex; CRL entry serials are raw bytes, to keep a
/// million-entry CRL small. Times are seconds since 1970.
enum NPKDRepository {
    static let migrations: [EPKIStore.Migration] = [
        .init("npkd-v1") { db in
            try db.create(table: "npkd_certificate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("fingerprint", .text).notNull()  // SHA-256 of the DER
                t.column("kind", .text).notNull()  // csca | link | ds | mls | dls
                t.column("country", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("subject_key", .text).notNull()  // normalised name, for issuer matching
                t.column("issuer", .text).notNull()
                t.column("issuer_key", .text).notNull()
                t.column("serial", .text).notNull()
                t.column("ski", .text)
                t.column("aki", .text)
                t.column("key_hash", .text).notNull()  // SHA-256 of the subjectPublicKey bits: one CSCA key, several certificates
                t.column("not_before", .double).notNull()
                t.column("not_after", .double).notNull()
                t.column("der", .blob).notNull()
                t.column("source", .text).notNull()  // where it was first received
                t.column("imported_at", .double).notNull()
                t.column("findings", .text).notNull()  // JSON [ProfileLinter.Finding]
                t.column("errors", .integer).notNull()
                t.column("pkd_conformance", .text)  // pkdConformanceCode/Text of ICAO's nc-data, when it came from there
                t.column("anchor", .text)  // why the operator trusts it directly; NULL: not an anchor
                t.column("signature_issuer_id", .integer)  // the CA certificate whose key verifies its signature
                t.column("state", .text).notNull()
                t.column("state_reason", .text).notNull()
                t.uniqueKey(["domain", "fingerprint"])
            }
            try db.create(index: "npkd_certificate_kind", on: "npkd_certificate", columns: ["domain", "kind", "country"])
            try db.create(index: "npkd_certificate_ski", on: "npkd_certificate", columns: ["domain", "ski"])
            try db.create(index: "npkd_certificate_subject", on: "npkd_certificate", columns: ["domain", "subject_key"])
            try db.create(index: "npkd_certificate_key", on: "npkd_certificate", columns: ["domain", "key_hash"])
            try db.create(index: "npkd_certificate_serial", on: "npkd_certificate", columns: ["domain", "serial"])
            try db.create(index: "npkd_certificate_issuer", on: "npkd_certificate", columns: ["domain", "issuer_key"])
            try db.create(index: "npkd_certificate_aki", on: "npkd_certificate", columns: ["domain", "aki"])
            try db.create(table: "npkd_certificate_source") { t in
                t.column("certificate_id", .integer).notNull().references("npkd_certificate", onDelete: .cascade)
                t.column("source", .text).notNull()
                t.column("list_id", .integer)
                t.column("imported_at", .double).notNull()
            }
            try db.create(index: "npkd_certificate_source_certificate", on: "npkd_certificate_source", columns: ["certificate_id"])
            try db.create(table: "npkd_crl") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("fingerprint", .text).notNull()
                t.column("country", .text).notNull()
                t.column("issuer", .text).notNull()
                t.column("issuer_key", .text).notNull()
                t.column("aki", .text)  // the issuer key identifier the CRL names
                t.column("issuer_key_hash", .text)  // the key that verified it; NULL: signer unknown, applies to nothing
                t.column("issuer_certificate_id", .integer)
                t.column("crl_number", .text)  // hex
                t.column("crl_number_value", .integer)  // when it fits, for ordering
                t.column("this_update", .double).notNull()
                t.column("next_update", .double)
                t.column("entries", .integer).notNull()
                t.column("status", .text).notNull()  // current | superseded | unverified
                t.column("source", .text).notNull()
                t.column("imported_at", .double).notNull()
                t.column("findings", .text).notNull()
                t.column("errors", .integer).notNull()
                t.column("der", .blob)  // dropped when superseded
                t.uniqueKey(["domain", "fingerprint"])
            }
            try db.create(index: "npkd_crl_issuer", on: "npkd_crl", columns: ["domain", "issuer_key_hash", "status"])
            try db.create(index: "npkd_crl_aki", on: "npkd_crl", columns: ["domain", "aki", "status"])
            try db.create(index: "npkd_crl_country", on: "npkd_crl", columns: ["domain", "country"])
            try db.execute(sql: """
                CREATE TABLE npkd_crl_entry (
                    crl_id INTEGER NOT NULL REFERENCES npkd_crl(id) ON DELETE CASCADE,
                    serial BLOB NOT NULL,
                    revoked_at REAL NOT NULL,
                    PRIMARY KEY (crl_id, serial)
                ) WITHOUT ROWID
                """)
            try db.create(table: "npkd_list") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("kind", .text).notNull()  // masterlist | deviationlist
                t.column("fingerprint", .text).notNull()
                t.column("country", .text).notNull()
                t.column("signer_subject", .text).notNull()
                t.column("signer_fingerprint", .text).notNull()
                t.column("signing_time", .double)
                t.column("source", .text).notNull()
                t.column("imported_at", .double).notNull()
                t.column("report", .text).notNull()  // JSON VerificationReport
                t.column("findings", .text).notNull()
                t.column("errors", .integer).notNull()
                t.column("state", .text).notNull()  // trusted | untrusted
                t.column("state_reason", .text).notNull()
                t.column("certificates", .integer).notNull()
                t.column("der", .blob).notNull()
                t.uniqueKey(["domain", "fingerprint"])
            }
            try db.create(table: "npkd_deviation") { t in
                t.column("list_id", .integer).notNull().references("npkd_list", onDelete: .cascade)
                t.column("document_type", .text)
                t.column("signer", .text)  // the DS identifier as text: ski:HEX, issuer+serial, digest
                t.column("first_issued", .double)
                t.column("last_issued", .double)
                t.column("document_numbers", .text).notNull()  // JSON
                t.column("descriptions", .text).notNull()  // JSON
            }
            try db.create(table: "npkd_trusted_signer") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("fingerprint", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("der", .blob).notNull()
                t.column("added_at", .double).notNull()
                t.primaryKey(["domain", "fingerprint"])
            }
            try db.create(table: "npkd_pkd_version") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("collection", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("complete", .boolean).notNull()
                t.column("imported_at", .double).notNull()
                t.primaryKey(["domain", "collection"])
            }
        },
        .init("npkd-v2") { db in
            // ICAO PKD delta files name objects by their directory entry. Looked up through the serial and country
            // indexes (a delta deletes a handful of entries), so no index of its own slows the bulk inserts.
            try db.alter(table: "npkd_certificate") { t in
                t.add(column: "pkd_dn", .text)  // the normalised dn of the LDIF entry that brought it
                t.add(column: "withdrawn", .text)  // why the ICAO PKD no longer lists it (a delta deleted its entry); NULL: listed
            }
            try db.alter(table: "npkd_crl") { t in
                t.add(column: "pkd_dn", .text)
            }
            // Indexes an ICAO collection fills 30,000 times in one import, cut to what is asked of them: nothing looks a
            // certificate up by key hash; issuer name and AKI are asked only of certificates not yet matched to their CA
            // (nearly none once the CSCAs are held), subject name only of CA certificates.
            try db.drop(index: "npkd_certificate_key")
            try db.drop(index: "npkd_certificate_issuer")
            try db.drop(index: "npkd_certificate_aki")
            try db.drop(index: "npkd_certificate_subject")
            try db.execute(sql: """
                CREATE INDEX npkd_certificate_unmatched_issuer ON npkd_certificate(domain, issuer_key) WHERE signature_issuer_id IS NULL;
                CREATE INDEX npkd_certificate_unmatched_aki ON npkd_certificate(domain, aki) WHERE signature_issuer_id IS NULL;
                CREATE INDEX npkd_certificate_authority_subject ON npkd_certificate(domain, subject_key) WHERE kind IN ('csca', 'link');
                CREATE TABLE npkd_crl_der (
                    crl_id INTEGER PRIMARY KEY REFERENCES npkd_crl(id) ON DELETE CASCADE,
                    der BLOB NOT NULL
                );
                INSERT INTO npkd_crl_der (crl_id, der) SELECT id, der FROM npkd_crl WHERE der IS NOT NULL;
                CREATE TABLE npkd_certificate_der (
                    certificate_id INTEGER PRIMARY KEY REFERENCES npkd_certificate(id) ON DELETE CASCADE,
                    der BLOB NOT NULL
                );
                INSERT INTO npkd_certificate_der (certificate_id, der) SELECT id, der FROM npkd_certificate;
                """)
            try db.alter(table: "npkd_crl") { t in
                t.drop(column: "der")
            }
            try db.alter(table: "npkd_certificate") { t in
                t.drop(column: "der")
            }
        },
        .init("npkd-v3") { db in
            // The verification history (`serve --record-verifications`, off by default): no document data, see
            // VerificationRecord. Counted by country and verdict.
            try db.execute(sql: """
                CREATE TABLE npkd_verification (
                    id INTEGER PRIMARY KEY,
                    domain TEXT NOT NULL,
                    verified_at REAL NOT NULL,
                    verdict TEXT NOT NULL,
                    country TEXT NOT NULL,
                    ds_fingerprint TEXT,
                    ds_serial TEXT,
                    failed_checks TEXT NOT NULL
                );
                CREATE INDEX npkd_verification_country ON npkd_verification(domain, country, verdict);
                """)
        },
    ]

    // MARK: - Certificates

    struct CertificateRow: Sendable {
        var id: Int64
        var fingerprint: String
        var kind: String
        var country: String
        var subject: String
        var issuer: String
        var serial: String
        var ski: String?
        var aki: String?
        var keyHash: String
        var notBefore: Date
        var notAfter: Date
        var der: [UInt8]
        var source: String
        var importedAt: Date
        var findings: String
        var errors: Int
        var pkdConformance: String?
        var anchor: String?
        var signatureIssuerID: Int64?
        var state: String
        var stateReason: String
        var pkdDN: String?
        var withdrawn: String?
    }

    /// Every column of a certificate, its DER from its own table.
    static let certificateSelect = """
        SELECT npkd_certificate.*, npkd_certificate_der.der AS der FROM npkd_certificate
        JOIN npkd_certificate_der ON npkd_certificate_der.certificate_id = npkd_certificate.id
        """

    static func certificateRow(_ row: Row) -> CertificateRow {
        let der: Data = row["der"]
        return CertificateRow(
            id: row["id"], fingerprint: row["fingerprint"], kind: row["kind"], country: row["country"], subject: row["subject"],
            issuer: row["issuer"], serial: row["serial"], ski: row["ski"], aki: row["aki"], keyHash: row["key_hash"],
            notBefore: Date(timeIntervalSince1970: row["not_before"]), notAfter: Date(timeIntervalSince1970: row["not_after"]),
            der: Array(der), source: row["source"], importedAt: Date(timeIntervalSince1970: row["imported_at"]), findings: row["findings"],
            errors: row["errors"], pkdConformance: row["pkd_conformance"], anchor: row["anchor"],
            signatureIssuerID: row["signature_issuer_id"], state: row["state"], stateReason: row["state_reason"], pkdDN: row["pkd_dn"],
            withdrawn: row["withdrawn"])
    }

    static func certificate(_ db: Database, domain: String, fingerprint: String) throws -> CertificateRow? {
        try Row.fetchOne(db, sql: "\(certificateSelect) WHERE domain = ? AND fingerprint = ?", arguments: [domain, fingerprint])
            .map(certificateRow)
    }

    static func certificate(_ db: Database, id: Int64) throws -> CertificateRow? {
        try Row.fetchOne(db, sql: "\(certificateSelect) WHERE id = ?", arguments: [id]).map(certificateRow)
    }

    /// Every certificate of the domain, optionally of some kinds and one country, in import order.
    static func certificates(_ db: Database, domain: String, kinds: [String]? = nil, country: String? = nil,
                             states: [String]? = nil) throws -> [CertificateRow] {
        var sql = "\(certificateSelect) WHERE domain = ?"
        var arguments: StatementArguments = [domain]
        if let kinds {
            sql += " AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))"
            for kind in kinds { _ = arguments.append(contentsOf: [kind]) }
        }
        if let country {
            sql += " AND country = ?"
            _ = arguments.append(contentsOf: [country])
        }
        if let states {
            sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
            for state in states { _ = arguments.append(contentsOf: [state]) }
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).map(certificateRow)
    }

    static func certificates(_ db: Database, domain: String, ski: String) throws -> [CertificateRow] {
        try Row.fetchAll(db, sql: "\(certificateSelect) WHERE domain = ? AND ski = ? ORDER BY id", arguments: [domain, ski])
            .map(certificateRow)
    }

    static func certificates(_ db: Database, domain: String, serial: String) throws -> [CertificateRow] {
        try Row.fetchAll(db, sql: "\(certificateSelect) WHERE domain = ? AND serial = ? ORDER BY id", arguments: [domain, serial])
            .map(certificateRow)
    }

    /// CA certificates (CSCA and link) that may have issued a certificate with this AKI and issuer name.
    static func caCandidates(_ db: Database, domain: String, aki: String?, issuerKey: String) throws -> [CertificateRow] {
        var rows: [CertificateRow] = []
        if let aki {
            rows = try Row.fetchAll(db, sql: "\(certificateSelect) WHERE domain = ? AND ski = ? AND kind IN ('csca', 'link') ORDER BY id",
                                    arguments: [domain, aki]).map(certificateRow)
        }
        let byName = try Row.fetchAll(db, sql: "\(certificateSelect) WHERE domain = ? AND subject_key = ? AND kind IN ('csca', 'link') ORDER BY id",
                                      arguments: [domain, issuerKey]).map(certificateRow)
        for row in byName where !rows.contains(where: { $0.id == row.id }) { rows.append(row) }
        return rows
    }

    /// Every CA certificate (CSCA, link) of the domain, in id order, for an import's `IssuerIndex`.
    static func authorities(_ db: Database, domain: String) throws -> [(id: Int64, ski: String?, subjectKey: String, keyHash: String, der: [UInt8])] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, ski, subject_key, key_hash, der FROM npkd_certificate JOIN npkd_certificate_der ON certificate_id = id
            WHERE domain = ? AND kind IN ('csca', 'link') ORDER BY id
            """), arguments: [domain]).map { row in
            let der: Data = row["der"]
            return (row["id"], row["ski"], row["subject_key"], row["key_hash"], Array(der))
        }
    }

    /// What the import needs to know of a certificate it receives again: no DER, one cached statement.
    struct HeldCertificate {
        let id: Int64
        let kind: String
        let ski: String?
        let subjectKey: String
        let keyHash: String
        let pkdConformance: String?
        let pkdDN: String?
        let withdrawn: String?
    }

    static func heldCertificate(_ db: Database, domain: String, fingerprint: String) throws -> HeldCertificate? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, kind, ski, subject_key, key_hash, pkd_conformance, pkd_dn, withdrawn FROM npkd_certificate WHERE domain = ? AND fingerprint = ?
            """), arguments: [domain, fingerprint]).map {
            HeldCertificate(id: $0["id"], kind: $0["kind"], ski: $0["ski"], subjectKey: $0["subject_key"], keyHash: $0["key_hash"],
                            pkdConformance: $0["pkd_conformance"], pkdDN: $0["pkd_dn"], withdrawn: $0["withdrawn"])
        }
    }

    /// A certificate's columns, worked out before the INSERT (on the thread that prepares it, in an LDIF import).
    struct NewCertificate: Sendable {
        var fingerprint: String
        var kind: String
        var country: String
        var subject: String
        var issuer: String
        var subjectKey: String
        var issuerKey: String
        var serial: String
        var ski: String?
        var aki: String?
        var keyHash: String
        var notBefore: Double
        var notAfter: Double
        var der: Data
        var findings: String
        var errors: Int
        var source = ""
        var pkdConformance: String?
        /// The CA certificate whose key verifies its signature, when already known.
        var signatureIssuerID: Int64?
        var pkdDN: String?

        init(fingerprint: String, kind: String, certificate c: Certificate, subjectKey: String, issuerKey: String, keyHash: String,
             findings: String, errors: Int) {
            self.fingerprint = fingerprint
            self.kind = kind
            country = ObjectIdentity.country(subject: c.subject, issuer: c.issuer)
            subject = c.subject.description
            issuer = c.issuer.description
            self.subjectKey = subjectKey
            self.issuerKey = issuerKey
            serial = c.serialNumberHex
            ski = c.subjectKeyIdentifier?.hexString
            aki = c.authorityKeyIdentifier?.hexString
            self.keyHash = keyHash
            notBefore = c.notBefore.timeIntervalSince1970
            notAfter = c.notAfter.timeIntervalSince1970
            der = Data(c.encoded)
            self.findings = findings
            self.errors = errors
        }
    }

    /// Inserts a certificate with a cached statement (an ICAO collection inserts 30,000 in one go); nil when one with
    /// the same fingerprint is held already, which the caller then merges.
    static func insertCertificate(_ db: Database, domain: String, _ new: NewCertificate, now: Date) throws -> Int64? {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO npkd_certificate (domain, fingerprint, kind, country, subject, subject_key, issuer, issuer_key, serial, ski, aki,
                key_hash, not_before, not_after, source, imported_at, findings, errors, pkd_conformance, signature_issuer_id, pkd_dn,
                state, state_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'untrusted', 'not yet evaluated')
            ON CONFLICT (domain, fingerprint) DO NOTHING
            """)
        try statement.execute(arguments: [
            domain, new.fingerprint, new.kind, new.country, new.subject, new.subjectKey, new.issuer, new.issuerKey, new.serial, new.ski,
            new.aki, new.keyHash, new.notBefore, new.notAfter, new.source, now.timeIntervalSince1970, new.findings, new.errors,
            new.pkdConformance, new.signatureIssuerID, new.pkdDN,
        ])
        guard db.changesCount > 0 else { return nil }
        let id = try db.lastInsertedRowID
        try db.cachedStatement(sql: "INSERT INTO npkd_certificate_der (certificate_id, der) VALUES (?, ?)").execute(arguments: [id, new.der])
        return id
    }

    static func addSource(_ db: Database, certificateID: Int64, source: String, listID: Int64?, now: Date) throws {
        try db.cachedStatement(sql: "INSERT INTO npkd_certificate_source (certificate_id, source, list_id, imported_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [certificateID, source, listID, now.timeIntervalSince1970])
    }

    /// The ICAO PKD entry that brought a certificate, and whether the PKD withdrew it (nil: it lists it again).
    static func setPKDEntry(_ db: Database, id: Int64, dn: String?, withdrawn: String?) throws {
        // COALESCE: a certificate listed again keeps the dn it has.
        try db.cachedStatement(sql: "UPDATE npkd_certificate SET pkd_dn = COALESCE(?, pkd_dn), withdrawn = ? WHERE id = ?")
            .execute(arguments: [dn, withdrawn, id])
    }

    /// Certificates with this serial (hex, with or without DER's leading zero octet) in a country: where a delta's
    /// `delete` of `cn=...+sn=SERIAL,o=dsc,c=XX` looks.
    static func certificates(_ db: Database, domain: String, country: String, serialHex: String) throws -> [CertificateRow] {
        let bare = String(serialHex.uppercased().drop(while: { $0 == "0" }))
        var variants = Set([serialHex.uppercased(), bare, "0" + bare, "00" + bare])
        if bare.count % 2 == 1 { variants.insert("0" + bare) }
        let list = variants.sorted()
        return try Row.fetchAll(db, sql: """
            \(certificateSelect) WHERE domain = ? AND serial IN (\(list.map { _ in "?" }.joined(separator: ","))) ORDER BY id
            """, arguments: StatementArguments([domain] + list)).map(certificateRow).filter { $0.country == country.uppercased() || country.isEmpty }
    }

    static func sources(_ db: Database, certificateID: Int64) throws -> [(source: String, listID: Int64?, importedAt: Date)] {
        try Row.fetchAll(db, sql: "SELECT * FROM npkd_certificate_source WHERE certificate_id = ? ORDER BY rowid", arguments: [certificateID]).map {
            ($0["source"], $0["list_id"], Date(timeIntervalSince1970: $0["imported_at"]))
        }
    }

    /// A certificate received again: a CA that arrived as a DS guess (from a loose file) becomes what a list says it is.
    static func updateKind(_ db: Database, id: Int64, kind: String) throws {
        try db.execute(sql: "UPDATE npkd_certificate SET kind = ? WHERE id = ?", arguments: [kind, id])
    }

    static func setPKDConformance(_ db: Database, id: Int64, text: String) throws {
        try db.execute(sql: "UPDATE npkd_certificate SET pkd_conformance = ? WHERE id = ?", arguments: [text, id])
    }

    static func setAnchor(_ db: Database, id: Int64, reason: String?) throws {
        try db.execute(sql: "UPDATE npkd_certificate SET anchor = ? WHERE id = ?", arguments: [reason, id])
    }

    static func setSignatureIssuer(_ db: Database, id: Int64, issuerID: Int64) throws {
        try db.cachedStatement(sql: "UPDATE npkd_certificate SET signature_issuer_id = ? WHERE id = ?").execute(arguments: [issuerID, id])
    }

    static func setState(_ db: Database, id: Int64, state: String, reason: String) throws {
        try db.cachedStatement(sql: "UPDATE npkd_certificate SET state = ?, state_reason = ? WHERE id = ? AND (state != ? OR state_reason != ?)")
            .execute(arguments: [state, reason, id, state, reason])
    }

    /// Certificates whose signature has not been matched to a stored CA yet, that a CA with this SKI or name may have
    /// issued: their id and DER only.
    static func unmatchedCertificates(_ db: Database, domain: String, aki: String?, issuerKey: String) throws -> [(id: Int64, der: [UInt8])] {
        func fetch(_ sql: String, _ key: String) throws -> [(id: Int64, der: [UInt8])] {
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [domain, key]).map { row in
                let der: Data = row["der"]
                return (row["id"], Array(der))
            }
        }
        let select = "SELECT id, der FROM npkd_certificate JOIN npkd_certificate_der ON certificate_id = id"
        var rows = try fetch("\(select) WHERE domain = ? AND issuer_key = ? AND signature_issuer_id IS NULL ORDER BY id", issuerKey)
        if let aki {
            var seen = Set(rows.map(\.id))
            for row in try fetch("\(select) WHERE domain = ? AND aki = ? AND signature_issuer_id IS NULL ORDER BY id", aki)
            where seen.insert(row.id).inserted {
                rows.append(row)
            }
        }
        return rows
    }

    /// The compact view the trust evaluation needs for every certificate: no DER.
    struct TrustRow: Sendable {
        let id: Int64
        let kind: String
        let serial: String
        let keyHash: String
        let notBefore: Date
        let notAfter: Date
        let errors: Int
        let pkdConformance: String?
        let anchor: String?
        let signatureIssuerID: Int64?
        let state: String
        let stateReason: String
        let withdrawn: String?
    }

    /// Every certificate's trust facts, read through a cursor by column position: 30,000 rows after an ICAO collection,
    /// where looking each column up by name cost more than reading it.
    static func trustRows(_ db: Database, domain: String) throws -> [TrustRow] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: """
                SELECT id, kind, serial, key_hash, not_before, not_after, errors, pkd_conformance, anchor, signature_issuer_id, state, state_reason,
                    withdrawn
                FROM npkd_certificate WHERE domain = ? ORDER BY id
                """), arguments: [domain])
        var result: [TrustRow] = []
        while let row = try rows.next() {
            result.append(TrustRow(
                id: row[0], kind: row[1], serial: row[2], keyHash: row[3], notBefore: Date(timeIntervalSince1970: row[4]),
                notAfter: Date(timeIntervalSince1970: row[5]), errors: row[6], pkdConformance: row[7], anchor: row[8], signatureIssuerID: row[9],
                state: row[10], stateReason: row[11], withdrawn: row[12]))
        }
        return result
    }

    static func counts(_ db: Database, domain: String) throws -> [(kind: String, state: String, count: Int)] {
        try Row.fetchAll(db, sql: "SELECT kind, state, COUNT(*) AS n FROM npkd_certificate WHERE domain = ? GROUP BY kind, state ORDER BY kind, state",
                         arguments: [domain]).map { ($0["kind"], $0["state"], $0["n"]) }
    }

    // MARK: - CRLs

    struct CRLRow: Sendable {
        let id: Int64
        let fingerprint: String
        let country: String
        let issuer: String
        let aki: String?
        let issuerKeyHash: String?
        let issuerCertificateID: Int64?
        let crlNumber: String?
        let thisUpdate: Date
        let nextUpdate: Date?
        let entries: Int
        let status: String
        let source: String
        let importedAt: Date
        let findings: String
        let errors: Int
        let issuerKey: String
        let pkdDN: String?
    }

    static let crlColumns = """
        id, fingerprint, country, issuer, aki, issuer_key_hash, issuer_certificate_id, crl_number, this_update, next_update, entries, status,
        source, imported_at, findings, errors, issuer_key, pkd_dn
        """

    static func crlRow(_ row: Row) -> CRLRow {
        let next: Double? = row["next_update"]
        return CRLRow(id: row["id"], fingerprint: row["fingerprint"], country: row["country"], issuer: row["issuer"], aki: row["aki"],
                      issuerKeyHash: row["issuer_key_hash"], issuerCertificateID: row["issuer_certificate_id"], crlNumber: row["crl_number"],
                      thisUpdate: Date(timeIntervalSince1970: row["this_update"]), nextUpdate: next.map(Date.init(timeIntervalSince1970:)),
                      entries: row["entries"], status: row["status"], source: row["source"],
                      importedAt: Date(timeIntervalSince1970: row["imported_at"]), findings: row["findings"], errors: row["errors"],
                      issuerKey: row["issuer_key"], pkdDN: row["pkd_dn"])
    }

    static func crlExists(_ db: Database, domain: String, fingerprint: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM npkd_crl WHERE domain = ? AND fingerprint = ?"), arguments: [domain, fingerprint])
    }

    struct NewCRL {
        var fingerprint: String
        var country: String
        var crl: CertificateRevocationList
        var issuerKey: String
        var issuerKeyHash: String?
        var issuerCertificateID: Int64?
        var status: String
        var source: String
        var findings: String
        var errors: Int
        var keepDER: Bool
        var pkdDN: String? = nil
    }

    static func insertCRL(_ db: Database, domain: String, _ new: NewCRL, now: Date) throws -> Int64 {
        let crl = new.crl
        let number = crl.crlNumber
        try db.execute(
            sql: """
                INSERT INTO npkd_crl (domain, fingerprint, country, issuer, issuer_key, aki, issuer_key_hash, issuer_certificate_id, crl_number,
                    crl_number_value, this_update, next_update, entries, status, source, imported_at, findings, errors, pkd_dn)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, new.fingerprint, new.country, crl.issuer.description, new.issuerKey, crl.authorityKeyIdentifier?.hexString,
                        new.issuerKeyHash, new.issuerCertificateID, number.map { $0.bytes.hexString },
                        number?.value.flatMap { Int64(exactly: $0) }, crl.thisUpdate.date.timeIntervalSince1970,
                        crl.nextUpdate?.date.timeIntervalSince1970, new.status, new.source, now.timeIntervalSince1970, new.findings,
                        new.errors, new.pkdDN])
        let id = try db.lastInsertedRowID
        if new.keepDER { try insertCRLBytes(db, id: id, der: crl.encoded) }
        return id
    }

    /// Findings about the entries, found while they were indexed.
    static func addCRLFindings(_ db: Database, id: Int64, _ findings: [FindingRecord]) throws {
        let held = FindingRecord.decode(try String.fetchOne(db, sql: "SELECT findings FROM npkd_crl WHERE id = ?", arguments: [id]) ?? "[]")
        let merged = held + findings.filter { !held.contains($0) }
        try db.execute(sql: "UPDATE npkd_crl SET findings = ?, errors = ? WHERE id = ?",
                       arguments: [FindingRecord.encode(merged), merged.filter { $0.severity == "error" }.count, id])
    }

    static func setCRLEntryCount(_ db: Database, id: Int64, entries: Int) throws {
        try db.execute(sql: "UPDATE npkd_crl SET entries = ? WHERE id = ?", arguments: [entries, id])
    }

    /// Inserts a CRL's entries in the order given, as multi-row statements of `batchSize` rows, bound through the
    /// SQLite C API straight from the packed buffer (a million entries, three values each, without boxing one).
    /// Duplicates (the same serial twice in one CRL) are ignored; the count returned is of the rows inserted.
    static func insertCRLEntries(_ db: Database, crlID: Int64, entries: CRLEntryBuffer, order: [UInt32], batchSize: Int,
                                 afterBatch: (Int) -> Void) throws -> Int {
        guard let connection = db.sqliteConnection else {
            return try insertCRLEntriesPortably(db, crlID: crlID, entries: entries, order: order, batchSize: batchSize, afterBatch: afterBatch)
        }
        func prepare(_ rows: Int) throws -> OpaquePointer {
            let sql = "INSERT OR IGNORE INTO npkd_crl_entry (crl_id, serial, revoked_at) VALUES "
                + Array(repeating: "(?, ?, ?)", count: rows).joined(separator: ",")
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
            guard code == SQLITE_OK, let statement else {
                throw sqliteFailure(connection, code)
            }
            return statement
        }
        func check(_ code: CInt, _ expected: CInt = SQLITE_OK) throws {
            guard code == expected else {
                throw sqliteFailure(connection, code)
            }
        }
        var full: OpaquePointer?
        defer { sqlite3_finalize(full) }
        var inserted = 0
        try entries.serials.withUnsafeBufferPointer { arena in
            guard let base = arena.baseAddress else { return }
            var position = 0
            while position < order.count {
                let rows = min(batchSize, order.count - position)
                let statement: OpaquePointer
                if rows == batchSize, let prepared = full {
                    statement = prepared
                } else {
                    statement = try prepare(rows)
                    if rows == batchSize { full = statement }
                }
                defer { if statement != full { sqlite3_finalize(statement) } }
                for row in 0..<rows {
                    let index = Int(order[position + row])
                    let serial = entries.range(index)
                    let parameter = CInt(row * 3)
                    try check(sqlite3_bind_int64(statement, parameter + 1, crlID))
                    // SQLITE_STATIC (nil): the bytes stay put until the statement is reset, below.
                    try check(sqlite3_bind_blob(statement, parameter + 2, base + serial.lowerBound, CInt(serial.count), nil))
                    try check(sqlite3_bind_double(statement, parameter + 3, entries.dates[index]))
                }
                try check(sqlite3_step(statement), SQLITE_DONE)
                inserted += Int(sqlite3_changes(connection))
                try check(sqlite3_reset(statement))
                position += rows
                afterBatch(position)
            }
        }
        return inserted
    }

    /// Stores a CRL's bytes: a zero-filled BLOB of their length (which SQLite does not materialise), then the bytes
    /// written into it in 1 MiB pieces through incremental BLOB I/O, straight from the array the CRL was read into.
    /// No copy of a 35 MB CRL in Swift or inside SQLite.
    static func insertCRLBytes(_ db: Database, id: Int64, der: [UInt8]) throws {
        guard let connection = db.sqliteConnection else {
            try db.execute(sql: "INSERT INTO npkd_crl_der (crl_id, der) VALUES (?, ?)", arguments: [id, Data(der)])
            return
        }
        try db.execute(sql: "INSERT INTO npkd_crl_der (crl_id, der) VALUES (?, zeroblob(?))", arguments: [id, der.count])
        var blob: OpaquePointer?
        var code = sqlite3_blob_open(connection, "main", "npkd_crl_der", "der", id, 1, &blob)
        defer { sqlite3_blob_close(blob) }
        guard code == SQLITE_OK, let blob else {
            throw sqliteFailure(connection, code)
        }
        code = der.withUnsafeBytes { bytes -> CInt in
            guard let base = bytes.baseAddress else { return SQLITE_OK }
            var offset = 0
            while offset < bytes.count {
                let length = min(1 << 20, bytes.count - offset)
                let written = sqlite3_blob_write(blob, base + offset, CInt(length), CInt(offset))
                guard written == SQLITE_OK else { return written }
                offset += length
            }
            return SQLITE_OK
        }
        guard code == SQLITE_OK else {
            throw sqliteFailure(connection, code)
        }
    }

    /// The entries through the store's own statements, on an engine without SQLite's C API (PostgreSQL): multi-row
    /// INSERTs of `batchSize` rows (three bound values each, within PostgreSQL's 65,535).
    static func insertCRLEntriesPortably(_ db: Database, crlID: Int64, entries: CRLEntryBuffer, order: [UInt32], batchSize: Int,
                                         afterBatch: (Int) -> Void) throws -> Int {
        let rowsPerStatement = min(batchSize, 20_000)
        var inserted = 0
        var position = 0
        while position < order.count {
            let rows = min(rowsPerStatement, order.count - position)
            var arguments = StatementArguments(values: [])
            arguments.values.reserveCapacity(rows * 3)
            for row in 0..<rows {
                let index = Int(order[position + row])
                let range = entries.range(index)
                arguments.values.append(.integer(crlID))
                arguments.values.append(.blob(Data(entries.serials[range])))
                arguments.values.append(.double(entries.dates[index]))
            }
            try db.execute(sql: "INSERT INTO npkd_crl_entry (crl_id, serial, revoked_at) VALUES "
                + Array(repeating: "(?, ?, ?)", count: rows).joined(separator: ",") + " ON CONFLICT DO NOTHING", arguments: arguments)
            inserted += db.changesCount
            position += rows
            afterBatch(position)
        }
        return inserted
    }

    static func sqliteFailure(_ connection: OpaquePointer, _ code: CInt) -> StoreError {
        StoreError(.databaseError, "the store failed: \(String(cString: sqlite3_errmsg(connection))) (SQLite \(code))")
    }

    /// The current CRL of a key: the one with the highest number, then the latest thisUpdate.
    static func currentCRL(_ db: Database, domain: String, issuerKeyHash: String) throws -> CRLRow? {
        // Cached statements: these two run for every passive authentication the service answers.
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT \(crlColumns) FROM npkd_crl WHERE domain = ? AND issuer_key_hash = ? AND status = 'current'
            ORDER BY crl_number_value DESC, this_update DESC LIMIT 1
            """), arguments: [domain, issuerKeyHash]).map(crlRow)
    }

    /// The latest current CRL of a CSCA key and, in the same statement (one snapshot), when it revokes `serial`.
    static func revocationLookup(_ db: Database, domain: String, issuerKeyHash: String, serial: [UInt8]) throws -> (crl: CRLRow, revokedAt: Date?)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT \(crlColumns), (SELECT revoked_at FROM npkd_crl_entry WHERE crl_id = npkd_crl.id AND serial = ?) AS revoked_at
            FROM npkd_crl WHERE domain = ? AND issuer_key_hash = ? AND status = 'current'
            ORDER BY crl_number_value DESC, this_update DESC LIMIT 1
            """), arguments: [Data(serial), domain, issuerKeyHash]) else { return nil }
        let revokedAt: Double? = row["revoked_at"]
        return (crlRow(row), revokedAt.map(Date.init(timeIntervalSince1970:)))
    }

    /// Current CRLs naming this authority key identifier (as the revocation endpoint is asked).
    static func currentCRLs(_ db: Database, domain: String, aki: String) throws -> [CRLRow] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(crlColumns) FROM npkd_crl WHERE domain = ? AND aki = ? AND status = 'current'
            ORDER BY crl_number_value DESC, this_update DESC
            """), arguments: [domain, aki]).map(crlRow)
    }

    static func crls(_ db: Database, domain: String, country: String? = nil) throws -> [CRLRow] {
        if let country {
            return try Row.fetchAll(db, sql: "SELECT \(crlColumns) FROM npkd_crl WHERE domain = ? AND country = ? ORDER BY id",
                                    arguments: [domain, country]).map(crlRow)
        }
        return try Row.fetchAll(db, sql: "SELECT \(crlColumns) FROM npkd_crl WHERE domain = ? ORDER BY id", arguments: [domain]).map(crlRow)
    }

    static func crl(_ db: Database, domain: String, id: Int64) throws -> CRLRow? {
        try Row.fetchOne(db, sql: "SELECT \(crlColumns) FROM npkd_crl WHERE domain = ? AND id = ?", arguments: [domain, id]).map(crlRow)
    }

    static func crlDER(_ db: Database, id: Int64) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT der FROM npkd_crl_der WHERE crl_id = ?", arguments: [id]).map(Array.init)
    }

    /// The stored DER of every CRL whose signer was not known when it arrived, to try again with new CAs.
    static func unverifiedCRLs(_ db: Database, domain: String) throws -> [(id: Int64, der: [UInt8])] {
        try Row.fetchAll(db, sql: """
            SELECT npkd_crl.id AS id, npkd_crl_der.der AS der FROM npkd_crl JOIN npkd_crl_der ON npkd_crl_der.crl_id = npkd_crl.id
            WHERE npkd_crl.domain = ? AND npkd_crl.status = 'unverified' ORDER BY npkd_crl.id
            """,
                         arguments: [domain]).map { row in
            let der: Data = row["der"]
            return (row["id"], Array(der))
        }
    }

    static func setCRLIssuer(_ db: Database, id: Int64, keyHash: String, certificateID: Int64) throws {
        try db.execute(sql: "UPDATE npkd_crl SET issuer_key_hash = ?, issuer_certificate_id = ?, status = 'current' WHERE id = ?",
                       arguments: [keyHash, certificateID, id])
    }

    /// Marks every CRL of a key but the newest as superseded and drops their entries and bytes: only the latest CRL of a
    /// CSCA decides revocation, and a daily million-entry CRL must not pile up.
    static func supersedeOlderCRLs(_ db: Database, domain: String, issuerKeyHash: String) throws -> Int {
        guard let current = try currentCRL(db, domain: domain, issuerKeyHash: issuerKeyHash) else { return 0 }
        let older = try Int64.fetchAll(db, sql: "SELECT id FROM npkd_crl WHERE domain = ? AND issuer_key_hash = ? AND status = 'current' AND id != ?",
                                       arguments: [domain, issuerKeyHash, current.id])
        for id in older {
            try db.execute(sql: "DELETE FROM npkd_crl_entry WHERE crl_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM npkd_crl_der WHERE crl_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE npkd_crl SET status = 'superseded' WHERE id = ?", arguments: [id])
        }
        return older.count
    }

    /// A CRL whose ICAO PKD entry a delta deleted or replaced: it applies to nothing any more, its entries and bytes go.
    static func withdrawCRL(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM npkd_crl_entry WHERE crl_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM npkd_crl_der WHERE crl_id = ?", arguments: [id])
        try db.execute(sql: "UPDATE npkd_crl SET status = 'withdrawn' WHERE id = ?", arguments: [id])
    }

    /// The ICAO PKD entry a CRL held from elsewhere (or from before dns were recorded) was received in again.
    static func setCRLPKDEntry(_ db: Database, id: Int64, dn: String) throws {
        try db.execute(sql: "UPDATE npkd_crl SET pkd_dn = ? WHERE id = ? AND pkd_dn IS NULL", arguments: [dn, id])
    }

    static func revocationDate(_ db: Database, crlID: Int64, serial: [UInt8]) throws -> Date? {
        try Double.fetchOne(db.cachedStatement(sql: "SELECT revoked_at FROM npkd_crl_entry WHERE crl_id = ? AND serial = ?"),
                            arguments: [crlID, Data(serial)]).map(Date.init(timeIntervalSince1970:))
    }

    static func totalCRLEntries(_ db: Database, domain: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(entries), 0) FROM npkd_crl WHERE domain = ? AND status = 'current'", arguments: [domain]) ?? 0
    }

    // MARK: - Lists

    struct ListRow: Sendable {
        let id: Int64
        let kind: String
        let fingerprint: String
        let country: String
        let signerSubject: String
        let signerFingerprint: String
        let signingTime: Date?
        let source: String
        let importedAt: Date
        let report: String
        let findings: String
        let errors: Int
        let state: String
        let stateReason: String
        let certificates: Int
    }

    static let listColumns = """
        id, kind, fingerprint, country, signer_subject, signer_fingerprint, signing_time, source, imported_at, report, findings, errors, state,
        state_reason, certificates
        """

    static func listRow(_ row: Row) -> ListRow {
        let signing: Double? = row["signing_time"]
        return ListRow(id: row["id"], kind: row["kind"], fingerprint: row["fingerprint"], country: row["country"],
                       signerSubject: row["signer_subject"], signerFingerprint: row["signer_fingerprint"],
                       signingTime: signing.map(Date.init(timeIntervalSince1970:)), source: row["source"],
                       importedAt: Date(timeIntervalSince1970: row["imported_at"]), report: row["report"], findings: row["findings"],
                       errors: row["errors"], state: row["state"], stateReason: row["state_reason"], certificates: row["certificates"])
    }

    static func list(_ db: Database, domain: String, fingerprint: String) throws -> ListRow? {
        try Row.fetchOne(db, sql: "SELECT \(listColumns) FROM npkd_list WHERE domain = ? AND fingerprint = ?", arguments: [domain, fingerprint])
            .map(listRow)
    }

    static func list(_ db: Database, id: Int64) throws -> ListRow? {
        try Row.fetchOne(db, sql: "SELECT \(listColumns) FROM npkd_list WHERE id = ?", arguments: [id]).map(listRow)
    }

    static func lists(_ db: Database, domain: String, kind: String? = nil) throws -> [ListRow] {
        if let kind {
            return try Row.fetchAll(db, sql: "SELECT \(listColumns) FROM npkd_list WHERE domain = ? AND kind = ? ORDER BY id",
                                    arguments: [domain, kind]).map(listRow)
        }
        return try Row.fetchAll(db, sql: "SELECT \(listColumns) FROM npkd_list WHERE domain = ? ORDER BY id", arguments: [domain]).map(listRow)
    }

    struct NewList {
        var kind: String
        var fingerprint: String
        var country: String
        var signerSubject: String
        var signerFingerprint: String
        var signingTime: Date?
        var source: String
        var report: String
        var findings: String
        var errors: Int
        var state: String
        var stateReason: String
        var certificates: Int
        var der: [UInt8]
    }

    static func insertList(_ db: Database, domain: String, _ new: NewList, now: Date) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO npkd_list (domain, kind, fingerprint, country, signer_subject, signer_fingerprint, signing_time, source, imported_at,
                    report, findings, errors, state, state_reason, certificates, der)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [domain, new.kind, new.fingerprint, new.country, new.signerSubject, new.signerFingerprint,
                        new.signingTime?.timeIntervalSince1970, new.source, now.timeIntervalSince1970, new.report, new.findings, new.errors,
                        new.state, new.stateReason, new.certificates, Data(new.der)])
        return try db.lastInsertedRowID
    }

    static func setListState(_ db: Database, id: Int64, state: String, reason: String) throws {
        try db.execute(sql: "UPDATE npkd_list SET state = ?, state_reason = ? WHERE id = ?", arguments: [state, reason, id])
    }

    /// Master lists signed by a signer, to trust their certificates once the operator trusts it.
    static func lists(_ db: Database, domain: String, signerFingerprint: String) throws -> [ListRow] {
        try Row.fetchAll(db, sql: "SELECT \(listColumns) FROM npkd_list WHERE domain = ? AND signer_fingerprint = ? ORDER BY id",
                         arguments: [domain, signerFingerprint]).map(listRow)
    }

    static func certificateIDs(_ db: Database, listID: Int64) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT DISTINCT certificate_id FROM npkd_certificate_source WHERE list_id = ?", arguments: [listID])
    }

    static func insertDeviation(_ db: Database, listID: Int64, documentType: String?, signer: String?, firstIssued: Date?,
                                lastIssued: Date?, documentNumbers: String, descriptions: String) throws {
        try db.execute(
            sql: """
                INSERT INTO npkd_deviation (list_id, document_type, signer, first_issued, last_issued, document_numbers, descriptions)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [listID, documentType, signer, firstIssued?.timeIntervalSince1970, lastIssued?.timeIntervalSince1970,
                        documentNumbers, descriptions])
    }

    static func deviations(_ db: Database, listID: Int64) throws -> [Row] {
        try Row.fetchAll(db, sql: "SELECT * FROM npkd_deviation WHERE list_id = ? ORDER BY rowid", arguments: [listID])
    }

    // MARK: - Trusted signers and PKD versions

    static func trustedSigners(_ db: Database, domain: String) throws -> [(fingerprint: String, der: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT fingerprint, der FROM npkd_trusted_signer WHERE domain = ? ORDER BY added_at", arguments: [domain]).map {
            let der: Data = $0["der"]
            return ($0["fingerprint"], Array(der))
        }
    }

    static func addTrustedSigner(_ db: Database, domain: String, fingerprint: String, subject: String, der: [UInt8], now: Date) throws -> Bool {
        try db.execute(sql: "INSERT INTO npkd_trusted_signer (domain, fingerprint, subject, der, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       arguments: [domain, fingerprint, subject, Data(der), now.timeIntervalSince1970])
        return db.changesCount > 0
    }

    static func removeTrustedSigner(_ db: Database, domain: String, fingerprint: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM npkd_trusted_signer WHERE domain = ? AND fingerprint = ?", arguments: [domain, fingerprint])
        return db.changesCount > 0
    }

    static func pkdVersion(_ db: Database, domain: String, collection: String) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT version FROM npkd_pkd_version WHERE domain = ? AND collection = ?", arguments: [domain, collection])
    }

    static func recordPKDVersion(_ db: Database, domain: String, collection: String, version: Int, complete: Bool, now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO npkd_pkd_version (domain, collection, version, complete, imported_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(domain, collection) DO UPDATE SET version = CASE WHEN excluded.version > npkd_pkd_version.version THEN excluded.version ELSE npkd_pkd_version.version END, complete = excluded.complete,
                    imported_at = excluded.imported_at
                """,
            arguments: [domain, collection, version, complete, now.timeIntervalSince1970])
    }

    static func pkdVersions(_ db: Database, domain: String) throws -> [(collection: String, version: Int)] {
        try Row.fetchAll(db, sql: "SELECT collection, version FROM npkd_pkd_version WHERE domain = ? ORDER BY collection", arguments: [domain])
            .map { ($0["collection"], $0["version"]) }
    }
}
