import Store
import Foundation
import PKICore

/// Decides the trust state of everything held, from facts recorded at import (which stored CA key verified each
/// signature, which certificates are anchors, which CRL is current per CSCA key), so no signature is checked again.
///
/// 1. Trusted keys: the keys of anchors within their validity (from a master list whose signer the operator trusts,
///    or confirmed bilaterally).
/// 2. Link certificates extend them: a valid CA certificate signed by a trusted key makes its own key trusted
///    (repeated until nothing changes, at most once per CA certificate).
/// 3. A CSCA or link certificate is trusted when its key is.
/// 4. A Document Signer is trusted only when its signature verifies with a trusted key and that key's latest CRL is
///    held and does not list it; revoked when it does. MLS and DLS need the trusted key; a CRL is consulted if held.
/// 5. Anything outside its validity period is expired; anything trusted with findings against Doc 9303-12 (or on
///    ICAO's non-conformant list) is non-conformant but accepted.
/// 6. A certificate whose ICAO PKD entry a delta deleted is untrusted, whatever else holds: the PKD no longer lists it.
struct TrustEvaluation {
    let domain: String
    let now: Date

    struct Outcome: Equatable {
        let state: TrustState
        let reason: String
    }

    /// Recomputes and stores every state that changed. Returns how many changed.
    @discardableResult
    func refresh(_ db: Database) throws -> Int {
        let rows = try NPKDRepository.trustRows(db, domain: domain)
        let outcomes = try evaluate(db, rows: rows)
        var changed = 0
        for row in rows {
            guard let outcome = outcomes[row.id], outcome.state.rawValue != row.state || outcome.reason != row.stateReason else { continue }
            try NPKDRepository.setState(db, id: row.id, state: outcome.state.rawValue, reason: outcome.reason)
            changed += 1
        }
        try refreshDeviationLists(db)
        return changed
    }

    /// Steps 1 and 2: the trusted CSCA keys (key hash → why).
    func trustedKeys(rows: [NPKDRepository.TrustRow]) -> [String: String] {
        let byID = Dictionary(rows.map { ($0.id, $0) }) { first, _ in first }
        let authorities = rows.filter { $0.kind == "csca" || $0.kind == "link" }
        var trustedKeys: [String: String] = [:]
        for row in authorities where row.anchor != nil && isValid(row) {
            trustedKeys[row.keyHash] = trustedKeys[row.keyHash] ?? "trust anchor (\(row.anchor ?? ""))"
        }
        // Link certificates: bounded by the number of CA certificates, since each round trusts at least one more key.
        for _ in 0...authorities.count {
            var grew = false
            for row in authorities where trustedKeys[row.keyHash] == nil && isValid(row) {
                guard let issuerID = row.signatureIssuerID, let issuer = byID[issuerID], issuer.keyHash != row.keyHash,
                      trustedKeys[issuer.keyHash] != nil else { continue }
                trustedKeys[row.keyHash] = "certified by trusted \(issuer.kind.uppercased()) serial \(issuer.serial) (link certificate)"
                grew = true
            }
            if !grew { break }
        }
        return trustedKeys
    }

    func evaluate(_ db: Database, rows: [NPKDRepository.TrustRow]) throws -> [Int64: Outcome] {
        let byID = Dictionary(rows.map { ($0.id, $0) }) { first, _ in first }
        let trustedKeys = trustedKeys(rows: rows)

        var currentCRLs: [String: NPKDRepository.CRLRow?] = [:]
        func currentCRL(_ keyHash: String) throws -> NPKDRepository.CRLRow? {
            if let cached = currentCRLs[keyHash] { return cached }
            let crl = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: keyHash)
            currentCRLs[keyHash] = crl
            return crl
        }

        var outcomes: [Int64: Outcome] = [:]
        for row in rows {
            if let withdrawn = row.withdrawn {
                outcomes[row.id] = Outcome(state: .untrusted, reason: "withdrawn: \(withdrawn)")
                continue
            }
            if now > row.notAfter {
                outcomes[row.id] = Outcome(state: .expired, reason: "expired on \(Time.iso8601(row.notAfter))")
                continue
            }
            if now < row.notBefore {
                outcomes[row.id] = Outcome(state: .untrusted, reason: "not valid before \(Time.iso8601(row.notBefore))")
                continue
            }
            if row.kind == "csca" || row.kind == "link" {
                if let why = trustedKeys[row.keyHash] {
                    outcomes[row.id] = accepted(row, why)
                } else {
                    outcomes[row.id] = Outcome(state: .untrusted, reason: row.anchor == nil
                        ? "not a trust anchor: not in a master list whose signer is trusted, not confirmed bilaterally (epki npkd trust)"
                        : "a trust anchor, but its key is not usable")
                }
                continue
            }
            guard let issuerID = row.signatureIssuerID, let issuer = byID[issuerID] else {
                outcomes[row.id] = Outcome(state: .untrusted, reason: "no CSCA held verifies its signature")
                continue
            }
            guard trustedKeys[issuer.keyHash] != nil else {
                outcomes[row.id] = Outcome(state: .untrusted, reason: "issued by \(issuer.kind.uppercased()) serial \(issuer.serial), which is not trusted")
                continue
            }
            let crl = try currentCRL(issuer.keyHash)
            if let crl, let serial = [UInt8](hex: row.serial),
               let revoked = try NPKDRepository.revocationDate(db, crlID: crl.id, serial: RevocationKey.serial(serial)) {
                outcomes[row.id] = Outcome(state: .revoked, reason: "revoked on \(Time.iso8601(revoked)) by CRL \(crl.crlNumber ?? "?") of its CSCA")
                continue
            }
            if row.kind == "ds" {
                guard let crl else {
                    outcomes[row.id] = Outcome(state: .untrusted,
                                               reason: "no CRL of its CSCA (serial \(issuer.serial)) is held: a DS is trusted only with its CSCA's latest CRL")
                    continue
                }
                outcomes[row.id] = accepted(row, "issued by trusted CSCA serial \(issuer.serial); not on its CRL \(crl.crlNumber ?? "?")")
            } else {
                outcomes[row.id] = accepted(row, "issued by trusted CSCA serial \(issuer.serial)")
            }
        }
        return outcomes
    }

    private func isValid(_ row: NPKDRepository.TrustRow) -> Bool {
        row.notBefore <= now && now <= row.notAfter
    }

    private func accepted(_ row: NPKDRepository.TrustRow, _ why: String) -> Outcome {
        if row.errors > 0 || row.pkdConformance != nil {
            let what = row.errors > 0 ? "\(row.errors) finding(s) against Doc 9303-12" : "listed by ICAO as non-conformant"
            return Outcome(state: .nonConformantAccepted, reason: "\(why); \(what)")
        }
        return Outcome(state: .trusted, reason: why)
    }

    /// A deviation list is as trustworthy as its signer's certificate.
    private func refreshDeviationLists(_ db: Database) throws {
        for list in try NPKDRepository.lists(db, domain: domain, kind: "deviationlist") {
            let signer = try NPKDRepository.certificate(db, domain: domain, fingerprint: list.signerFingerprint)
            let usable = signer.flatMap { TrustState(rawValue: $0.state) }?.isUsable ?? false
            let hasEKU = !list.report.contains("the signer lacks EKU")
            let state: TrustState = usable && hasEKU ? .trusted : .untrusted
            let reason = !hasEKU ? "the signer lacks EKU 2.23.136.1.1.8"
                : usable ? "signed by trusted \(list.signerSubject)" : "its signer \(list.signerSubject) is \(signer?.state ?? "unknown"): \(signer?.stateReason ?? "")"
            if state.rawValue != list.state || reason != list.stateReason {
                try NPKDRepository.setListState(db, id: list.id, state: state.rawValue, reason: reason)
            }
        }
    }
}
