/// The request and answer of each SPOC operation (Doc 9303-12 §8.2, §8.3.3). All elements are in the target
/// namespace (`elementFormDefault="qualified"`), in this order:
///
/// ```
/// RequestCertificateRequest   callerID, messageID, certificateRequest (base64)
/// RequestCertificateResponse  certificateSequence? { certificate+ }, result
/// SendCertificatesRequest     callerID, messageID?, certificateSequence?, statusInfo
/// SendCertificatesResponse    result
/// GetCACertificatesRequest    callerID, messageID
/// GetCACertificatesResponse   certificateSequence?, result
/// GeneralMessageRequest       callerID, messageID, subject, body
/// GeneralMessageResponse      result
/// ```
public enum SPOCRequest: Sendable, Hashable {
    /// A DV's CV certificate request (TR-03110-3 C.2), possibly with the outer signature of its CVCA.
    case requestCertificate(callerID: String, messageID: String, certificateRequest: [UInt8])
    /// Certificates pushed to us: the asynchronous answer to our request (`messageID` names it), or new CVCA
    /// certificates (`new_cert_available_notification`, messageID ignored).
    case sendCertificates(callerID: String, messageID: String?, certificates: [[UInt8]], statusInfo: SPOCResultCode)
    case getCACertificates(callerID: String, messageID: String)
    /// Human-readable English text for operators, not for automated processing.
    case generalMessage(callerID: String, messageID: String, subject: String, body: String)

    public var operation: SPOCOperation {
        switch self {
        case .requestCertificate: .requestCertificate
        case .sendCertificates: .sendCertificates
        case .getCACertificates: .getCACertificates
        case .generalMessage: .generalMessage
        }
    }

    public var callerID: String {
        switch self {
        case .requestCertificate(let caller, _, _), .sendCertificates(let caller, _, _, _), .getCACertificates(let caller, _),
             .generalMessage(let caller, _, _, _): caller
        }
    }

    public var messageID: String? {
        switch self {
        case .requestCertificate(_, let id, _), .getCACertificates(_, let id), .generalMessage(_, let id, _, _): id
        case .sendCertificates(_, let id, _, _): id
        }
    }
}

/// The answer to a `SPOCRequest`: a result code, and for RequestCertificate and GetCACertificates the
/// certificates (DV certificate first, then CVCA certificates by effective date).
public struct SPOCResponse: Sendable, Hashable {
    public let operation: SPOCOperation
    public let result: SPOCResultCode
    public let certificates: [[UInt8]]

    public init(_ operation: SPOCOperation, result: SPOCResultCode, certificates: [[UInt8]] = []) {
        self.operation = operation
        self.result = result
        self.certificates = certificates
    }

    /// The list the result comes from.
    public var resultList: SPOCResultCode.List {
        switch operation {
        case .requestCertificate: .requestCertificateResult
        case .sendCertificates: .sendCertificatesResult
        case .getCACertificates: .getCACertificatesResult
        case .generalMessage: .generalMessageResult
        }
    }
}
