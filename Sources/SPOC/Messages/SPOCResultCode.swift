/// The result codes and status values of the SPOC messages (Doc 9303-12 §8.3.3; CSN 36 9791:2009 where it
/// differs), spelled as the WSDL enumerations spell them.
///
/// | enumeration | ICAO | CSN 2009 |
/// |---|---|---|
/// | RequestCertificate result | ok_cert_available, ok_reception_ack, failure_inner_signature, failure_outer_signature, failure_syntax, failure_request_not_accepted, failure_request_syntax, failure_expired, failure_domain_parameters, failure_internal_error | without failure_request_syntax, failure_expired, failure_domain_parameters |
/// | SendCertificates statusInfo | new_cert_available_notification, ok_cert_available, failure_inner_signature, failure_outer_signature, failure_syntax, failure_request_not_accepted, failure_certificate, failure_internal_error | `new_cer_available_notification` (sic), no failure_certificate |
/// | SendCertificates result | ok_received_correctly, failure_syntax, failure_messageID_unknown, failure_internal_error | same |
/// | GetCACertificates result | ok_cert_available, ok_reception_ack, failure_syntax, failure_internal_error | failure_request_not_accepted instead of failure_syntax |
/// | GeneralMessage result | ok, failure_syntax, failure_internal_error | no failure_syntax |
public struct SPOCResultCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public var isSuccess: Bool { rawValue.hasPrefix("ok") || rawValue.hasPrefix("new_") }

    public static let okCertAvailable = SPOCResultCode(rawValue: "ok_cert_available")
    public static let okReceptionAck = SPOCResultCode(rawValue: "ok_reception_ack")
    public static let okReceivedCorrectly = SPOCResultCode(rawValue: "ok_received_correctly")
    public static let ok = SPOCResultCode(rawValue: "ok")
    public static let newCertAvailableNotification = SPOCResultCode(rawValue: "new_cert_available_notification")
    /// The CSN 2009 WSDL's spelling of the same value.
    public static let newCerAvailableNotification = SPOCResultCode(rawValue: "new_cer_available_notification")
    public static let failureInnerSignature = SPOCResultCode(rawValue: "failure_inner_signature")
    public static let failureOuterSignature = SPOCResultCode(rawValue: "failure_outer_signature")
    public static let failureSyntax = SPOCResultCode(rawValue: "failure_syntax")
    public static let failureRequestNotAccepted = SPOCResultCode(rawValue: "failure_request_not_accepted")
    public static let failureRequestSyntax = SPOCResultCode(rawValue: "failure_request_syntax")
    public static let failureExpired = SPOCResultCode(rawValue: "failure_expired")
    public static let failureDomainParameters = SPOCResultCode(rawValue: "failure_domain_parameters")
    public static let failureCertificate = SPOCResultCode(rawValue: "failure_certificate")
    public static let failureMessageIDUnknown = SPOCResultCode(rawValue: "failure_messageID_unknown")
    public static let failureInternalError = SPOCResultCode(rawValue: "failure_internal_error")

    /// Whether the code is a value of the enumeration `list` in `namespace`.
    public func isValid(in list: List, namespace: SPOCNamespace) -> Bool {
        list.values(namespace).contains(self)
    }

    /// The code as `namespace` can carry it in `list`: the CSN spelling of the notification, and for a code the
    /// CSN enumeration lacks, the nearest one it has (the refusal stays a refusal).
    public func written(in list: List, namespace: SPOCNamespace) -> SPOCResultCode {
        if isValid(in: list, namespace: namespace) { return self }
        switch (self, namespace) {
        case (.newCertAvailableNotification, .csn): return .newCerAvailableNotification
        case (.newCerAvailableNotification, .icao): return .newCertAvailableNotification
        case (.failureSyntax, .csn) where list == .getCACertificatesResult: return .failureRequestNotAccepted
        case (.failureSyntax, .csn) where list == .generalMessageResult: return .failureInternalError
        case (.failureRequestSyntax, _) where list.values(namespace).contains(.failureSyntax): return .failureSyntax
        default:
            // failure_internal_error is in every enumeration of both namespaces.
            return list.values(namespace).contains(.failureRequestNotAccepted) && !isSuccess ? .failureRequestNotAccepted : .failureInternalError
        }
    }

    /// The notification value in either spelling.
    public var isNewCertificateNotification: Bool { self == .newCertAvailableNotification || self == .newCerAvailableNotification }

    public enum List: Sendable, Hashable {
        case requestCertificateResult, sendCertificatesStatusInfo, sendCertificatesResult, getCACertificatesResult, generalMessageResult

        public func values(_ namespace: SPOCNamespace) -> [SPOCResultCode] {
            switch (self, namespace) {
            case (.requestCertificateResult, .icao):
                [.okCertAvailable, .okReceptionAck, .failureInnerSignature, .failureOuterSignature, .failureSyntax, .failureRequestNotAccepted,
                 .failureRequestSyntax, .failureExpired, .failureDomainParameters, .failureInternalError]
            case (.requestCertificateResult, .csn):
                [.okCertAvailable, .okReceptionAck, .failureInnerSignature, .failureOuterSignature, .failureSyntax, .failureRequestNotAccepted,
                 .failureInternalError]
            case (.sendCertificatesStatusInfo, .icao):
                [.newCertAvailableNotification, .okCertAvailable, .failureInnerSignature, .failureOuterSignature, .failureSyntax,
                 .failureRequestNotAccepted, .failureCertificate, .failureInternalError]
            case (.sendCertificatesStatusInfo, .csn):
                [.newCerAvailableNotification, .okCertAvailable, .failureInnerSignature, .failureOuterSignature, .failureSyntax,
                 .failureRequestNotAccepted, .failureInternalError]
            case (.sendCertificatesResult, _):
                [.okReceivedCorrectly, .failureSyntax, .failureMessageIDUnknown, .failureInternalError]
            case (.getCACertificatesResult, .icao):
                [.okCertAvailable, .okReceptionAck, .failureSyntax, .failureInternalError]
            case (.getCACertificatesResult, .csn):
                [.okCertAvailable, .okReceptionAck, .failureRequestNotAccepted, .failureInternalError]
            case (.generalMessageResult, .icao):
                [.ok, .failureSyntax, .failureInternalError]
            case (.generalMessageResult, .csn):
                [.ok, .failureInternalError]
            }
        }
    }
}
