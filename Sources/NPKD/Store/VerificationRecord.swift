import Foundation

/// One passive authentication answered by the service, as the verification history keeps it (`serve
/// --record-verifications`; off by default): when, the verdict, the issuing country and the Document Signer, and the
/// names of the checks that failed. Nothing of the document itself — no MRZ, no data group, no image — is kept.
///
/// ```
/// npkd_verification: id, domain, verified_at, verdict (genuine | not_genuine), country (the DS issuer's C, XX when
///                    unknown), ds_fingerprint (SHA-256 of the DS certificate, NULL when none was read), ds_serial,
///                    failed_checks (JSON array of check names)
/// ```
public struct VerificationRecord: Sendable, Equatable {
    public var verifiedAt: Date
    public var genuine: Bool
    public var country: String
    public var documentSignerFingerprint: String?
    public var documentSignerSerial: String?
    public var failedChecks: [String]

    public init(verifiedAt: Date, genuine: Bool, country: String, documentSignerFingerprint: String?, documentSignerSerial: String?,
                failedChecks: [String]) {
        self.verifiedAt = verifiedAt
        self.genuine = genuine
        self.country = country
        self.documentSignerFingerprint = documentSignerFingerprint
        self.documentSignerSerial = documentSignerSerial
        self.failedChecks = failedChecks
    }

    public var verdict: String { genuine ? "genuine" : "not_genuine" }
}
