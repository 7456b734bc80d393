import Foundation

/// Reads and writes the SPOC messages inside SOAP envelopes, in either namespace.
///
/// Reading is lenient where the two WSDLs and real peers differ (either namespace, either spelling of the
/// notification, base64 folded over lines, SOAP 1.2) and strict about structure: an element missing, repeated or
/// unreadable is named. What prevents answering at all (no callerID, an unknown operation) is an error; a request
/// whose payload is unreadable becomes `failure_syntax` in the answer, as the protocol wants.
public enum SPOCMessageCodec {
    /// A request read from a SOAP body: the message, the namespace it came in, the envelope version, and the
    /// problems that make it answerable only with `failure_syntax`.
    public struct DecodedRequest: Sendable {
        public let request: SPOCRequest
        public let namespace: SPOCNamespace
        public let soapVersion: SOAPVersion
        /// Non-empty when a field could not be read; the answer is then failure_syntax.
        public let syntaxProblems: [String]
    }

    public static func decodeRequest(_ bytes: [UInt8], reader: SafeXMLReader = SafeXMLReader()) throws -> DecodedRequest {
        let (element, version) = try SOAPEnvelope.bodyElement(of: try reader.read(bytes))
        guard let namespace = SPOCNamespace(uri: element.namespaceURI) else {
            throw SPOCError(.notASPOCMessage, "the body element {\(element.namespaceURI ?? "")}\(element.localName) is in neither SPOC namespace (\(SPOCNamespace.allCases.map(\.uri).joined(separator: ", ")))")
        }
        guard let operation = SPOCOperation.allCases.first(where: { $0.requestElement == element.localName }) else {
            throw SPOCError(.notASPOCMessage, "\(element.localName) is not a SPOC request (\(SPOCOperation.allCases.map(\.requestElement).joined(separator: ", ")))")
        }
        var fields = Fields(element: element, namespace: namespace)
        let callerID = try fields.requiredString("callerID")
        guard callerID.count == 2 || callerID.count == 3, callerID.allSatisfy({ $0.isASCII && ($0.isUppercase || $0 == "<") }) else {
            throw SPOCError(.notASPOCMessage, "callerID '\(callerID)' is not a Doc 9303-3 country code")
        }
        let request: SPOCRequest
        switch operation {
        case .requestCertificate:
            let messageID = try fields.requiredString("messageID")
            let bytes = fields.base64("certificateRequest", required: true) ?? []
            request = .requestCertificate(callerID: callerID, messageID: messageID, certificateRequest: bytes)
        case .sendCertificates:
            let messageID = fields.optionalString("messageID")
            let certificates = fields.certificateSequence(required: false)
            let status = SPOCResultCode(rawValue: fields.optionalString("statusInfo") ?? "")
            if !SPOCResultCode.List.sendCertificatesStatusInfo.values(.icao).contains(status),
               !SPOCResultCode.List.sendCertificatesStatusInfo.values(.csn).contains(status) {
                fields.problems.append("statusInfo: '\(status.rawValue)' is not a value of the enumeration")
            }
            request = .sendCertificates(callerID: callerID, messageID: messageID, certificates: certificates, statusInfo: status)
        case .getCACertificates:
            request = .getCACertificates(callerID: callerID, messageID: try fields.requiredString("messageID"))
        case .generalMessage:
            let messageID = try fields.requiredString("messageID")
            request = .generalMessage(callerID: callerID, messageID: messageID, subject: fields.optionalString("subject", required: true) ?? "",
                                      body: fields.optionalString("body", required: true) ?? "")
        }
        return DecodedRequest(request: request, namespace: namespace, soapVersion: version, syntaxProblems: fields.problems)
    }

    public static func encode(_ request: SPOCRequest, namespace: SPOCNamespace) -> [UInt8] {
        SOAPEnvelope.write(namespace: namespace) { writer in
            let name = "spoc:" + request.operation.requestElement
            writer.open(name)
            writer.element("spoc:callerID", request.callerID)
            switch request {
            case .requestCertificate(_, let messageID, let bytes):
                writer.element("spoc:messageID", messageID)
                writer.element("spoc:certificateRequest", Data(bytes).base64EncodedString())
            case .sendCertificates(_, let messageID, let certificates, let status):
                if let messageID { writer.element("spoc:messageID", messageID) }
                writeSequence(certificates, into: &writer)
                writer.element("spoc:statusInfo", status.written(in: .sendCertificatesStatusInfo, namespace: namespace).rawValue)
            case .getCACertificates(_, let messageID):
                writer.element("spoc:messageID", messageID)
            case .generalMessage(_, let messageID, let subject, let body):
                writer.element("spoc:messageID", messageID)
                writer.element("spoc:subject", subject)
                writer.element("spoc:body", body)
            }
            writer.close(name)
        }
    }

    public static func encode(_ response: SPOCResponse, namespace: SPOCNamespace, version: SOAPVersion = .soap11) -> [UInt8] {
        SOAPEnvelope.write(version: version, namespace: namespace) { writer in
            let name = "spoc:" + response.operation.responseElement
            writer.open(name)
            if response.operation == .requestCertificate || response.operation == .getCACertificates, !response.certificates.isEmpty {
                writeSequence(response.certificates, into: &writer)
            }
            writer.element("spoc:result", response.result.written(in: response.resultList, namespace: namespace).rawValue)
            writer.close(name)
        }
    }

    /// Reads an answer to `operation`. A SOAP fault or another element is an error naming what came back.
    public static func decodeResponse(_ bytes: [UInt8], operation: SPOCOperation, reader: SafeXMLReader = SafeXMLReader()) throws -> SPOCResponse {
        let (element, _) = try SOAPEnvelope.bodyElement(of: try reader.read(bytes))
        if let fault = SOAPEnvelope.faultReason(element) {
            throw SPOCError(.deliveryFailed, "the peer answered \(operation) with a SOAP fault: \(fault)")
        }
        guard let namespace = SPOCNamespace(uri: element.namespaceURI) else {
            throw SPOCError(.deliveryFailed, "the answer {\(element.namespaceURI ?? "")}\(element.localName) is in neither SPOC namespace")
        }
        // CardContact's SPOC names every answer RequestCertificateResponse; the content is still read.
        guard element.localName == operation.responseElement || element.localName == SPOCOperation.requestCertificate.responseElement else {
            throw SPOCError(.deliveryFailed, "\(operation) was answered with \(element.localName)")
        }
        var fields = Fields(element: element, namespace: namespace)
        let result = SPOCResultCode(rawValue: try fields.requiredString("result"))
        let certificates = fields.certificateSequence(required: false)
        if let problem = fields.problems.first { throw SPOCError(.deliveryFailed, "the answer to \(operation): \(problem)") }
        return SPOCResponse(operation, result: result, certificates: certificates)
    }

    private static func writeSequence(_ certificates: [[UInt8]], into writer: inout XMLWriter) {
        guard !certificates.isEmpty else { return }
        writer.open("spoc:certificateSequence")
        for certificate in certificates { writer.element("spoc:certificate", Data(certificate).base64EncodedString()) }
        writer.close("spoc:certificateSequence")
    }

    /// The children of one message element, read in the message's namespace; problems are collected.
    struct Fields {
        let element: XMLElementNode
        let namespace: SPOCNamespace
        var problems: [String] = []

        init(element: XMLElementNode, namespace: SPOCNamespace) {
            self.element = element
            self.namespace = namespace
        }

        private func all(_ name: String) -> [XMLElementNode] {
            // Unqualified children are accepted too: some toolkits drop elementFormDefault="qualified".
            element.children(name, namespace: namespace.uri) + element.children(name, namespace: nil)
        }

        func requiredString(_ name: String) throws -> String {
            let found = all(name)
            guard found.count == 1 else {
                throw SPOCError(.notASPOCMessage, "\(element.localName): \(found.isEmpty ? "no" : "\(found.count)") \(name) element\(found.isEmpty ? "" : "s"); exactly one is required")
            }
            let value = found[0].trimmedText
            guard !value.isEmpty else { throw SPOCError(.notASPOCMessage, "\(element.localName): \(name) is empty") }
            return value
        }

        mutating func optionalString(_ name: String, required: Bool = false) -> String? {
            let found = all(name)
            if found.count > 1 { problems.append("\(name): \(found.count) elements, at most one is allowed") }
            if found.isEmpty, required { problems.append("\(name): missing") }
            return found.first?.trimmedText
        }

        mutating func base64(_ name: String, required: Bool) -> [UInt8]? {
            guard let text = optionalString(name, required: required) else { return nil }
            return decode(text, what: name)
        }

        mutating func certificateSequence(required: Bool) -> [[UInt8]] {
            let sequences = all("certificateSequence")
            if sequences.count > 1 { problems.append("certificateSequence: \(sequences.count) elements, at most one is allowed") }
            guard let sequence = sequences.first else {
                if required { problems.append("certificateSequence: missing") }
                return []
            }
            let certificates = sequence.children("certificate", namespace: namespace.uri) + sequence.children("certificate", namespace: nil)
            if certificates.isEmpty { problems.append("certificateSequence: no certificate element (one or more are required)") }
            return certificates.enumerated().compactMap { decode($0.element.trimmedText, what: "certificateSequence/certificate[\($0.offset + 1)]") }
        }

        private mutating func decode(_ text: String, what: String) -> [UInt8]? {
            let compact = text.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact), !data.isEmpty else {
                problems.append("\(what): not base64")
                return nil
            }
            return Array(data)
        }
    }
}
