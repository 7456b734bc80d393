/// The return codes of BSI TR-03129 v1.10 (§2 common codes, §4.1.2 Terminal Authentication codes), written as the
/// WSDLs spell them so that the SPOC and the DV/CVCA web services can return them unchanged.
public enum TR03129ResultCode: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    // Common (§2).
    case okSyntax = "ok_syntax"
    case okReceptionAck = "ok_reception_ack"
    case okReceivedCorrectly = "ok_received_correctly"
    case failureSyntax = "failure_syntax"
    case failureSynchronousProcessingNotPossible = "failure_synchronous_processing_not_possible"
    case failureMessageIDUnknown = "failure_messageID_unknown"
    case failureInternalError = "failure_internal_error"

    // Terminal Authentication (§4.1.2).
    /// Processed; the certificate sequence holds the new certificate(s).
    case okCertAvailable = "ok_cert_available"
    case okRequestForwarded = "ok_request_forwarded"
    /// The inner signature of the request does not verify.
    case failureInnerSignature = "failure_inner_signature"
    /// The outer signature does not verify (or is missing where it is required).
    case failureOuterSignature = "failure_outer_signature"
    /// The certificate used to verify the outer signature is expired.
    case failureExpired = "failure_expired"
    /// The domain parameters in the request do not match those of the corresponding CVCA certificate.
    case failureDomainParameters = "failure_domain_parameters"
    /// Processed correctly, but not accepted (further steps are organisational).
    case failureRequestNotAccepted = "failure_request_not_accepted"
    case failureForeignCARUnknown = "failure_foreignCAR_unknown"
    case failureNotForwarded = "failure_not_forwarded"
    case failureRequestNotAcceptedForeign = "failure_request_not_accepted_foreign"

    public var description: String { rawValue }

    public var isSuccess: Bool { rawValue.hasPrefix("ok_") }
}
