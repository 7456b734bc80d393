import CVC
import PKICore

/// A certificate issued from a request, with what decided it.
///
/// ```
/// certificate   the new DV or inspection-system certificate
/// chain         its path, trust anchor first: CVCA (→ link …) → DV (→ terminal)
/// resultCode    ok_cert_available
/// report        the request's checks (syntax, domain parameters, inner and outer signature, sequence number)
/// rights        the relative authorization granted, without the role bits, after the AND with the issuer's
/// ```
public struct CVIssuance: Sendable {
    public let certificate: CVCertificate
    public let chain: [CVCertificate]
    public let resultCode: TR03129ResultCode
    public let report: VerificationReport
    public let rights: [UInt8]
}
