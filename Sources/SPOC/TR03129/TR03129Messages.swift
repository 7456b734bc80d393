import Foundation

/// The national web service between DV operators and the CVCA (BSI TR-03129 v1.1, SOAP 1.1 RPC/literal), for DVs
/// that run apart from the CVCA. Parts are unqualified children of the operation element; their content is in the
/// types namespace:
///
/// ```
/// RequestCertificate          callbackIndicator, messageID { messageID? }, responseURL { string? }, certReq (base64)
/// RequestForeignCertificate   callbackIndicator, messageID, responseURL, foreignCAR, certReq
/// GetCACertificates           callbackIndicator, messageID, responseURL
/// …Response                   Result { returnCode, certificateSeq? { certificate* } }
/// SendCertificates (to a DV)  messageID, statusInfo, certificateSeq          → Result { returnCode }
/// ```
/// responseURL is read but never used: answers go to the DV's registered callback URL (TR-03129 v1.40 deprecates
/// the URL in the message for exactly this reason).
public enum TR03129Namespace {
    public static let cvcaProtocol = "uri:EAC-PKI-CVCA-Protocol/1.1"
    public static let dvProtocol = "uri:EAC-PKI-DV-Protocol/1.1"
    public static let types = "uri:eacBT/1.1"
}

public enum TR03129Request: Sendable, Hashable {
    case requestCertificate(callback: Bool, messageID: String?, certificateRequest: [UInt8])
    case requestForeignCertificate(callback: Bool, messageID: String?, foreignCAR: String, certificateRequest: [UInt8])
    case getCACertificates(callback: Bool, messageID: String?)

    public var operation: String {
        switch self {
        case .requestCertificate: "RequestCertificate"
        case .requestForeignCertificate: "RequestForeignCertificate"
        case .getCACertificates: "GetCACertificates"
        }
    }

    public var messageID: String? {
        switch self {
        case .requestCertificate(_, let id, _), .requestForeignCertificate(_, let id, _, _), .getCACertificates(_, let id): id
        }
    }
}

public struct TR03129Response: Sendable, Hashable {
    public let operation: String
    /// TR-03129 v1.1 return code, written as the WSDL spells it.
    public let returnCode: String
    public let certificates: [[UInt8]]

    public init(operation: String, returnCode: String, certificates: [[UInt8]] = []) {
        self.operation = operation
        self.returnCode = returnCode
        self.certificates = certificates
    }
}

public enum TR03129Codec {
    /// Reads a request to the CVCA service. Unreadable parts are an error naming them (answered with a fault:
    /// without the operation's parts there is no request to give a return code to).
    public static func decodeRequest(_ bytes: [UInt8], reader: SafeXMLReader = SafeXMLReader()) throws -> TR03129Request {
        let (element, _) = try SOAPEnvelope.bodyElement(of: try reader.read(bytes))
        guard element.namespaceURI == TR03129Namespace.cvcaProtocol else {
            throw SPOCError(.notASPOCMessage, "{\(element.namespaceURI ?? "")}\(element.localName) is not in the TR-03129 CVCA protocol namespace \(TR03129Namespace.cvcaProtocol)")
        }
        func part(_ name: String) -> XMLElementNode? { element.children.first { $0.localName == name } }
        let callback = part("callbackIndicator")?.trimmedText == "callback_possible"
        let messageID = part("messageID").flatMap { $0.children.first { $0.localName == "messageID" }?.trimmedText }
        func base64(_ name: String) throws -> [UInt8] {
            guard let text = part(name)?.trimmedText, let data = Data(base64Encoded: text.filter { !$0.isWhitespace }), !data.isEmpty else {
                throw SPOCError(.notASPOCMessage, "\(element.localName): \(name) is missing or not base64")
            }
            return Array(data)
        }
        switch element.localName {
        case "RequestCertificate":
            return .requestCertificate(callback: callback, messageID: messageID, certificateRequest: try base64("certReq"))
        case "RequestForeignCertificate":
            guard let car = part("foreignCAR")?.trimmedText, !car.isEmpty else {
                throw SPOCError(.notASPOCMessage, "RequestForeignCertificate: foreignCAR is missing")
            }
            return .requestForeignCertificate(callback: callback, messageID: messageID, foreignCAR: car, certificateRequest: try base64("certReq"))
        case "GetCACertificates":
            return .getCACertificates(callback: callback, messageID: messageID)
        default:
            throw SPOCError(.notASPOCMessage, "\(element.localName) is not an operation of the TR-03129 CVCA service")
        }
    }

    public static func encode(_ response: TR03129Response) -> [UInt8] {
        envelope(namespace: TR03129Namespace.cvcaProtocol) { writer in
            writer.open("p:\(response.operation)Response")
            writer.open("Result")
            writer.element("t:returnCode", response.returnCode)
            sequence(response.certificates, into: &writer)
            writer.close("Result")
            writer.close("p:\(response.operation)Response")
        }
    }

    /// The callback to a DV: the asynchronous answer to its request `messageID`.
    public static func encodeSendCertificates(messageID: String?, statusInfo: String, certificates: [[UInt8]]) -> [UInt8] {
        envelope(namespace: TR03129Namespace.dvProtocol) { writer in
            writer.open("p:SendCertificates")
            writer.open("messageID")
            if let messageID { writer.element("t:messageID", messageID) }
            writer.close("messageID")
            writer.element("statusInfo", statusInfo)
            writer.open("certificateSeq")
            for certificate in certificates { writer.element("t:certificate", Data(certificate).base64EncodedString()) }
            writer.close("certificateSeq")
            writer.close("p:SendCertificates")
        }
    }

    /// The DV's answer to SendCertificates: its return code.
    public static func decodeSendCertificatesResponse(_ bytes: [UInt8]) throws -> String {
        let (element, _) = try SOAPEnvelope.bodyElement(of: try SafeXMLReader().read(bytes))
        if let fault = SOAPEnvelope.faultReason(element) { throw SPOCError(.deliveryFailed, "the DV answered with a SOAP fault: \(fault)") }
        guard element.localName == "SendCertificatesResponse",
              let code = element.children.first(where: { $0.localName == "Result" })?.children.first(where: { $0.localName == "returnCode" })?.trimmedText else {
            throw SPOCError(.deliveryFailed, "the DV answered SendCertificates with \(element.localName) and no returnCode")
        }
        return code
    }

    /// A DV's certificates answer read back (for tests and for DV-side tools).
    public static func decodeResponse(_ bytes: [UInt8]) throws -> TR03129Response {
        let (element, _) = try SOAPEnvelope.bodyElement(of: try SafeXMLReader().read(bytes))
        if let fault = SOAPEnvelope.faultReason(element) { throw SPOCError(.deliveryFailed, "SOAP fault: \(fault)") }
        guard let result = element.children.first(where: { $0.localName == "Result" }),
              let code = result.children.first(where: { $0.localName == "returnCode" })?.trimmedText else {
            throw SPOCError(.deliveryFailed, "\(element.localName) has no Result/returnCode")
        }
        let certificates = result.children.first { $0.localName == "certificateSeq" }?.children.filter { $0.localName == "certificate" }
            .compactMap { Data(base64Encoded: $0.trimmedText.filter { !$0.isWhitespace }).map(Array.init) } ?? []
        return TR03129Response(operation: String(element.localName.dropLast("Response".count)), returnCode: code, certificates: certificates)
    }

    private static func sequence(_ certificates: [[UInt8]], into writer: inout XMLWriter) {
        guard !certificates.isEmpty else { return }
        writer.open("t:certificateSeq")
        for certificate in certificates { writer.element("t:certificate", Data(certificate).base64EncodedString()) }
        writer.close("t:certificateSeq")
    }

    private static func envelope(namespace: String, content: (inout XMLWriter) -> Void) -> [UInt8] {
        var writer = XMLWriter()
        writer.open("soap:Envelope", namespaces: [("soap", SOAPVersion.soap11.envelopeNamespace), ("p", namespace), ("t", TR03129Namespace.types)])
        writer.open("soap:Body")
        content(&writer)
        writer.close("soap:Body")
        writer.close("soap:Envelope")
        return writer.bytes
    }
}
