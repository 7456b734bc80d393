/// A domain's CSCA policy: the defaults of Doc 9303-12 (Table 1, §4.1.5, Appendix A), changed per domain
/// through the CLI and recorded in the audit trail.
public struct CSCAPolicy: Codable, Hashable, Sendable {
    /// How long the CSCA key signs (3–5 years).
    public var cscaKeyUsageYears: Int = 5
    /// How long a DS key signs documents (at most 3 months by default).
    public var documentSignerKeyUsageMonths: Int = 3
    /// How long the documents a DS signs stay valid; the DS certificate outlives its key usage by this much.
    public var documentValidityYears: Int = 10
    /// Master/Deviation List Signer certificate validity.
    public var listSignerValidityYears: Int = 3
    /// Document types a DS may sign when the request names none.
    public var defaultDocumentTypes: [String] = ["P"]
    /// A CRL at least this often, even when nothing changed (at most 90 days).
    public var crlIntervalDays: Int = 90
    /// A revocation must be published within this many hours.
    public var crlAfterRevocationHours: Int = 48
    /// CRL distribution points written into every certificate.
    public var crlDistributionPoints: [String] = []
    /// Whether EC keys are written with explicit domain parameters (Doc 9303-12 §4.1.6 requires it).
    public var explicitECParameters: Bool = true

    public init() {}

    /// The longest DS validity: key usage plus document validity (Appendix A: 3 months + 10 years).
    public var longestDocumentSignerValidityYears: Double {
        Double(documentValidityYears) + Double(documentSignerKeyUsageMonths) / 12
    }

    func validate() throws {
        guard (1...5).contains(cscaKeyUsageYears) else { throw CSCAError(.policyViolation, "CSCA key usage must be 1 to 5 years") }
        guard (1...12).contains(documentSignerKeyUsageMonths) else { throw CSCAError(.policyViolation, "DS key usage must be 1 to 12 months") }
        guard (1...90).contains(crlIntervalDays) else { throw CSCAError(.policyViolation, "CRL interval must be 1 to 90 days (Doc 9303-12 §4.1.5)") }
        guard (1...48).contains(crlAfterRevocationHours) else { throw CSCAError(.policyViolation, "a revocation must be published within 48 hours") }
    }
}
