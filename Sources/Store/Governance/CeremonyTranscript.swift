import Foundation
import PKICore

/// The transcript of a key ceremony (or any dual-control operation) for the auditors: who proposed and who
/// approved, with their signed statements, when it ran, and the audit entries it wrote (the key references,
/// certificates and fingerprints the CA recorded), signed with the domain's audit key.
///
/// ```
/// epki ceremony transcript
/// domain: <domain>
/// proposal: <id>
/// operation: <name>
/// parameters: epki <arguments>
/// parameters-sha256: <hex>
/// proposed: <officer> <time> <key SHA-256> signature <base64>
/// approvals-required: <M>
/// approved: <officer> <time> <key SHA-256> signature <base64>      (one line per approval, M of them)
/// state: executed
/// key: <reference> token <PKCS#11 token label | software> spki-sha256 <hex>   (each key the run made)
/// entry: <sequence> <time> <actor> <action> <subject> <details JSON> <hash>
/// …
/// audit-key: <SHA-256 of the audit key>
/// made: <time>
/// ```
/// Signed like a checkpoint: `openssl dgst -sha256 -verify audit-key.pem -signature transcript.sig transcript.txt`.
public enum CeremonyTranscript {
    public static func make(store: EPKIStore, domain: String, proposal id: Int64, keys: any KeyProvider, now: Date) throws -> (text: [UInt8], signature: [UInt8]) {
        let (proposal, officers, entries, auditKey) = try store.read { db -> (Proposal, [String: Officer], [AuditEntry], AuditCheckpoints.Key?) in
            let proposal = try Governance.proposal(db, domain: domain, id: id)
            let officers = try Row.fetchAll(db, sql: "SELECT * FROM officer WHERE domain = ?", arguments: [domain]).map(Governance.officer)
            // The entries from the approval to the end of the run.
            let all = try AuditTrail.entries(db, domain: domain)
            let start = all.firstIndex { $0.action == "governance.approve" && $0.details["proposal"] == "\(id)" }
            let end = all.firstIndex { ($0.action == "governance.executed" || $0.action == "governance.failed") && $0.subject == "\(id)" }
            let run = start.map { from in Array(all[from...(end ?? all.count - 1)]) } ?? []
            return (proposal, Dictionary(officers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }), run,
                    try AuditCheckpoints.keys(db, domain: domain).last)
        }
        guard proposal.state == .executed || proposal.state == .failed else {
            throw StoreError(.notFound, "proposal \(id) has not run (it is \(proposal.state)); a transcript records a ceremony that took place")
        }
        guard let auditKey else { throw StoreError(.notFound, "domain '\(domain)' has no audit key to sign the transcript; run `epki audit key`") }
        var lines = [
            "epki ceremony transcript", "domain: \(domain)", "proposal: \(id)", "operation: \(proposal.operation)",
            "parameters: epki \(proposal.parameters.joined(separator: " "))", "parameters-sha256: \(proposal.parametersHash)",
            "proposed: \(proposal.proposer) \(Time.iso8601(proposal.proposedAt)) \(officers[proposal.proposer]?.fingerprint ?? "?") signature \(Data(proposal.proposerSignature).base64EncodedString())",
        ]
        lines.append("approvals-required: \(proposal.approvalsRequired)")
        if proposal.approvals.isEmpty, let approver = proposal.approver, let decided = proposal.decidedAt {
            // Approved before approvals had a table of their own.
            lines.append("approved: \(approver) \(Time.iso8601(decided)) \(officers[approver]?.fingerprint ?? "?") signature \(Data(proposal.approverSignature ?? []).base64EncodedString())")
        }
        for approval in proposal.approvals {
            lines.append("approved: \(approval.officer) \(Time.iso8601(approval.time)) \(officers[approval.officer]?.fingerprint ?? "?") signature \(Data(approval.signature).base64EncodedString())")
        }
        lines.append("state: \(proposal.state)")
        for entry in entries {
            guard let reference = entry.details["key"], let fingerprint = entry.details["keySHA256"] else { continue }
            lines.append("key: \(reference) token \(token(of: reference)) spki-sha256 \(fingerprint)")
        }
        for entry in entries {
            lines.append("entry: \(entry.sequence) \(Time.iso8601(entry.time)) \(entry.actor) \(entry.action) \(entry.subject) \(AuditEntry.encodeDetails(entry.details)) \(entry.hash)")
        }
        lines.append("audit-key: \(auditKey.fingerprint)")
        lines.append("made: \(Time.iso8601(now))")
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        let signature = try keys.signer(for: auditKey.reference, domain: domain).sign(text, algorithm: AuditCheckpoint.algorithm(for: auditKey.publicKey))
        try store.write { db in
            try AuditTrail.append(db, domain: domain, action: "ceremony.transcript", subject: "\(id)",
                                  details: ["sha256": try HashAlgorithm.sha256.hash(text).hexString.lowercased()], now: now)
        }
        return (text, signature)
    }

    /// The token a key reference names (`pkcs11:token=…;object=…`), or "software" for a key file.
    static func token(of reference: String) -> String {
        guard reference.hasPrefix("pkcs11:") else { return "software" }
        for attribute in reference.dropFirst("pkcs11:".count).split(separator: ";") where attribute.hasPrefix("token=") {
            return String(attribute.dropFirst("token=".count)).removingPercentEncoding ?? String(attribute.dropFirst("token=".count))
        }
        return "(unnamed token)"
    }
}
