import ICAOProfile
import Foundation
import GRDB
import PKICore
import Store
import SwiftASN1

/// Importing: one file, one transaction, one audit entry. Everything below runs inside `store.write`, so an error
/// anywhere (a truncated LDIF entry, a master list whose signature fails) rolls the whole file back.
extension NationalPKD {
    /// Imports a file, telling its format from the content. LDIF is streamed record by record; other formats are read
    /// whole (a million-entry CRL is ~30 MB, its entries decoded one at a time).
    public func importFile(atPath path: String, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        let source = URL(fileURLWithPath: path).lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NPKDError(.notFound, "cannot read '\(path)'")
        }
        defer { try? handle.close() }
        let head: [UInt8]
        do {
            head = try handle.read(upToCount: 4096).map(Array.init) ?? []
        } catch {
            throw NPKDError(.notFound, "cannot read '\(path)': \(error)")
        }
        if ImportFormat.looksLikeLDIF(head) {
            do {
                try handle.seek(toOffset: 0)
            } catch {
                throw NPKDError(.notFound, "cannot read '\(path)': \(error)")
            }
            let delta = source.lowercased().contains("delta")
            return try importLDIF(LDIFReader(fileHandle: handle), source: source, deltaByName: delta, options: options)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw NPKDError(.notFound, "cannot read '\(path)'") }
        return try importBytes(Array(data), source: source, options: options)
    }

    /// Imports bytes received from elsewhere (a file already read, an upload).
    public func importBytes(_ bytes: [UInt8], source: String, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        let format: ImportFormat
        do {
            format = try ImportFormat.detect(bytes)
        } catch let error as NPKDError {
            throw error.located(source)
        }
        if format == .ldif {
            return try importLDIF(LDIFReader(bytes: bytes), source: source, deltaByName: source.lowercased().contains("delta"), options: options)
        }
        return try transaction(source: source, format: format, options: options) { db, context in
            context.summary.sha256 = try ObjectIdentity.fingerprint(bytes)
            switch format {
            case .masterList: try storeMasterList(db, bytes, context: &context)
            case .deviationList: try storeDeviationList(db, bytes, context: &context)
            case .certificate: _ = try storeCertificate(db, try parseCertificate(bytes, "certificate"), kindHint: nil, listID: nil, context: &context)
            case .crl: try storeCRL(db, try parseCRL(bytes), pkdConformance: nil, context: &context)
            case .pem: try storePEM(db, bytes, context: &context)
            case .ldif: break
            }
        }
    }

    func importLDIF(_ reader: LDIFReader, source: String, deltaByName: Bool, options: ImportOptions) throws -> ImportSummary {
        var reader = reader
        return try transaction(source: source, format: .ldif, options: options) { db, context in
            context.summary.isDelta = deltaByName
            var versions: [String: Int] = [:]
            while let record = try reader.next() {
                context.summary.ldifRecords += 1
                do {
                    try storeLDIFRecord(db, record, versions: &versions, context: &context)
                } catch let error as NPKDError {
                    throw error.reason.hasPrefix("line ") ? error : error.located(record.location)
                } catch {
                    throw NPKDError(.malformedObject, "\(record.location): \(error)")
                }
                context.progress("LDIF records", context.summary.ldifRecords, nil)
            }
            guard context.summary.ldifRecords > 0 else { throw NPKDError(.malformedLDIF, "no LDIF record in the file") }
            for (collection, version) in versions {
                try NPKDRepository.recordPKDVersion(db, domain: domain, collection: collection, version: version,
                                                    complete: !context.summary.isDelta, now: context.now)
            }
            context.summary.pkdVersions = versions
        }
    }

    // MARK: - The transaction

    /// What the steps of one import share.
    struct ImportContext {
        var summary: ImportSummary
        let now: Date
        let options: ImportOptions
        var lastProgress = Date.distantPast

        /// Reports progress at most ten times a second (and always at the end of a phase).
        mutating func progress(_ phase: String, _ completed: Int, _ total: Int?, force: Bool = false) {
            guard let handler = options.progress else { return }
            let now = Date()
            guard force || now.timeIntervalSince(lastProgress) >= 0.1 else { return }
            lastProgress = now
            handler(ImportProgress(phase: phase, completed: completed, total: total))
        }
    }

    func transaction(source: String, format: ImportFormat, options: ImportOptions,
                     _ body: (Database, inout ImportContext) throws -> Void) throws -> ImportSummary {
        let now = clock.now()
        do {
            return try store.write { db in
                try EPKIStore.ensureDomain(db, name: domain, description: "national public key directory", now: now)
                var context = ImportContext(summary: ImportSummary(source: source, format: format), now: now, options: options)
                for signer in options.trustSigners { try addTrustedSigner(db, signer, now: now) }
                try body(db, &context)
                try applyUnverifiedCRLs(db, context: &context)
                try TrustEvaluation(domain: domain, now: now).refresh(db)
                var summary = context.summary
                if summary.certificatesAddedTotal == 0 && summary.crlsAdded == 0 && summary.masterLists == 0 && summary.deviationLists == 0
                    && summary.duplicatesMerged == 0 {
                    summary.notes.append("nothing to import")
                }
                var details: [String: String] = [
                    "format": format.rawValue, "certificates": String(summary.certificatesAddedTotal),
                    "duplicates": String(summary.duplicatesMerged), "crls": String(summary.crlsAdded),
                    "crlEntries": String(summary.crlEntries), "anchors": String(summary.anchorsAdded),
                    "nonConformant": String(summary.nonConformant),
                ]
                if !summary.sha256.isEmpty { details["sha256"] = summary.sha256 }
                if summary.masterLists > 0 { details["masterLists"] = String(summary.masterLists) }
                if summary.deviationLists > 0 { details["deviationLists"] = String(summary.deviationLists) }
                if summary.crlsUnverified > 0 { details["crlsUnverified"] = String(summary.crlsUnverified) }
                if summary.ldifRecords > 0 {
                    details["ldifRecords"] = String(summary.ldifRecords)
                    details["delta"] = String(summary.isDelta)
                }
                try AuditTrail.append(db, domain: domain, action: "npkd.import", subject: source, details: details, now: now)
                return summary
            }
        } catch let error as NPKDError {
            throw error.located(source)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, "\(source): \(error.reason)")
        } catch let error as StoreError {
            throw error
        } catch {
            throw NPKDError(.storeFailure, "\(source): \(error)")
        }
    }

    // MARK: - Objects

    func parseCertificate(_ bytes: [UInt8], _ what: String) throws -> Certificate {
        do {
            return try Certificate(bytes: bytes)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, "\(what) cannot be read: \(error.reason)")
        }
    }

    func parseCRL(_ bytes: [UInt8]) throws -> CertificateRevocationList {
        do {
            return try CertificateRevocationList(bytes: bytes)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, "CRL cannot be read: \(error.reason)")
        }
    }

    func storePEM(_ db: Database, _ bytes: [UInt8], context: inout ImportContext) throws {
        let blocks: [(label: String, der: [UInt8])]
        do {
            blocks = try PEM.decodeAll(bytes)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, error.reason)
        }
        guard !blocks.isEmpty else { throw NPKDError(.unknownFormat, "a PEM file without any block") }
        for (index, block) in blocks.enumerated() {
            do {
                switch block.label {
                case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
                    _ = try storeCertificate(db, try parseCertificate(block.der, "certificate"), kindHint: nil, listID: nil, context: &context)
                case "X509 CRL":
                    try storeCRL(db, try parseCRL(block.der), pkdConformance: nil, context: &context)
                case "CMS", "PKCS7":
                    switch try ImportFormat.detectDER(block.der) {
                    case .masterList: try storeMasterList(db, block.der, context: &context)
                    case .deviationList: try storeDeviationList(db, block.der, context: &context)
                    default: throw NPKDError(.unknownFormat, "a \(block.label) block that is neither a master list nor a deviation list")
                    }
                default:
                    throw NPKDError(.unknownFormat, "PEM block '\(block.label)' is not a certificate, CRL or signed list")
                }
            } catch let error as NPKDError {
                throw error.located("PEM block \(index + 1) (\(block.label))")
            }
        }
    }

    func storeLDIFRecord(_ db: Database, _ record: LDIFRecord, versions: inout [String: Int], context: inout ImportContext) throws {
        if let change = record.changeType, change != "add" {
            context.summary.isDelta = true
            // The NPKD keeps what it received: a PKD deletion does not erase a certificate border control may still meet.
            if change == "delete" { context.summary.notes.append("\(record.location): PKD deletion recorded, nothing erased") }
            return
        }
        if record.changeType == "add" { context.summary.isDelta = true }
        let entry = try PKDDirectoryEntry(record)
        if let version = entry.pkdVersion {
            versions[entry.collection] = max(versions[entry.collection] ?? 0, version)
        }
        switch entry.content {
        case .none:
            return
        case .certificate(let der, let line):
            let certificate: Certificate
            do {
                certificate = try parseCertificate(der, "userCertificate")
            } catch let error as NPKDError {
                throw NPKDError(error.code, "line \(line), entry \(record.index) (\(record.dn.prefix(120))): \(error.reason)")
            }
            _ = try storeCertificate(db, certificate, kindHint: nil, listID: nil, pkdConformance: entry.conformanceNote, context: &context)
        case .crl(let der, let line):
            let crl: CertificateRevocationList
            do {
                crl = try parseCRL(der)
            } catch let error as NPKDError {
                throw NPKDError(error.code, "line \(line), entry \(record.index) (\(record.dn.prefix(120))): \(error.reason)")
            }
            try storeCRL(db, crl, pkdConformance: entry.conformanceNote, context: &context)
        case .masterList(let der, _):
            try storeMasterList(db, der, context: &context)
        case .deviationList(let der, _):
            try storeDeviationList(db, der, context: &context)
        }
    }

    // MARK: Certificates

    /// Stores a certificate once (a duplicate only gains a source), lints it, and finds which stored CA's key verifies
    /// its signature. A new CA certificate is also matched against certificates and CRLs that arrived before it.
    @discardableResult
    func storeCertificate(_ db: Database, _ certificate: Certificate, kindHint: ProfileLinter.CertificateKind?, listID: Int64?,
                          pkdConformance: String? = nil, context: inout ImportContext) throws -> Int64 {
        let fingerprint = try ObjectIdentity.fingerprint(certificate.encoded)
        let source = context.summary.source
        if let existing = try NPKDRepository.certificate(db, domain: domain, fingerprint: fingerprint) {
            context.summary.duplicatesMerged += 1
            try NPKDRepository.addSource(db, certificateID: existing.id, source: source, listID: listID, now: context.now)
            if let hint = kindHint, hint == .csca || hint == .link, existing.kind != "csca" && existing.kind != "link" {
                try NPKDRepository.updateKind(db, id: existing.id, kind: hint.rawValue)
            }
            if let pkdConformance, existing.pkdConformance == nil {
                try NPKDRepository.setPKDConformance(db, id: existing.id, text: pkdConformance)
            }
            return existing.id
        }
        let kind = kindHint ?? ProfileLinter.kind(of: certificate)
        let findings = ProfileLinter.lint(certificate, as: kind).map {
            FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message)
        }
        let errors = findings.filter { $0.severity == "error" }.count
        let id = try NPKDRepository.insertCertificate(db, domain: domain, NPKDRepository.NewCertificate(
            fingerprint: fingerprint, kind: kind.rawValue, country: ObjectIdentity.country(subject: certificate.subject, issuer: certificate.issuer),
            certificate: certificate, subjectKey: ObjectIdentity.nameKey(certificate.subject),
            issuerKey: ObjectIdentity.nameKey(certificate.issuer), keyHash: try ObjectIdentity.keyHash(certificate), source: source,
            findings: FindingRecord.encode(findings), errors: errors, pkdConformance: pkdConformance), now: context.now)
        try NPKDRepository.addSource(db, certificateID: id, source: source, listID: listID, now: context.now)
        context.summary.certificatesAdded[kind.rawValue, default: 0] += 1
        if errors > 0 || pkdConformance != nil { context.summary.nonConformant += 1 }
        try matchIssuer(db, id: id, certificate: certificate)
        if kind == .csca || kind == .link {
            try matchIssued(db, caID: id, ca: certificate)
        }
        return id
    }

    /// Records which stored CA's key verifies the certificate's signature (the certificate's own key for a self-signed CSCA).
    func matchIssuer(_ db: Database, id: Int64, certificate: Certificate) throws {
        let candidates = try NPKDRepository.caCandidates(db, domain: domain, aki: certificate.authorityKeyIdentifier?.hexString,
                                                         issuerKey: ObjectIdentity.nameKey(certificate.issuer))
        var triedKeys = Set<String>()
        for candidate in candidates where triedKeys.insert(candidate.keyHash).inserted {
            guard let issuer = try? Certificate(bytes: candidate.der), let key = try? issuer.publicKey else { continue }
            if (try? certificate.isSignatureValid(issuerKey: key)) == true {
                try NPKDRepository.setSignatureIssuer(db, id: id, issuerID: candidate.id)
                return
            }
        }
    }

    /// A new CA certificate may verify certificates that arrived before it (DS certificates before their CSCA).
    func matchIssued(_ db: Database, caID: Int64, ca: Certificate) throws {
        guard let key = try? ca.publicKey else { return }
        let waiting = try NPKDRepository.unmatchedCertificates(db, domain: domain, aki: ca.subjectKeyIdentifier?.hexString,
                                                               issuerKey: ObjectIdentity.nameKey(ca.subject))
        for row in waiting {
            guard let certificate = try? Certificate(bytes: row.der) else { continue }
            if (try? certificate.isSignatureValid(issuerKey: key)) == true {
                try NPKDRepository.setSignatureIssuer(db, id: row.id, issuerID: caID)
            }
        }
    }

    // MARK: CRLs

    /// Stores a CRL. It applies to a CSCA only when that CSCA's key verifies its signature; then its entries are indexed
    /// in batches (streamed from the DER, never all in memory) and older CRLs of the same key are superseded.
    func storeCRL(_ db: Database, _ crl: CertificateRevocationList, pkdConformance: String?, context: inout ImportContext) throws {
        let fingerprint = try ObjectIdentity.fingerprint(crl.encoded)
        if try NPKDRepository.crlExists(db, domain: domain, fingerprint: fingerprint) != nil {
            context.summary.duplicatesMerged += 1
            return
        }
        let issuer = try crlIssuer(db, crl)
        var status = issuer == nil ? "unverified" : "current"
        if let issuer, let current = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: issuer.keyHash),
           Self.isNewer(current: current, than: crl) {
            status = "superseded"
            context.summary.notes.append("CRL \(crl.crlNumber?.bytes.hexString ?? "?") of \(crl.issuer) is older than the one held (\(current.crlNumber ?? "?")); kept as superseded")
        }
        // A current CRL's entries are linted while they are indexed: one pass over a million entries, not two.
        var findings = ProfileLinter.lint(crl, checkingEntries: status != "current").map {
            FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message)
        }
        if let pkdConformance { findings.append(FindingRecord(severity: "error", rule: "ICAO PKD nc-data", message: pkdConformance)) }
        let errors = findings.filter { $0.severity == "error" }.count
        let id = try NPKDRepository.insertCRL(db, domain: domain, NPKDRepository.NewCRL(
            fingerprint: fingerprint, country: ObjectIdentity.country(subject: crl.issuer), crl: crl,
            issuerKey: ObjectIdentity.nameKey(crl.issuer), issuerKeyHash: issuer?.keyHash, issuerCertificateID: issuer?.id, status: status,
            source: context.summary.source, findings: FindingRecord.encode(findings), errors: errors, keepDER: status != "superseded"),
            now: context.now)
        context.summary.crlsAdded += 1
        switch status {
        case "current":
            let entries = try indexEntries(db, crlID: id, crl: crl, context: &context)
            context.summary.crlEntries += entries
            if let issuer { _ = try NPKDRepository.supersedeOlderCRLs(db, domain: domain, issuerKeyHash: issuer.keyHash) }
        case "unverified":
            context.summary.crlsUnverified += 1
            context.summary.notes.append("CRL of \(crl.issuer): no CSCA held verifies its signature; stored, applied to nothing")
            try NPKDRepository.setCRLEntryCount(db, id: id, entries: try crl.entryCount())
        default:
            try NPKDRepository.setCRLEntryCount(db, id: id, entries: try crl.entryCount())
        }
    }

    /// Whether the CRL held is newer than `crl`: by cRLNumber, then by thisUpdate.
    static func isNewer(current: NPKDRepository.CRLRow, than crl: CertificateRevocationList) -> Bool {
        let number = crl.crlNumber?.value.flatMap { Int64(exactly: $0) }
        let held = current.crlNumber.flatMap { [UInt8](hex: $0) }.map { CRLNumber(bytes: $0).value.flatMap { Int64(exactly: $0) } } ?? nil
        if let number, let held, number != held { return held > number }
        return current.thisUpdate > crl.thisUpdate.date
    }

    /// The stored CA certificate whose key verifies the CRL's signature.
    func crlIssuer(_ db: Database, _ crl: CertificateRevocationList) throws -> (id: Int64, keyHash: String)? {
        let candidates = try NPKDRepository.caCandidates(db, domain: domain, aki: crl.authorityKeyIdentifier?.hexString,
                                                         issuerKey: ObjectIdentity.nameKey(crl.issuer))
        var triedKeys = Set<String>()
        for candidate in candidates where triedKeys.insert(candidate.keyHash).inserted {
            guard let issuer = try? Certificate(bytes: candidate.der), let key = try? issuer.publicKey else { continue }
            if (try? crl.isSignatureValid(issuerKey: key)) == true { return (candidate.id, candidate.keyHash) }
        }
        return nil
    }

    /// Writes the entries in multi-row batches inside the import's transaction, reporting progress per batch.
    func indexEntries(_ db: Database, crlID: Int64, crl: CertificateRevocationList, context: inout ImportContext) throws -> Int {
        let total = try crl.entryCount()
        let batchSize = context.options.crlBatchSize
        var batch: [(serial: [UInt8], revokedAt: Double)] = []
        batch.reserveCapacity(batchSize)
        var iterator = crl.entries()
        var seen = 0
        var inserted = 0
        var entryFindings: [FindingRecord] = []
        // A bigger page cache for the writer while it fills the index; readers (the service) are not blocked (WAL).
        let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        if total > 10_000 { try db.execute(sql: "PRAGMA cache_size = -65536") }
        defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
        context.progress("CRL entries", 0, total, force: true)
        while let entry = try iterator.next() {
            if entry.extensions != nil {
                for finding in ProfileLinter.lint(entry: entry) where !entryFindings.contains(where: { $0.rule == finding.rule }) {
                    entryFindings.append(FindingRecord(severity: finding.severity.rawValue, rule: finding.rule, message: finding.message))
                }
            }
            batch.append((RevocationKey.serial(entry.serialNumber), entry.revocationDate.date.timeIntervalSince1970))
            seen += 1
            if batch.count == batchSize {
                inserted += try NPKDRepository.insertCRLEntries(db, crlID: crlID, batch: batch)
                batch.removeAll(keepingCapacity: true)
                context.progress("CRL entries", seen, total)
            }
        }
        inserted += try NPKDRepository.insertCRLEntries(db, crlID: crlID, batch: batch)
        context.progress("CRL entries", seen, total, force: true)
        if inserted < seen {
            context.summary.notes.append("CRL of \(crl.issuer): \(seen - inserted) serial number(s) listed twice")
        }
        try NPKDRepository.setCRLEntryCount(db, id: crlID, entries: inserted)
        if !entryFindings.isEmpty { try NPKDRepository.addCRLFindings(db, id: crlID, entryFindings) }
        return inserted
    }

    /// CRLs that arrived before their CSCA: tried again once new CA certificates are in.
    func applyUnverifiedCRLs(_ db: Database, context: inout ImportContext) throws {
        for (id, der) in try NPKDRepository.unverifiedCRLs(db, domain: domain) {
            guard let crl = try? CertificateRevocationList(bytes: der), let issuer = try crlIssuer(db, crl) else { continue }
            if let current = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: issuer.keyHash), Self.isNewer(current: current, than: crl) {
                continue
            }
            try NPKDRepository.setCRLIssuer(db, id: id, keyHash: issuer.keyHash, certificateID: issuer.id)
            context.summary.crlEntries += try indexEntries(db, crlID: id, crl: crl, context: &context)
            _ = try NPKDRepository.supersedeOlderCRLs(db, domain: domain, issuerKeyHash: issuer.keyHash)
            context.summary.notes.append("CRL of \(crl.issuer) received earlier now verifies with a CSCA and applies")
        }
    }

    // MARK: Master lists

    /// A master list: refused whole when its CMS signature, content type or message digest fails; otherwise every
    /// certificate is stored (as CSCA or link), and they become trust anchors when the operator trusts the signer and
    /// the signer's EKU and chain check out.
    func storeMasterList(_ db: Database, _ bytes: [UInt8], context: inout ImportContext) throws {
        let anchors = try trustedCACertificates(db)
        let result: MasterListReader.Result
        do {
            result = try MasterListReader().read(bytes, additionalAnchors: anchors)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, "master list cannot be read: \(error.reason)")
        }
        let refused = result.report.checks.filter { $0.status == .failed && ($0.name.hasPrefix("CMS ") || $0.name == "content type") }
        guard refused.isEmpty else {
            throw NPKDError(.signatureInvalid, "master list refused, nothing of it stored: "
                            + refused.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
        }
        guard let signer = result.signerCertificate else {
            throw NPKDError(.signatureInvalid, "master list refused: no embedded certificate is its signer")
        }
        let fingerprint = try ObjectIdentity.fingerprint(bytes)
        if let held = try NPKDRepository.list(db, domain: domain, fingerprint: fingerprint) {
            context.summary.duplicatesMerged += 1
            context.summary.notes.append("master list already imported from \(held.source) on \(Time.iso8601(held.importedAt))")
            return
        }
        let findings = ProfileLinter.lint(result.signedData, kind: .masterList).map {
            FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message)
        }
        let (state, reason) = try masterListState(db, signer: signer, report: result.report)
        let listID = try NPKDRepository.insertList(db, domain: domain, NPKDRepository.NewList(
            kind: "masterlist", fingerprint: fingerprint, country: ObjectIdentity.country(subject: signer.subject),
            signerSubject: signer.subject.description, signerFingerprint: try ObjectIdentity.fingerprint(signer.encoded),
            signingTime: result.signedData.signerInfos.first?.signingTime, source: context.summary.source,
            report: (try? result.report.jsonString()) ?? "{}", findings: FindingRecord.encode(findings),
            errors: findings.filter { $0.severity == "error" }.count, state: state.rawValue, stateReason: reason,
            certificates: result.masterList.certificates.count, der: bytes), now: context.now)
        context.summary.masterLists += 1
        try storeCertificate(db, signer, kindHint: nil, listID: nil, context: &context)
        for embedded in result.signedData.certificates where embedded != signer {
            try storeCertificate(db, embedded, kindHint: nil, listID: nil, context: &context)
        }
        for (index, certificate) in result.masterList.certificates.enumerated() {
            let guessed = ProfileLinter.kind(of: certificate)
            // Everything a master list carries is a CSCA or a link certificate, whatever its extensions say.
            let kind: ProfileLinter.CertificateKind = guessed == .csca || guessed == .link ? guessed : (certificate.isSelfIssued ? .csca : .link)
            let id = try storeCertificate(db, certificate, kindHint: kind, listID: listID, context: &context)
            if state == .trusted, try setAnchorIfNone(db, id: id, reason: "master list \(context.summary.source) signed by \(signer.subject)") {
                context.summary.anchorsAdded += 1
            }
            context.progress("master list certificates", index + 1, result.masterList.certificates.count)
        }
        if !result.masterList.unreadable.isEmpty {
            context.summary.notes.append("master list: \(result.masterList.unreadable.count) entries unreadable: "
                                         + result.masterList.unreadable.prefix(5).joined(separator: "; "))
        }
        if state != .trusted { context.summary.notes.append("master list from \(signer.subject): \(reason)") }
    }

    /// Whether a master list's certificates may become anchors: the operator trusts its signer (or the CSCA that
    /// issued it), and the report's EKU and chain checks passed.
    func masterListState(_ db: Database, signer: Certificate, report: VerificationReport) throws -> (TrustState, String) {
        guard let trustedBy = try trustedSignerMatch(db, signer) else {
            return (.untrusted, "its signer \(signer.subject) is not trusted (trust it with --trust-signer)")
        }
        let failed = report.checks.filter { $0.status != .passed && ($0.name == "signer EKU" || $0.name == "signer chain") }
        guard failed.isEmpty else {
            return (.untrusted, "the signer is trusted but " + failed.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
        }
        return (.trusted, "signed by \(signer.subject), trusted by the operator (\(trustedBy))")
    }

    /// The trusted signer entry that vouches for `signer`: the same certificate, or a trusted CSCA certificate whose key
    /// verifies it.
    func trustedSignerMatch(_ db: Database, _ signer: Certificate) throws -> String? {
        let fingerprint = try ObjectIdentity.fingerprint(signer.encoded)
        for (trusted, der) in try NPKDRepository.trustedSigners(db, domain: domain) {
            if trusted == fingerprint { return "signer certificate \(fingerprint.prefix(16))…" }
            guard let certificate = try? Certificate(bytes: der), signer.mayBeIssued(by: certificate), let key = try? certificate.publicKey,
                  (try? signer.isSignatureValid(issuerKey: key)) == true else { continue }
            return "issued by trusted \(certificate.subject)"
        }
        return nil
    }

    func setAnchorIfNone(_ db: Database, id: Int64, reason: String) throws -> Bool {
        guard let row = try NPKDRepository.certificate(db, id: id), row.anchor == nil else { return false }
        try NPKDRepository.setAnchor(db, id: id, reason: reason)
        return true
    }

    /// The CA certificates (CSCA, link) currently trusted: the extra anchors a master list's signer may chain to.
    func trustedCACertificates(_ db: Database) throws -> [Certificate] {
        try NPKDRepository.certificates(db, domain: domain, kinds: ["csca", "link"],
                                        states: [TrustState.trusted.rawValue, TrustState.nonConformantAccepted.rawValue])
            .compactMap { try? Certificate(bytes: $0.der) }
    }

    // MARK: Deviation lists

    /// A deviation list: refused when its CMS signature fails; trusted when its Deviation List Signer chains to a trusted
    /// CSCA (re-evaluated with the trust of the signer).
    func storeDeviationList(_ db: Database, _ bytes: [UInt8], context: inout ImportContext) throws {
        let signed: SignedData
        do {
            signed = try SignedData(contentInfoBytes: bytes)
        } catch let error as PKIError {
            throw NPKDError(.malformedObject, "deviation list cannot be read: \(error.reason)")
        }
        guard signed.encapContentInfo.eContentType == .ICAO.deviationList else {
            throw NPKDError(.unknownFormat, "eContentType \(signed.encapContentInfo.eContentType.displayName) is not id-icao-DeviationList")
        }
        guard let signer = signed.embeddedSignerCertificate else {
            throw NPKDError(.signatureInvalid, "deviation list refused: its signer's certificate is not embedded")
        }
        var report = signed.verify(signerCertificate: signer)
        let refused = report.checks.filter { $0.status == .failed }
        guard refused.isEmpty else {
            throw NPKDError(.signatureInvalid, "deviation list refused, nothing of it stored: "
                            + refused.map { "\($0.name): \($0.detail)" }.joined(separator: "; "))
        }
        guard let eContent = signed.encapContentInfo.eContent else {
            throw NPKDError(.malformedObject, "deviation list carries no content")
        }
        let content: DeviationListContent
        do {
            content = try DeviationListContent(derEncoded: Array(eContent))
        } catch let error as ICAOProfileError {
            throw NPKDError(.malformedObject, error.reason)
        }
        let hasEKU = signer.extendedKeyUsage?.purposes.contains(.ICAO.deviationListSigningKey) ?? false
        report.add("signer EKU", passed: hasEKU, hasEKU ? "id-icao-DeviationListSigningKey" : "the signer lacks EKU 2.23.136.1.1.8")
        let fingerprint = try ObjectIdentity.fingerprint(bytes)
        if let held = try NPKDRepository.list(db, domain: domain, fingerprint: fingerprint) {
            context.summary.notes.append("deviation list already imported from \(held.source) on \(Time.iso8601(held.importedAt))")
            return
        }
        let findings = ProfileLinter.lint(signed, kind: .deviationList).map {
            FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message)
        }
        for embedded in signed.certificates where embedded != signer {
            try storeCertificate(db, embedded, kindHint: nil, listID: nil, context: &context)
        }
        try storeCertificate(db, signer, kindHint: .deviationListSigner, listID: nil, context: &context)
        let listID = try NPKDRepository.insertList(db, domain: domain, NPKDRepository.NewList(
            kind: "deviationlist", fingerprint: fingerprint, country: ObjectIdentity.country(subject: signer.subject),
            signerSubject: signer.subject.description, signerFingerprint: try ObjectIdentity.fingerprint(signer.encoded),
            signingTime: signed.signerInfos.first?.signingTime, source: context.summary.source, report: (try? report.jsonString()) ?? "{}",
            findings: FindingRecord.encode(findings), errors: findings.filter { $0.severity == "error" }.count,
            state: TrustState.untrusted.rawValue, stateReason: hasEKU ? "not yet evaluated" : "the signer lacks EKU 2.23.136.1.1.8",
            certificates: 0, der: bytes), now: context.now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for deviation in content.deviations {
            try NPKDRepository.insertDeviation(
                db, listID: listID, documentType: deviation.documentType, signer: deviation.signer?.description,
                firstIssued: deviation.firstIssued, lastIssued: deviation.lastIssued,
                documentNumbers: String(decoding: try encoder.encode(deviation.documentNumbers), as: UTF8.self),
                descriptions: String(decoding: try encoder.encode(deviation.descriptions), as: UTF8.self))
        }
        context.summary.deviationLists += 1
    }

    // MARK: Trusted signers

    /// Trusts a master list signer from now on, and re-evaluates the master lists it signed. Inside the caller's
    /// transaction; audited.
    func addTrustedSigner(_ db: Database, _ signer: Certificate, now: Date) throws {
        try EPKIStore.ensureDomain(db, name: domain, description: "national public key directory", now: now)
        let fingerprint = try ObjectIdentity.fingerprint(signer.encoded)
        guard try NPKDRepository.addTrustedSigner(db, domain: domain, fingerprint: fingerprint, subject: signer.subject.description,
                                                  der: signer.derEncoded, now: now) else { return }
        try AuditTrail.append(db, domain: domain, action: "npkd.trust-signer", subject: signer.subject.description,
                              details: ["fingerprint": fingerprint, "serial": signer.serialNumberHex], now: now)
        // Master lists imported before: their certificates become anchors now.
        for list in try NPKDRepository.lists(db, domain: domain, kind: "masterlist") where list.state != TrustState.trusted.rawValue {
            guard let signerRow = try NPKDRepository.certificate(db, domain: domain, fingerprint: list.signerFingerprint),
                  let listSigner = try? Certificate(bytes: signerRow.der) else { continue }
            let report = (try? JSONDecoder().decode(VerificationReport.self, from: Data(list.report.utf8))) ?? VerificationReport(subject: "master list")
            let (state, reason) = try masterListState(db, signer: listSigner, report: report)
            guard state == .trusted else { continue }
            try NPKDRepository.setListState(db, id: list.id, state: state.rawValue, reason: reason)
            for id in try NPKDRepository.certificateIDs(db, listID: list.id) {
                _ = try setAnchorIfNone(db, id: id, reason: "master list \(list.source) signed by \(list.signerSubject)")
            }
        }
    }
}
