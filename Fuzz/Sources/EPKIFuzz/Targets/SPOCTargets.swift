import CVC
import Foundation
import SPOC

/// What foreign SPOCs and national DVs send over mutual TLS: SOAP 1.1/1.2 envelopes read by `SafeXMLReader`, the four
/// SPOC operations of Doc 9303-12 §8 / CSN 36 9791 in both namespaces, and the TR-03129 CVCA service.
enum SPOCTargets {
    static let all: [FuzzTarget] = [xml, spocRequest, spocResponse, tr03129]

    static func exercise(_ element: XMLElementNode, depth: Int = 0) {
        guard depth < 40 else { return }
        _ = (element.localName, element.namespaceURI, element.trimmedText)
        for child in element.children { exercise(child, depth: depth + 1) }
    }

    static let xml = FuzzTarget("xml", "SafeXMLReader.read (no DTD or entities, limits), SOAPEnvelope.bodyElement and faultReason", seeds: {
        [("fault.xml", SOAPEnvelope.fault("no such operation", client: true)),
         ("fault12.xml", SOAPEnvelope.fault("busy", client: false, version: .soap12)),
         ("doctype.xml", Array(#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>"#.utf8)),
         ("cdata.xml", Array(#"<a xmlns="urn:x" xmlns:p="urn:y"><p:b c="1">t<![CDATA[<c>]]>&amp;&#x41;</p:b></a>"#.utf8))]
    }) { bytes in
        guard let root = try? SafeXMLReader().read(bytes) else { return }
        exercise(root)
        if let (body, _) = try? SOAPEnvelope.bodyElement(of: root) { _ = SOAPEnvelope.faultReason(body) }
    }

    static func requestSeeds() throws -> [(name: String, bytes: [UInt8])] {
        let chain = try CVCTargets.Chain()
        let requests: [SPOCRequest] = [
            .requestCertificate(callerID: "UT", messageID: "m-1", certificateRequest: try chain.request.encoded),
            .sendCertificates(callerID: "UTO", messageID: "m-1", certificates: [try chain.dv.encoded, try chain.cvca.encoded], statusInfo: .okCertAvailable),
            .sendCertificates(callerID: "UT", messageID: nil, certificates: [], statusInfo: .newCertAvailableNotification),
            .getCACertificates(callerID: "UT", messageID: "m-2"),
            .generalMessage(callerID: "D<<", messageID: "m-3", subject: "Hello & <welcome>", body: "Line 1\nLine 2"),
        ]
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, request) in requests.enumerated() {
            for namespace in SPOCNamespace.allCases {
                seeds.append(("request-\(index)-\(namespace).xml", SPOCMessageCodec.encode(request, namespace: namespace)))
            }
        }
        return seeds
    }

    static let spocRequest = FuzzTarget("spoc-request", "SPOC SOAP request: SPOCMessageCodec.decodeRequest, then the CV request or certificates it carries", seeds: {
        try requestSeeds()
    }) { bytes in
        guard let decoded = try? SPOCMessageCodec.decodeRequest(bytes) else { return }
        _ = decoded.syntaxProblems
        switch decoded.request {
        case .requestCertificate(_, _, let request):
            _ = try? CVCertificateRequest(encoded: request)
        case .sendCertificates(_, _, let certificates, let status):
            _ = status.rawValue
            for certificate in certificates { _ = try? CVCertificate(encoded: certificate) }
        case .getCACertificates, .generalMessage:
            break
        }
        _ = SPOCMessageCodec.encode(decoded.request, namespace: decoded.namespace)
    }

    /// The first byte picks the operation whose answer is expected; the rest is the SOAP envelope.
    static let spocResponse = FuzzTarget("spoc-response", "SPOC SOAP response: byte 0 picks the operation, SPOCMessageCodec.decodeResponse", seeds: {
        let chain = try CVCTargets.Chain()
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (index, operation) in SPOCOperation.allCases.enumerated() {
            for namespace in SPOCNamespace.allCases {
                let response = SPOCResponse(operation, result: .okCertAvailable, certificates: [try chain.dv.encoded, try chain.cvca.encoded])
                seeds.append(("response-\(index)-\(namespace).xml", [UInt8(index)] + SPOCMessageCodec.encode(response, namespace: namespace)))
            }
        }
        seeds.append(("response-fault.xml", [0] + SOAPEnvelope.fault("refused", client: true)))
        return seeds
    }) { bytes in
        guard let first = bytes.first else { return }
        let operations = SPOCOperation.allCases
        let operation = operations[Int(first) % operations.count]
        guard let response = try? SPOCMessageCodec.decodeResponse(Array(bytes.dropFirst()), operation: operation) else { return }
        _ = response.result.rawValue
        for certificate in response.certificates { _ = try? CVCertificate(encoded: certificate) }
    }

    static let tr03129 = FuzzTarget("tr03129", "TR-03129 CVCA service: TR03129Codec.decodeRequest, decodeResponse, decodeSendCertificatesResponse", seeds: {
        let chain = try CVCTargets.Chain()
        let request = Data(try chain.request.encoded).base64EncodedString()
        func envelope(_ body: String) -> [UInt8] {
            Array(("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:p=\"\(TR03129Namespace.cvcaProtocol)\" "
                   + "xmlns:t=\"\(TR03129Namespace.types)\"><soap:Body>\(body)</soap:Body></soap:Envelope>").utf8)
        }
        return [
            ("request.xml", envelope("<p:RequestCertificate><callbackIndicator>callback_possible</callbackIndicator><messageID><t:messageID>1</t:messageID></messageID><certReq>\(request)</certReq></p:RequestCertificate>")),
            ("foreign.xml", envelope("<p:RequestForeignCertificate><callbackIndicator>callback_not_possible</callbackIndicator><foreignCAR>ZZCVCA00001</foreignCAR><certReq>\(request)</certReq></p:RequestForeignCertificate>")),
            ("getca.xml", envelope("<p:GetCACertificates><callbackIndicator>callback_not_possible</callbackIndicator></p:GetCACertificates>")),
            ("response.xml", TR03129Codec.encode(TR03129Response(operation: "GetCACertificates", returnCode: "ok_cert_available", certificates: [try chain.cvca.encoded]))),
            ("send.xml", TR03129Codec.encodeSendCertificates(messageID: "1", statusInfo: "ok_cert_available", certificates: [try chain.dv.encoded])),
        ]
    }) { bytes in
        if let request = try? TR03129Codec.decodeRequest(bytes) {
            _ = (request.operation, request.messageID)
            if case .requestCertificate(_, _, let der) = request { _ = try? CVCertificateRequest(encoded: der) }
            if case .requestForeignCertificate(_, _, _, let der) = request { _ = try? CVCertificateRequest(encoded: der) }
        }
        if let response = try? TR03129Codec.decodeResponse(bytes) {
            for certificate in response.certificates { _ = try? CVCertificate(encoded: certificate) }
        }
        _ = try? TR03129Codec.decodeSendCertificatesResponse(bytes)
    }
}
