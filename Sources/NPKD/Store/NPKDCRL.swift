import Foundation
import PKICore

/// A CRL as the NPKD holds it.
public struct NPKDCRL: Sendable, Identifiable {
    public let id: Int64
    public let fingerprint: String
    public let country: String
    public let issuer: String
    public let authorityKeyIdentifier: String?
    /// current (decides revocation for its CSCA's key), superseded (a newer one arrived), unverified (its signer is
    /// unknown or its signature does not verify: it applies to nothing), or withdrawn (an ICAO PKD delta deleted or
    /// replaced its entry: it applies to nothing).
    public let status: String
    public let crlNumber: String?
    public let thisUpdate: Date
    public let nextUpdate: Date?
    public let entries: Int
    public let source: String
    public let importedAt: Date
    public let findings: [FindingRecord]

    init(_ row: NPKDRepository.CRLRow) {
        id = row.id
        fingerprint = row.fingerprint
        country = row.country
        issuer = row.issuer
        authorityKeyIdentifier = row.aki
        status = row.status
        crlNumber = row.crlNumber
        thisUpdate = row.thisUpdate
        nextUpdate = row.nextUpdate
        entries = row.entries
        source = row.source
        importedAt = row.importedAt
        findings = FindingRecord.decode(row.findings)
    }

    public var summary: [String: Any] {
        var object: [String: Any] = [
            "id": id, "fingerprint": fingerprint, "country": country, "issuer": issuer, "status": status,
            "thisUpdate": Time.iso8601(thisUpdate), "entries": entries, "source": source, "importedAt": Time.iso8601(importedAt),
            "findings": findings.filter { $0.severity == "error" }.count,
        ]
        object["authorityKeyIdentifier"] = authorityKeyIdentifier
        object["crlNumber"] = crlNumber
        object["nextUpdate"] = nextUpdate.map(Time.iso8601)
        return object
    }
}
