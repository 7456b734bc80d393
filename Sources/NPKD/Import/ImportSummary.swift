import Foundation

/// What one imported file brought: counts by object, duplicates merged, what was refused or not applied, with
/// the findings count. Printed by `epki npkd import` and recorded in the audit entry of the import.
public struct ImportSummary: Sendable, Codable, CustomStringConvertible {
    public var source: String
    public var format: ImportFormat
    public var sha256: String = ""
    /// New certificates by kind (csca, link, ds, mls, dls).
    public var certificatesAdded: [String: Int] = [:]
    /// Certificates already held (received again: merged, their source recorded).
    public var duplicatesMerged = 0
    public var crlsAdded = 0
    public var crlEntries = 0
    /// CRLs whose issuer is unknown or whose signature does not verify: stored, applied to nothing.
    public var crlsUnverified = 0
    public var masterLists = 0
    public var deviationLists = 0
    /// Certificates that became trust anchors through this import (a trusted master list signer).
    public var anchorsAdded = 0
    /// Certificates with error findings against Doc 9303-12.
    public var nonConformant = 0
    /// LDIF: records read, collections and versions seen, and whether the file was a delta.
    public var ldifRecords = 0
    public var pkdVersions: [String: Int] = [:]
    public var isDelta = false
    /// Delta files: certificates and CRLs whose PKD entry was deleted (or replaced), and the pkdVersions a delta skipped.
    public var certificatesWithdrawn = 0
    public var crlsWithdrawn = 0
    public var pkdVersionGaps: [String] = []
    /// Things worth telling the operator that did not stop the import.
    public var notes: [String] = []

    public init(source: String, format: ImportFormat) {
        self.source = source
        self.format = format
    }

    public var certificatesAddedTotal: Int { certificatesAdded.values.reduce(0, +) }

    public var description: String {
        var parts: [String] = []
        let kinds = certificatesAdded.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        parts.append("\(certificatesAddedTotal) certificate(s) added" + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))"))
        if duplicatesMerged > 0 { parts.append("\(duplicatesMerged) already held (merged)") }
        if masterLists > 0 { parts.append("\(masterLists) master list(s)") }
        if deviationLists > 0 { parts.append("\(deviationLists) deviation list(s)") }
        if crlsAdded > 0 { parts.append("\(crlsAdded) CRL(s) with \(crlEntries) entries") }
        if crlsUnverified > 0 { parts.append("\(crlsUnverified) CRL(s) from an unknown signer, not applied") }
        if anchorsAdded > 0 { parts.append("\(anchorsAdded) new trust anchor(s)") }
        if certificatesWithdrawn > 0 { parts.append("\(certificatesWithdrawn) certificate(s) withdrawn by the PKD") }
        if crlsWithdrawn > 0 { parts.append("\(crlsWithdrawn) CRL(s) withdrawn by the PKD") }
        if !pkdVersionGaps.isEmpty { parts.append("pkdVersion gap: " + pkdVersionGaps.joined(separator: "; ")) }
        if nonConformant > 0 { parts.append("\(nonConformant) non-conformant") }
        if ldifRecords > 0 {
            let versions = pkdVersions.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", ")
            parts.append("\(ldifRecords) LDIF records\(isDelta ? " (delta)" : "")" + (versions.isEmpty ? "" : ", pkdVersion \(versions)"))
        }
        return "\(source) [\(format.rawValue)]: " + parts.joined(separator: "; ")
    }
}
