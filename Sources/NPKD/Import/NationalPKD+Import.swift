import ICAOProfile
import Foundation
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
            return try importLDIF(LDIFReader(fileHandle: handle), source: source, options: options)
        }
        // A CRL or list is read whole, once: the bytes straight into one array, not through Data and a copy.
        let bytes: [UInt8]
        do {
            try handle.seek(toOffset: 0)
            bytes = try Self.readAll(handle)
        } catch {
            throw NPKDError(.notFound, "cannot read '\(path)': \(error)")
        }
        return try importBytes(bytes, source: source, options: options)
    }

    /// The rest of a file, in one array sized from the file's length.
    static func readAll(_ handle: FileHandle) throws -> [UInt8] {
        let start = try handle.offset()
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: start)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(end - start))
        while let chunk = try handle.read(upToCount: LDIFReader.chunkSize), !chunk.isEmpty {
            bytes.append(contentsOf: chunk)
        }
        return bytes
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
            return try importLDIF(LDIFReader(bytes: bytes), source: source, options: options)
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

    /// An ICAO PKD LDIF file: a complete collection or a delta. Deltas are checked against the pkdVersion held for their
    /// collection: one that is not newer is refused whole, one that skips versions is applied and the gap reported.
    func importLDIF(_ reader: LDIFReader, source: String, options: ImportOptions) throws -> ImportSummary {
        let named = PKDFileName(source)
        return try transaction(source: source, format: .ldif, options: options) { db, context in
            // A collection is 30,000 certificates and their indexes in one transaction: a page cache that holds the
            // indexes being filled saves writing pages out to the WAL and reading them back (restored afterwards).
            // (SQLite only: PostgreSQL's shared buffers are the server's.)
            let cacheSize = db.engine == .sqlite ? try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000 : nil
            if cacheSize != nil { try db.execute(sql: "PRAGMA cache_size = -65536") }
            defer { if let cacheSize { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") } }
            let held = Dictionary(try NPKDRepository.pkdVersions(db, domain: domain).map { ($0.collection, $0.version) }) { $1 }
            context.summary.isDelta = named?.isDelta ?? source.lowercased().contains("delta")
            if let named, named.isDelta, let version = held[named.collection], named.version <= version {
                throw Self.staleDelta(collection: named.collection, version: named.version, held: version)
            }
            var versions = PKDVersionRange()
            // Records are read and prepared ahead on other threads, and stored here, in file order.
            let pipeline = LDIFPipeline(reader: reader, issuers: try context.issuers.snapshot(db), pkd: self)
            pipeline.start()
            defer { pipeline.stop() }
            reading: while true {
                switch pipeline.next() {
                case .end:
                    break reading
                case .failure(let error):
                    throw error
                case .records(let batch):
                    for prepared in batch {
                        context.summary.ldifRecords += 1
                        let record = prepared.record
                        do {
                            try storeLDIFRecord(db, prepared, versions: &versions, context: &context)
                        } catch let error as NPKDError {
                            throw error.reason.hasPrefix("line ") ? error : error.located(record.location)
                        } catch {
                            throw NPKDError(.malformedObject, "\(record.location): \(error)")
                        }
                        context.progress("LDIF records", context.summary.ldifRecords, nil)
                    }
                }
            }
            guard context.summary.ldifRecords > 0 else { throw NPKDError(.malformedLDIF, "no LDIF record in the file") }
            if let named {
                versions.note(collection: named.collection, version: named.version)
            }
            try checkSequence(versions: versions, held: held, context: &context)
            for (collection, version) in versions.highest {
                try NPKDRepository.recordPKDVersion(db, domain: domain, collection: collection, version: version,
                                                    complete: !context.summary.isDelta, now: context.now)
            }
            context.summary.pkdVersions = versions.highest
            try relist(db, versions: versions, held: held, context: &context)
        }
    }

    /// An ICAO PKD file name: `icaopkd-001-delta-009410.ldif`, `icaopkd-002-complete-000325.ldif`.
    struct PKDFileName {
        let collection: String
        let isDelta: Bool
        let version: Int

        init?(_ name: String) {
            let parts = name.lowercased().split(separator: "-")
            guard parts.count >= 4, parts[0].hasSuffix("icaopkd"), let kindIndex = parts.firstIndex(where: { $0 == "delta" || $0 == "complete" }),
                  kindIndex >= 2, kindIndex + 1 < parts.count else { return nil }
            let collection = String(parts[kindIndex - 1])
            let digits = parts[kindIndex + 1].prefix(while: \.isNumber)
            guard ["001", "002", "003"].contains(collection), !digits.isEmpty, let version = Int(digits) else { return nil }
            self.collection = collection
            self.isDelta = parts[kindIndex] == "delta"
            self.version = version
        }
    }

    /// The pkdVersions an LDIF file carries, per collection.
    struct PKDVersionRange {
        var lowest: [String: Int] = [:]
        var highest: [String: Int] = [:]

        mutating func note(collection: String, version: Int) {
            lowest[collection] = min(lowest[collection] ?? version, version)
            highest[collection] = max(highest[collection] ?? version, version)
        }
    }

    static func staleDelta(collection: String, version: Int, held: Int) -> NPKDError {
        NPKDError(.staleDelta, "delta of collection \(collection) at pkdVersion \(version) is not newer than version \(held) already applied; "
                  + "nothing of it imported")
    }

    /// A delta not newer than what is held is refused (the transaction rolls back); one that starts beyond the next version
    /// is applied, and the versions it skips are reported.
    func checkSequence(versions: PKDVersionRange, held: [String: Int], context: inout ImportContext) throws {
        guard context.summary.isDelta else {
            for (collection, version) in versions.highest.sorted(by: { $0.key < $1.key }) {
                if let current = held[collection], version < current {
                    context.summary.notes.append("complete collection \(collection) at pkdVersion \(version) is older than version \(current) already applied: "
                                                 + "its objects were merged, nothing it lists was taken back from a withdrawal")
                }
            }
            return
        }
        for (collection, highest) in versions.highest.sorted(by: { $0.key < $1.key }) {
            let lowest = versions.lowest[collection] ?? highest
            guard let current = held[collection] else {
                let gap = "collection \(collection): no version held before this delta (\(lowest)–\(highest)); import the complete collection first"
                context.summary.pkdVersionGaps.append(gap)
                context.summary.notes.append("pkdVersion gap: " + gap)
                continue
            }
            if highest <= current { throw Self.staleDelta(collection: collection, version: highest, held: current) }
            if lowest > current + 1 {
                let missing = lowest == current + 2 ? "\(current + 1)" : "\(current + 1)–\(lowest - 1)"
                let gap = "collection \(collection): version \(current) held, this delta starts at \(lowest); \(missing) missing"
                context.summary.pkdVersionGaps.append(gap)
                context.summary.notes.append("pkdVersion gap: " + gap)
            }
        }
    }

    /// Certificates a delta had withdrawn that this file lists again: listed again unless the file is a complete
    /// collection older than what was applied.
    func relist(_ db: Database, versions: PKDVersionRange, held: [String: Int], context: inout ImportContext) throws {
        guard !context.relisted.isEmpty else { return }
        let older = !context.summary.isDelta && versions.highest.contains { collection, version in held[collection].map { version < $0 } ?? false }
        guard !older else { return }
        for id in context.relisted {
            try NPKDRepository.setPKDEntry(db, id: id, dn: nil, withdrawn: nil)
        }
        context.summary.notes.append("\(context.relisted.count) certificate(s) withdrawn by an earlier delta are listed by the PKD again")
    }

    // MARK: - The transaction

    /// What the steps of one import share.
    struct ImportContext {
        var summary: ImportSummary
        let now: Date
        let options: ImportOptions
        var lastProgress = Date.distantPast
        /// The domain's CA certificates, indexed for this transaction.
        let issuers: IssuerIndex
        /// The normalised dn of the ICAO PKD LDIF entry being imported; nil outside LDIF.
        var pkdEntry: String?
        /// Withdrawn certificates this file lists again (see `relist`).
        var relisted: [Int64] = []

        init(summary: ImportSummary, now: Date, options: ImportOptions, domain: String) {
            self.summary = summary
            self.now = now
            self.options = options
            self.issuers = IssuerIndex(domain: domain)
        }

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
                var context = ImportContext(summary: ImportSummary(source: source, format: format), now: now, options: options, domain: domain)
                for signer in options.trustSigners { try addTrustedSigner(db, signer, now: now) }
                try body(db, &context)
                // Every CRL held as unverified is read again here, so only when a new CA certificate could verify one:
                // an import of a single DS must not re-parse every such CRL the directory holds.
                if context.issuers.authoritiesAdded > 0 { try applyUnverifiedCRLs(db, context: &context) }
                try TrustEvaluation(domain: domain, now: now).refresh(db)
                var summary = context.summary
                if summary.certificatesAddedTotal == 0 && summary.crlsAdded == 0 && summary.masterLists == 0 && summary.deviationLists == 0
                    && summary.duplicatesMerged == 0 && summary.certificatesWithdrawn == 0 && summary.crlsWithdrawn == 0 {
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
                if summary.certificatesWithdrawn > 0 { details["certificatesWithdrawn"] = String(summary.certificatesWithdrawn) }
                if summary.crlsWithdrawn > 0 { details["crlsWithdrawn"] = String(summary.crlsWithdrawn) }
                if !summary.pkdVersionGaps.isEmpty { details["pkdVersionGaps"] = summary.pkdVersionGaps.joined(separator: "; ") }
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

    /// One LDIF record: a content record or `changetype: add` stores its object; `delete` withdraws what the entry
    /// brought; `modify` applies its replace, add and delete operations on the object attribute.
    func storeLDIFRecord(_ db: Database, _ prepared: LDIFPipeline.Prepared, versions: inout PKDVersionRange, context: inout ImportContext) throws {
        let record = prepared.record
        let change = record.changeType
        if change != nil { context.summary.isDelta = true }
        let entry = try prepared.entry.get()
        if let version = entry.pkdVersion { versions.note(collection: entry.collection, version: version) }
        context.pkdEntry = entry.normalizedDN
        defer { context.pkdEntry = nil }
        switch change {
        case nil, "add":
            if let certificate = prepared.certificate, case .certificate(_, let line) = entry.content {
                let ready: PreparedCertificate
                do {
                    ready = try certificate.get()
                } catch let error as NPKDError {
                    throw NPKDError(error.code, "line \(line), entry \(record.index) (\(record.dn.prefix(120))): \(error.reason)")
                }
                try storeCertificate(db, prepared: ready, pkdConformance: entry.conformanceNote, context: &context)
                return
            }
            try storeEntryContent(db, entry.content, entry: entry, context: &context)
        case "delete":
            try withdrawEntry(db, entry, keeping: [], context: &context)
        case "modify":
            try modifyEntry(db, entry, context: &context)
        default:
            throw NPKDError(.malformedLDIF, "\(record.location): changetype '\(change ?? "")' is not applied by the NPKD (add, modify and delete are)")
        }
    }

    /// Stores the object of an entry (or of a modification), naming the line of its value when it cannot be read.
    func storeEntryContent(_ db: Database, _ content: PKDDirectoryEntry.Content, entry: PKDDirectoryEntry, context: inout ImportContext) throws {
        let record = entry.record
        switch content {
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

    /// `changetype: modify`: `replace` of the object attribute withdraws what the entry held and stores the new value;
    /// `add` stores; `delete` withdraws the values named, or everything the entry held when none is named. Operations on
    /// other attributes (pkdVersion, conformance texts) change nothing the NPKD holds.
    func modifyEntry(_ db: Database, _ entry: PKDDirectoryEntry, context: inout ImportContext) throws {
        for modification in try entry.modifications() {
            let values = try modification.values.map { try PKDDirectoryEntry.content(of: [$0], location: entry.record.location) }
                .filter { if case .none = $0 { return false } else { return true } }
            guard PKDDirectoryEntry.isObjectAttribute(modification.attribute) else { continue }
            let fingerprints = try Set(values.compactMap { $0.bytes }.map { try ObjectIdentity.fingerprint($0) })
            switch modification.operation {
            case "replace":
                try withdrawEntry(db, entry, keeping: fingerprints, context: &context)
                for value in values { try storeEntryContent(db, value, entry: entry, context: &context) }
            case "add":
                for value in values { try storeEntryContent(db, value, entry: entry, context: &context) }
            default:  // delete
                if values.isEmpty {
                    try withdrawEntry(db, entry, keeping: [], context: &context)
                } else {
                    try withdrawEntry(db, entry, only: fingerprints, context: &context)
                }
            }
        }
    }

    /// Withdraws what an entry brought: its certificates are no longer trusted (their rows, sources and findings stay),
    /// its CRLs apply to nothing. `keeping`: objects the same operation brings again; `only`: just these objects.
    func withdrawEntry(_ db: Database, _ entry: PKDDirectoryEntry, keeping: Set<String> = [], only: Set<String>? = nil,
                       context: inout ImportContext) throws {
        let source = context.summary.source
        switch entry.organization {
        case "ml", "dl":
            context.summary.notes.append("\(entry.record.location): the PKD removed a \(entry.organization == "ml" ? "master" : "deviation") list; "
                                         + "recorded, not applied (trust in CSCAs stays the operator's decision)")
            return
        case "crl":
            var withdrawn = 0
            for crl in try NPKDRepository.crls(db, domain: domain, country: entry.country ?? "")
            where crl.status == "current" || crl.status == "unverified" {
                guard entry.holds(crl: crl), !keeping.contains(crl.fingerprint), only.map({ $0.contains(crl.fingerprint) }) ?? true else { continue }
                try NPKDRepository.withdrawCRL(db, id: crl.id)
                withdrawn += 1
            }
            context.summary.crlsWithdrawn += withdrawn
            if withdrawn == 0, keeping.isEmpty { context.summary.notes.append("\(entry.record.location): no CRL held for this entry; nothing withdrawn") }
        default:
            guard entry.serialNumber != nil || entry.record.dn.lowercased().hasPrefix("cn=") else { return }  // a container
            var withdrawn = 0
            for row in try NPKDRepository.certificates(db, domain: domain, country: entry.country ?? "", serialHex: entry.serialNumber ?? "")
            where row.withdrawn == nil || context.relisted.contains(row.id) {
                guard entry.holds(certificate: row), !keeping.contains(row.fingerprint), only.map({ $0.contains(row.fingerprint) }) ?? true else { continue }
                try NPKDRepository.setPKDEntry(db, id: row.id, dn: entry.normalizedDN,
                                               withdrawn: "the ICAO PKD deleted its entry (\(source), \(Time.iso8601(context.now)))")
                context.relisted.removeAll { $0 == row.id }
                withdrawn += 1
            }
            context.summary.certificatesWithdrawn += withdrawn
            if withdrawn == 0, keeping.isEmpty {
                context.summary.notes.append("\(entry.record.location): no certificate held for this entry; nothing withdrawn")
            }
        }
    }

    // MARK: Certificates

    /// A certificate with what storing it needs worked out: everything that depends on the certificate alone, and for a
    /// Document Signer (or list signer) the CA certificate whose key verifies it, among the candidates given.
    struct PreparedCertificate: Sendable {
        let certificate: Certificate
        let kind: ProfileLinter.CertificateKind
        /// Its columns; the source, issuer, conformance note and PKD entry are filled in when it is stored.
        let row: NPKDRepository.NewCertificate
        /// The candidates tried and the one whose key verifies the signature; nil when not checked ahead.
        let issuerCheck: (candidates: [Int64], issuer: Int64?)?

        var fingerprint: String { row.fingerprint }
        var isAuthority: Bool { kind == .csca || kind == .link }
    }

    /// Lints the certificate, derives its keys, and with `issuers` checks its signature (a CA's is checked once it is
    /// stored, since it may be its own issuer).
    func prepareCertificate(_ certificate: Certificate, fingerprint: String? = nil, kindHint: ProfileLinter.CertificateKind?,
                            issuers: IssuerSet) throws -> PreparedCertificate {
        try prepareCertificate(certificate, fingerprint: fingerprint, kindHint: kindHint) { aki, issuerKey, isValid in
            let check = issuers.verifying(aki: aki, issuerKey: issuerKey, isValid)
            return (check.candidates, check.issuer?.id)
        }
    }

    func prepareCertificate(
        _ certificate: Certificate, fingerprint: String? = nil, kindHint: ProfileLinter.CertificateKind?,
        check: ((String?, String, (PublicKey) -> Bool) throws -> (candidates: [Int64], issuer: Int64?))? = nil
    ) throws -> PreparedCertificate {
        let kind = kindHint ?? ProfileLinter.kind(of: certificate)
        let findings = ProfileLinter.lint(certificate, as: kind).map {
            FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message)
        }
        let issuerKey = ObjectIdentity.nameKey(certificate.issuer)
        var issuerCheck: (candidates: [Int64], issuer: Int64?)?
        if kind != .csca, kind != .link, let check {
            issuerCheck = try check(certificate.authorityKeyIdentifier?.hexString, issuerKey) { key in
                (try? certificate.isSignatureValid(issuerKey: key)) == true
            }
        }
        let row = NPKDRepository.NewCertificate(
            fingerprint: try fingerprint ?? ObjectIdentity.fingerprint(certificate.encoded), kind: kind.rawValue, certificate: certificate,
            subjectKey: ObjectIdentity.nameKey(certificate.subject), issuerKey: issuerKey, keyHash: try ObjectIdentity.keyHash(certificate),
            findings: FindingRecord.encode(findings), errors: findings.filter { $0.severity == "error" }.count)
        return PreparedCertificate(certificate: certificate, kind: kind, row: row, issuerCheck: issuerCheck)
    }

    /// Stores a certificate once (a duplicate only gains a source), lints it, and finds which stored CA's key verifies
    /// its signature. A new CA certificate is also matched against certificates and CRLs that arrived before it.
    @discardableResult
    func storeCertificate(_ db: Database, _ certificate: Certificate, kindHint: ProfileLinter.CertificateKind?, listID: Int64?,
                          pkdConformance: String? = nil, context: inout ImportContext) throws -> Int64 {
        let fingerprint = try ObjectIdentity.fingerprint(certificate.encoded)
        if let existing = try NPKDRepository.heldCertificate(db, domain: domain, fingerprint: fingerprint) {
            return try mergeDuplicate(db, existing, certificate, kindHint: kindHint, listID: listID, pkdConformance: pkdConformance, context: &context)
        }
        let prepared = try prepareCertificate(certificate, fingerprint: fingerprint, kindHint: kindHint)
        guard let id = try insertCertificate(db, prepared, listID: listID, pkdConformance: pkdConformance, context: &context) else {
            throw NPKDError(.storeFailure, "certificate \(fingerprint) was not held a moment ago, yet could not be inserted")
        }
        return id
    }

    /// `storeCertificate` for a certificate prepared on another thread (an LDIF import): inserted unless its fingerprint
    /// is held (one statement for a new certificate, the common case), else merged.
    @discardableResult
    func storeCertificate(_ db: Database, prepared: PreparedCertificate, pkdConformance: String?, context: inout ImportContext) throws -> Int64 {
        if let id = try insertCertificate(db, prepared, listID: nil, pkdConformance: pkdConformance, context: &context) { return id }
        guard let existing = try NPKDRepository.heldCertificate(db, domain: domain, fingerprint: prepared.fingerprint) else {
            throw NPKDError(.storeFailure, "certificate \(prepared.fingerprint) was neither inserted nor found")
        }
        return try mergeDuplicate(db, existing, prepared.certificate, kindHint: nil, listID: nil, pkdConformance: pkdConformance,
                                  context: &context)
    }

    /// A certificate received again: one more source; a CA kind a list gives it, ICAO's conformance note, the PKD entry.
    private func mergeDuplicate(_ db: Database, _ existing: NPKDRepository.HeldCertificate, _ certificate: Certificate,
                                kindHint: ProfileLinter.CertificateKind?, listID: Int64?, pkdConformance: String?,
                                context: inout ImportContext) throws -> Int64 {
        context.summary.duplicatesMerged += 1
        try NPKDRepository.addSource(db, certificateID: existing.id, source: context.summary.source, listID: listID, now: context.now)
        if let hint = kindHint, hint == .csca || hint == .link, existing.kind != "csca" && existing.kind != "link" {
            try NPKDRepository.updateKind(db, id: existing.id, kind: hint.rawValue)
            try context.issuers.add(db, id: existing.id, ski: existing.ski, subjectKey: existing.subjectKey, keyHash: existing.keyHash,
                                    der: certificate.derEncoded)
        }
        if let pkdConformance, existing.pkdConformance == nil {
            try NPKDRepository.setPKDConformance(db, id: existing.id, text: pkdConformance)
        }
        if let entry = context.pkdEntry {
            if existing.withdrawn != nil {
                context.relisted.append(existing.id)
            } else if existing.pkdDN == nil {
                try NPKDRepository.setPKDEntry(db, id: existing.id, dn: entry, withdrawn: nil)
            }
        }
        return existing.id
    }

    /// Inserts a certificate not held yet, matched to the CA whose key verifies it: by the check made ahead when the
    /// candidates are still the same, else now. Nil, and nothing changed, when its fingerprint is held.
    private func insertCertificate(_ db: Database, _ prepared: PreparedCertificate, listID: Int64?, pkdConformance: String?,
                                   context: inout ImportContext) throws -> Int64? {
        let certificate = prepared.certificate
        var row = prepared.row
        if !prepared.isAuthority {
            if let check = prepared.issuerCheck, check.candidates == (try context.issuers.candidateIDs(db, aki: row.aki, issuerKey: row.issuerKey)) {
                row.signatureIssuerID = check.issuer
            } else {
                row.signatureIssuerID = try signatureIssuer(db, certificate, issuerKey: row.issuerKey, context: context)
            }
        }
        row.source = context.summary.source
        row.pkdConformance = pkdConformance
        row.pkdDN = context.pkdEntry
        guard let id = try NPKDRepository.insertCertificate(db, domain: domain, row, now: context.now) else { return nil }
        try NPKDRepository.addSource(db, certificateID: id, source: context.summary.source, listID: listID, now: context.now)
        context.summary.certificatesAdded[row.kind, default: 0] += 1
        if row.errors > 0 || pkdConformance != nil { context.summary.nonConformant += 1 }
        if prepared.isAuthority {
            try context.issuers.add(db, id: id, ski: row.ski, subjectKey: row.subjectKey, keyHash: row.keyHash, der: certificate.derEncoded)
            if let issuer = try signatureIssuer(db, certificate, issuerKey: row.issuerKey, context: context) {
                try NPKDRepository.setSignatureIssuer(db, id: id, issuerID: issuer)
            }
            try matchIssued(db, caID: id, ca: certificate)
        }
        return id
    }

    /// The stored CA certificate whose key verifies the certificate's signature (the certificate's own key for a
    /// self-signed CSCA): candidates by key identifier, then by name, one try per distinct key.
    func signatureIssuer(_ db: Database, _ certificate: Certificate, issuerKey: String, context: ImportContext) throws -> Int64? {
        try context.issuers.verifying(db, aki: certificate.authorityKeyIdentifier?.hexString, issuerKey: issuerKey) { key in
            (try? certificate.isSignatureValid(issuerKey: key)) == true
        }?.id
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
        if let held = try NPKDRepository.crlExists(db, domain: domain, fingerprint: fingerprint) {
            context.summary.duplicatesMerged += 1
            if let entry = context.pkdEntry { try NPKDRepository.setCRLPKDEntry(db, id: held, dn: entry) }
            return
        }
        let issuer = try crlIssuer(db, crl, context: context)
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
            source: context.summary.source, findings: FindingRecord.encode(findings), errors: errors, keepDER: status != "superseded",
            pkdDN: context.pkdEntry), now: context.now)
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
    func crlIssuer(_ db: Database, _ crl: CertificateRevocationList, context: ImportContext) throws -> (id: Int64, keyHash: String)? {
        try context.issuers.verifying(db, aki: crl.authorityKeyIdentifier?.hexString, issuerKey: ObjectIdentity.nameKey(crl.issuer)) { key in
            (try? crl.isSignatureValid(issuerKey: key)) == true
        }.map { ($0.id, $0.keyHash) }
    }

    /// Indexes the entries inside the import's transaction: read into a packed buffer (entries with extensions are
    /// linted on the way), sorted in the index's order, then written in multi-row batches. Progress counts each entry
    /// half when it is read and half when it is written, so the bar moves evenly through both.
    func indexEntries(_ db: Database, crlID: Int64, crl: CertificateRevocationList, context: inout ImportContext) throws -> Int {
        let total = try crl.entryCount()
        var entries = CRLEntryBuffer(capacity: total)
        var entryFindings: [FindingRecord] = []
        context.progress("CRL entries", 0, total, force: true)
        var read = 0
        var reported = context
        try crl.forEachEntryKey { key, entry in
            if let entry, entry.extensions != nil {
                for finding in ProfileLinter.lint(entry: entry) where !entryFindings.contains(where: { $0.rule == finding.rule }) {
                    entryFindings.append(FindingRecord(severity: finding.severity.rawValue, rule: finding.rule, message: finding.message))
                }
            }
            entries.append(serial: key.serialNumber, date: key.revocationDate)
            read += 1
            if read % 4096 == 0 { reported.progress("CRL entries", read / 2, total) }
        }
        // Written in order, the index grows at its end: the default page cache is enough, whatever the CRL's size.
        let order = entries.sortedOrder()
        let inserted = try NPKDRepository.insertCRLEntries(db, crlID: crlID, entries: entries, order: order, batchSize: context.options.crlBatchSize) {
            reported.progress("CRL entries", (total - total / 2) + $0 / 2, total)
        }
        context.lastProgress = reported.lastProgress
        context.progress("CRL entries", entries.count, total, force: true)
        if inserted < entries.count {
            context.summary.notes.append("CRL of \(crl.issuer): \(entries.count - inserted) serial number(s) listed twice")
        }
        try NPKDRepository.setCRLEntryCount(db, id: crlID, entries: inserted)
        if !entryFindings.isEmpty { try NPKDRepository.addCRLFindings(db, id: crlID, entryFindings) }
        return inserted
    }

    /// CRLs that arrived before their CSCA: tried again once new CA certificates are in.
    func applyUnverifiedCRLs(_ db: Database, context: inout ImportContext) throws {
        for (id, der) in try NPKDRepository.unverifiedCRLs(db, domain: domain) {
            guard let crl = try? CertificateRevocationList(bytes: der), let issuer = try crlIssuer(db, crl, context: context) else { continue }
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
