import Foundation
import GRDB
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
/// approved: <officer> <time> <key SHA-256> signature <base64>
/// state: executed
/// entry: <sequence> <time> <actor> <action> <subject> <details JSON> <hash>
/// …
/// audit-key: <SHA-256 of the audit key>
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
        if let approver = proposal.approver, let decided = proposal.decidedAt {
            lines.append("approved: \(approver) \(Time.iso8601(decided)) \(officers[approver]?.fingerprint ?? "?") signature \(Data(proposal.approverSignature ?? []).base64EncodedString())")
        }
        lines.append("state: \(proposal.state)")
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
}
