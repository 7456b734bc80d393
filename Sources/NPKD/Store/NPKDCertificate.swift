import Foundation
import PKICore

/// A certificate as the NPKD holds it: the certificate, where it came from, its findings and its trust state.
public struct NPKDCertificate: Sendable, Identifiable {
    public let id: Int64
    public let fingerprint: String
    /// csca, link, ds, mls or dls.
    public let kind: String
    public let country: String
    public let subject: String
    public let issuer: String
    public let serial: String
    public let subjectKeyIdentifier: String?
    public let authorityKeyIdentifier: String?
    public let notBefore: Date
    public let notAfter: Date
    public let der: [UInt8]
    public let source: String
    public let importedAt: Date
    public let findings: [FindingRecord]
    /// ICAO's own conformance note when the certificate came from the PKD's non-conformant (nc-data) branch.
    public let pkdConformance: String?
    /// Why the operator trusts it directly; nil when it is not a trust anchor.
    public let anchor: String?
    public let state: TrustState
    public let stateReason: String
    /// Why the ICAO PKD no longer lists it (a delta deleted its entry); nil while it does, or when it did not come from the PKD.
    public let withdrawn: String?

    init(_ row: NPKDRepository.CertificateRow) {
        id = row.id
        fingerprint = row.fingerprint
        kind = row.kind
        country = row.country
        subject = row.subject
        issuer = row.issuer
        serial = row.serial
        subjectKeyIdentifier = row.ski
        authorityKeyIdentifier = row.aki
        notBefore = row.notBefore
        notAfter = row.notAfter
        der = row.der
        source = row.source
        importedAt = row.importedAt
        findings = FindingRecord.decode(row.findings)
        pkdConformance = row.pkdConformance
        anchor = row.anchor
        state = TrustState(rawValue: row.state) ?? .untrusted
        stateReason = row.stateReason
        withdrawn = row.withdrawn
    }

    public var certificate: Certificate {
        get throws { try Certificate(bytes: der) }
    }

    /// A JSON-ready summary (no DER), as `list --json` and the service print it.
    public var summary: [String: Any] {
        var object: [String: Any] = [
            "fingerprint": fingerprint, "kind": kind, "country": country, "subject": subject, "issuer": issuer, "serial": serial,
            "notBefore": Time.iso8601(notBefore), "notAfter": Time.iso8601(notAfter), "source": source,
            "importedAt": Time.iso8601(importedAt), "state": state.rawValue, "stateReason": stateReason,
            "findings": findings.filter { $0.severity == "error" }.count, "warnings": findings.filter { $0.severity == "warning" }.count,
        ]
        object["subjectKeyIdentifier"] = subjectKeyIdentifier
        object["authorityKeyIdentifier"] = authorityKeyIdentifier
        object["anchor"] = anchor
        object["pkdConformance"] = pkdConformance
        object["withdrawn"] = withdrawn
        return object
    }
}
