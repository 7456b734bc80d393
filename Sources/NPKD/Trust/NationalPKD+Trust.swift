import ICAOProfile
import Foundation
import PKICore
import Store

/// The operator's trust decisions (each audited, each followed by a re-evaluation of every state) and `explain`.
extension NationalPKD {
    /// Names of the checks `explain` reports, stable for tools reading the JSON.
    public enum ExplainCheck {
        public static let certificate = "certificate"
        public static let held = "held"
        public static let conformance = "conformance"
        public static let validity = "validity"
        public static let anchor = "trust anchor"
        public static let issuer = "issuer"
        public static let issuerTrusted = "issuer trusted"
        public static let crl = "CRL"
        public static let revocation = "revocation"
        public static let state = "trust state"
    }

    /// The store for a trust source: passive authentication with the NPKD's trust.
    public var trustSource: NPKDTrustSource { NPKDTrustSource(self) }

    /// A bilateral import confirmed: a CSCA (or link) certificate, received from its country through another channel,
    /// becomes a trust anchor. Imported first when it is not held yet.
    @discardableResult
    public func trust(_ certificate: Certificate, note: String = "") throws -> NPKDCertificate {
        try held(try decide { db, now in
            var context = ImportContext(summary: ImportSummary(source: "bilateral: \(certificate.subject)", format: .certificate), now: now,
                                        options: ImportOptions(), domain: domain)
            let id = try storeCertificate(db, certificate, kindHint: nil, listID: nil, context: &context)
            try applyUnverifiedCRLs(db, context: &context)  // CRLs that arrived before their CSCA apply now
            return try confirm(db, id: id, note: note, now: now)
        })
    }

    /// Confirms a held CSCA or link certificate, named by its SHA-256 fingerprint, as a trust anchor.
    @discardableResult
    public func trust(fingerprint: String, note: String = "") throws -> NPKDCertificate {
        try held(try decide { db, now in
            guard let row = try NPKDRepository.certificate(db, domain: domain, fingerprint: fingerprint.uppercased()) else {
                throw NPKDError(.notFound, "no certificate with fingerprint \(fingerprint) is held in domain '\(domain)'")
            }
            return try confirm(db, id: row.id, note: note, now: now)
        })
    }

    private func confirm(_ db: Database, id: Int64, note: String, now: Date) throws -> Int64 {
        guard let row = try NPKDRepository.certificate(db, id: id) else { throw NPKDError(.notFound, "certificate \(id) vanished") }
        guard row.kind == "csca" || row.kind == "link" else {
            throw NPKDError(.badRequest, "\(row.subject) is a \(row.kind.uppercased()) certificate: only CSCA and link certificates are trust anchors; a DS is trusted through its CSCA and that CSCA's CRL")
        }
        let reason = "confirmed bilaterally by \(AuditTrail.defaultActor) on \(Time.iso8601(now))" + (note.isEmpty ? "" : ": \(note)")
        try NPKDRepository.setAnchor(db, id: id, reason: reason)
        try AuditTrail.append(db, domain: domain, action: "npkd.trust", subject: row.subject,
                              details: ["fingerprint": row.fingerprint, "serial": row.serial, "note": note], now: now)
        return id
    }

    /// Withdraws a trust anchor (bilateral or from a master list): its key, and what it alone vouched for, are no longer trusted.
    @discardableResult
    public func distrust(fingerprint: String, note: String = "") throws -> NPKDCertificate {
        try held(try decide { db, now in
            guard let row = try NPKDRepository.certificate(db, domain: domain, fingerprint: fingerprint.uppercased()) else {
                throw NPKDError(.notFound, "no certificate with fingerprint \(fingerprint) is held in domain '\(domain)'")
            }
            try NPKDRepository.setAnchor(db, id: row.id, reason: nil)
            try AuditTrail.append(db, domain: domain, action: "npkd.distrust", subject: row.subject,
                                  details: ["fingerprint": row.fingerprint, "serial": row.serial, "previously": row.anchor ?? "", "note": note],
                                  now: now)
            return row.id
        })
    }

    /// Trusts a master list signer (or the CSCA that issued it) from now on; master lists it signed become sources of anchors.
    public func trustSigner(_ signer: Certificate) throws {
        try decide { db, now in try addTrustedSigner(db, signer, now: now) }
    }

    /// Stops trusting a master list signer: the anchors that only its master lists provided are withdrawn.
    public func distrustSigner(fingerprint: String) throws {
        try decide { db, now in
            guard try NPKDRepository.removeTrustedSigner(db, domain: domain, fingerprint: fingerprint.uppercased()) else {
                throw NPKDError(.notFound, "no trusted signer with fingerprint \(fingerprint) in domain '\(domain)'")
            }
            try AuditTrail.append(db, domain: domain, action: "npkd.distrust-signer", subject: fingerprint.uppercased(), details: [:], now: now)
            var stillTrusted: [NPKDRepository.ListRow] = []
            for list in try NPKDRepository.lists(db, domain: domain, kind: "masterlist") {
                guard let signerRow = try NPKDRepository.certificate(db, domain: domain, fingerprint: list.signerFingerprint),
                      let signer = try? Certificate(bytes: signerRow.der) else { continue }
                let report = (try? JSONDecoder().decode(VerificationReport.self, from: Data(list.report.utf8))) ?? VerificationReport(subject: "")
                let (state, reason) = try masterListState(db, signer: signer, report: report)
                try NPKDRepository.setListState(db, id: list.id, state: state.rawValue, reason: reason)
                if state == .trusted { stillTrusted.append(list) }
            }
            for row in try NPKDRepository.certificates(db, domain: domain, kinds: ["csca", "link"]) where row.anchor?.hasPrefix("master list ") == true {
                try NPKDRepository.setAnchor(db, id: row.id, reason: nil)
            }
            for list in stillTrusted {
                for id in try NPKDRepository.certificateIDs(db, listID: list.id) {
                    _ = try setAnchorIfNone(db, id: id, reason: "master list \(list.source) signed by \(list.signerSubject)")
                }
            }
        }
    }

    /// Re-evaluates every state (validity periods pass while nothing is imported). Returns how many changed.
    @discardableResult
    public func refreshTrust() throws -> Int {
        let now = clock.now()
        do {
            return try store.write { db in
                guard try EPKIStore.domain(db, name: domain) != nil else { return 0 }
                return try TrustEvaluation(domain: domain, now: now).refresh(db)
            }
        } catch let error as NPKDError {
            throw error
        } catch {
            throw NPKDError(.storeFailure, "re-evaluating trust failed: \(error)")
        }
    }

    /// One audited decision: the change, then every state re-evaluated, in one transaction.
    private func decide<T>(_ body: (Database, Date) throws -> T) throws -> T {
        let now = clock.now()
        do {
            return try store.write { db in
                try EPKIStore.ensureDomain(db, name: domain, description: "national public key directory", now: now)
                let result = try body(db, now)
                try TrustEvaluation(domain: domain, now: now).refresh(db)
                return result
            }
        } catch let error as NPKDError {
            throw error
        } catch let error as StoreError {
            throw error
        } catch {
            throw NPKDError(.storeFailure, "\(error)")
        }
    }

    /// The held certificate with this row id, after a decision.
    private func held(_ id: Int64) throws -> NPKDCertificate {
        guard let row = try read({ db in try NPKDRepository.certificate(db, id: id) }) else {
            throw NPKDError(.notFound, "certificate \(id) is not held")
        }
        return NPKDCertificate(row)
    }

    // MARK: - Explain

    /// Says step by step why a certificate is or is not trusted: held or not, conformance, validity, then for a CSCA
    /// or link certificate its anchor or link path, and for a DS its issuing CSCA, that CSCA's trust, its latest CRL and
    /// the revocation; the last check names the state. Judged against the store as it is, for held and new certificates.
    public func explain(_ certificate: Certificate) throws -> VerificationReport {
        let now = clock.now()
        return try read { db in
            var report = VerificationReport(subject: "Trust in \(certificate.subject) (serial \(certificate.serialNumberHex))")
            let fingerprint = try ObjectIdentity.fingerprint(certificate.encoded)
            let held = try NPKDRepository.certificate(db, domain: domain, fingerprint: fingerprint)
            let kind = held.flatMap { ProfileLinter.CertificateKind(rawValue: $0.kind) } ?? ProfileLinter.kind(of: certificate)
            report.add(ExplainCheck.certificate, .passed,
                       "\(kind.rawValue.uppercased()) certificate \(certificate.subject), issued by \(certificate.issuer), serial \(certificate.serialNumberHex)")
            if let held {
                let sources = try NPKDRepository.sources(db, certificateID: held.id).map(\.source)
                report.add(ExplainCheck.held, .passed, "held since \(Time.iso8601(held.importedAt)), received from \(Set(sources).sorted().joined(separator: ", ")); SHA-256 \(fingerprint)")
                if let withdrawn = held.withdrawn { report.add(ExplainCheck.held, .failed, "withdrawn: \(withdrawn)") }
            } else {
                report.add(ExplainCheck.held, .notChecked, "not held in domain '\(domain)'; judged against what the store holds")
            }

            let findings = held.map { FindingRecord.decode($0.findings) }
                ?? ProfileLinter.lint(certificate, as: kind).map { FindingRecord(severity: $0.severity.rawValue, rule: $0.rule, message: $0.message) }
            let errors = findings.filter { $0.severity == "error" }
            if errors.isEmpty {
                report.add(ExplainCheck.conformance, .passed, "conforms to the Doc 9303-12 profile" + (findings.isEmpty ? "" : " (\(findings.count) warning(s))"))
            } else {
                let shown = errors.prefix(3).map(\.description).joined(separator: "; ")
                report.add(ExplainCheck.conformance, .warning, "\(errors.count) finding(s) against Doc 9303-12 (accepted, reported): \(shown)\(errors.count > 3 ? "; ..." : "")")
            }
            if let note = held?.pkdConformance { report.add(ExplainCheck.conformance, .warning, "ICAO PKD non-conformant: \(note)") }

            if now < certificate.notBefore {
                report.add(ExplainCheck.validity, .failed, "not valid before \(Time.iso8601(certificate.notBefore)) (now \(Time.iso8601(now)))")
            } else if now > certificate.notAfter {
                report.add(ExplainCheck.validity, .failed, "expired on \(Time.iso8601(certificate.notAfter)) (now \(Time.iso8601(now)))")
            } else {
                report.add(ExplainCheck.validity, .passed, "valid \(Time.iso8601(certificate.notBefore)) – \(Time.iso8601(certificate.notAfter))")
            }

            let rows = try NPKDRepository.trustRows(db, domain: domain)
            let trustedKeys = TrustEvaluation(domain: domain, now: now).trustedKeys(rows: rows)
            if kind == .csca || kind == .link {
                explainAuthority(db, certificate, held: held, trustedKeys: trustedKeys, report: &report)
            } else {
                try explainSigner(db, certificate, kind: kind, rows: rows, trustedKeys: trustedKeys, now: now, report: &report)
            }

            let failed = report.checks.filter { $0.status == .failed }
            let state: TrustState
            if held?.withdrawn != nil {
                state = .untrusted
            } else if failed.contains(where: { $0.name == ExplainCheck.revocation }) {
                state = .revoked
            } else if now > certificate.notAfter {
                state = .expired
            } else if !failed.isEmpty {
                state = .untrusted
            } else {
                state = errors.isEmpty && held?.pkdConformance == nil ? .trusted : .nonConformantAccepted
            }
            let why = failed.first.map { "\($0.name): \($0.detail)" } ?? (state == .trusted ? "every check passed" : "trusted, with findings against the profile")
            report.add(ExplainCheck.state, state.isUsable ? .passed : .failed, "\(state.rawValue) — \(why)")
            return report
        }
    }

    private func explainAuthority(_ db: Database, _ certificate: Certificate, held: NPKDRepository.CertificateRow?,
                                  trustedKeys: [String: String], report: inout VerificationReport) {
        if let why = (try? ObjectIdentity.keyHash(certificate)).flatMap({ trustedKeys[$0] }) {
            report.add(ExplainCheck.anchor, .passed, why)
        } else if let anchor = held?.anchor {
            report.add(ExplainCheck.anchor, .failed, "a trust anchor (\(anchor)) outside its validity, so its key is not trusted")
        } else {
            report.add(ExplainCheck.anchor, .failed,
                       "not a trust anchor: not in a master list whose signer is trusted, not confirmed bilaterally (epki npkd trust), and no trusted link certificate certifies its key")
        }
    }

    private func explainSigner(_ db: Database, _ certificate: Certificate, kind: ProfileLinter.CertificateKind, rows: [NPKDRepository.TrustRow],
                               trustedKeys: [String: String], now: Date, report: inout VerificationReport) throws {
        let aki = certificate.authorityKeyIdentifier?.hexString
        let candidates = try NPKDRepository.caCandidates(db, domain: domain, aki: aki, issuerKey: ObjectIdentity.nameKey(certificate.issuer))
        let notEstablished = "the issuing CSCA is not established"
        guard !candidates.isEmpty else {
            report.add(ExplainCheck.issuer, .failed, "no CSCA named \(certificate.issuer)\(aki.map { " with key identifier \($0)" } ?? "") is held")
            report.add(ExplainCheck.crl, .notChecked, notEstablished)
            return
        }
        var issuer: NPKDRepository.CertificateRow?
        var tried = Set<String>()
        for candidate in candidates where tried.insert(candidate.keyHash).inserted {
            guard let parsed = try? Certificate(bytes: candidate.der), let key = try? parsed.publicKey else { continue }
            if (try? certificate.isSignatureValid(issuerKey: key)) == true {
                issuer = candidate
                break
            }
        }
        guard let issuer else {
            report.add(ExplainCheck.issuer, .failed,
                       "the signature does not verify with the key of any of the \(candidates.count) CSCA certificate(s) named \(certificate.issuer)")
            report.add(ExplainCheck.crl, .notChecked, notEstablished)
            return
        }
        report.add(ExplainCheck.issuer, .passed, "the signature verifies with the key of \(issuer.kind.uppercased()) \(issuer.subject) (serial \(issuer.serial))")
        if let why = trustedKeys[issuer.keyHash] {
            report.add(ExplainCheck.issuerTrusted, .passed, "that key is trusted: \(why)")
        } else {
            report.add(ExplainCheck.issuerTrusted, .failed, "that CSCA is \(issuer.state): \(issuer.stateReason)")
        }
        guard let crl = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: issuer.keyHash) else {
            let ignored = try NPKDRepository.crls(db, domain: domain, country: issuer.country).filter { crl in
                crl.status == "unverified" && (crl.aki == issuer.ski || crl.issuer == issuer.subject)
            }
            let note = ignored.isEmpty ? "" : "; \(ignored.count) CRL(s) naming it (from \(ignored.map(\.source).joined(separator: ", "))) are held but signed by an unknown CA, so they apply to nothing"
            report.add(ExplainCheck.crl, kind == .documentSigner ? .failed : .notChecked,
                       "no CRL of CSCA \(issuer.subject) verified with its key is held\(kind == .documentSigner ? ": a DS is trusted only with its CSCA's latest CRL" : "")\(note)")
            return
        }
        let next = crl.nextUpdate.map { ", next update \(Time.iso8601($0))" } ?? ""
        report.add(ExplainCheck.crl, .passed, "latest CRL \(crl.crlNumber ?? "?") of \(Time.iso8601(crl.thisUpdate))\(next), \(crl.entries) entries, verified with the CSCA's key (from \(crl.source))")
        if let nextUpdate = crl.nextUpdate, nextUpdate < now {
            report.add(ExplainCheck.crl, .warning, "the CRL is overdue: its next update was \(Time.iso8601(nextUpdate))")
        }
        if let date = try NPKDRepository.revocationDate(db, crlID: crl.id, serial: RevocationKey.serial(certificate.serialNumber)) {
            report.add(ExplainCheck.revocation, .failed, "revoked on \(Time.iso8601(date)) by CRL \(crl.crlNumber ?? "?") of \(issuer.subject)")
        } else {
            report.add(ExplainCheck.revocation, .passed, "serial \(certificate.serialNumberHex) is not on CRL \(crl.crlNumber ?? "?")")
        }
    }

    /// Says whether a CRL applies to anything: which held CSCA key verifies it, and whether it is the latest.
    public func explain(_ crl: CertificateRevocationList) throws -> VerificationReport {
        try read { db in
            var report = VerificationReport(subject: "CRL \(crl.crlNumber?.bytes.hexString ?? "?") of \(crl.issuer)")
            let findings = ProfileLinter.lint(crl)
            let errors = findings.filter { $0.severity == .error }
            report.add(ExplainCheck.conformance, errors.isEmpty ? .passed : .warning,
                       errors.isEmpty ? "conforms to the Doc 9303-12 CRL profile" : errors.prefix(3).map(\.description).joined(separator: "; "))
            let candidates = try NPKDRepository.caCandidates(db, domain: domain, aki: crl.authorityKeyIdentifier?.hexString,
                                                             issuerKey: ObjectIdentity.nameKey(crl.issuer))
            var issuer: NPKDRepository.CertificateRow?
            for candidate in candidates {
                guard let parsed = try? Certificate(bytes: candidate.der), let key = try? parsed.publicKey else { continue }
                if (try? crl.isSignatureValid(issuerKey: key)) == true {
                    issuer = candidate
                    break
                }
            }
            guard let issuer else {
                report.add(ExplainCheck.issuer, .failed, candidates.isEmpty
                           ? "no CSCA named \(crl.issuer) is held: the CRL is signed by an unknown CA and applies to nothing"
                           : "none of the \(candidates.count) CSCA certificate(s) named \(crl.issuer) verifies its signature: it applies to nothing")
                return report
            }
            report.add(ExplainCheck.issuer, .passed, "verifies with the key of \(issuer.kind.uppercased()) \(issuer.subject) (serial \(issuer.serial), \(issuer.state))")
            if let current = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: issuer.keyHash) {
                let isThis = try current.fingerprint == ObjectIdentity.fingerprint(crl.encoded)
                report.add(ExplainCheck.crl, isThis ? .passed : .warning,
                           isThis ? "the latest CRL held for that key: it decides revocation" : "not the latest: CRL \(current.crlNumber ?? "?") of \(Time.iso8601(current.thisUpdate)) is")
            } else {
                report.add(ExplainCheck.crl, .notChecked, "not imported yet; it would apply to that CSCA's certificates")
            }
            return report
        }
    }
}
