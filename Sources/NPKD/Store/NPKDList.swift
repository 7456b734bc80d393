import Foundation
import PKICore

/// A master list or deviation list as the NPKD holds it.
public struct NPKDList: Sendable, Identifiable {
    public let id: Int64
    /// masterlist or deviationlist.
    public let kind: String
    public let fingerprint: String
    public let country: String
    public let signerSubject: String
    public let signerFingerprint: String
    public let signingTime: Date?
    public let source: String
    public let importedAt: Date
    public let state: TrustState
    public let stateReason: String
    public let certificates: Int
    public let findings: [FindingRecord]

    init(_ row: NPKDRepository.ListRow) {
        id = row.id
        kind = row.kind
        fingerprint = row.fingerprint
        country = row.country
        signerSubject = row.signerSubject
        signerFingerprint = row.signerFingerprint
        signingTime = row.signingTime
        source = row.source
        importedAt = row.importedAt
        state = TrustState(rawValue: row.state) ?? .untrusted
        stateReason = row.stateReason
        certificates = row.certificates
        findings = FindingRecord.decode(row.findings)
    }

    public var summary: [String: Any] {
        var object: [String: Any] = [
            "id": id, "kind": kind, "fingerprint": fingerprint, "country": country, "signer": signerSubject,
            "signerFingerprint": signerFingerprint, "source": source, "importedAt": Time.iso8601(importedAt), "state": state.rawValue,
            "stateReason": stateReason, "certificates": certificates, "findings": findings.filter { $0.severity == "error" }.count,
        ]
        object["signingTime"] = signingTime.map(Time.iso8601)
        return object
    }
}
