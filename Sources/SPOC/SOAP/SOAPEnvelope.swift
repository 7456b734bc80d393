import Foundation

/// SOAP envelopes around the SPOC messages: SOAP 1.1 (what Doc 9303-12 §8.3 binds: document/literal over HTTP,
/// `soapAction` = the operation name), and SOAP 1.2 read as well and answered in kind, as some SPOCs send it.
///
/// ```
/// <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
///   <soap:Header>…</soap:Header>?          ignored: the profile uses no SOAP headers (no WS-Security, WS-Addressing)
///   <soap:Body><SPOC:…Request>…</SPOC:…Request></soap:Body>
/// </soap:Envelope>
/// ```
public enum SOAPVersion: String, Sendable {
    case soap11
    case soap12

    public var envelopeNamespace: String {
        switch self {
        case .soap11: "http://schemas.xmlsoap.org/soap/envelope/"
        case .soap12: "http://www.w3.org/2003/05/soap-envelope"
        }
    }

    public var contentType: String {
        switch self {
        case .soap11: "text/xml; charset=utf-8"
        case .soap12: "application/soap+xml; charset=utf-8"
        }
    }
}

public enum SOAPEnvelope {
    /// The one element inside the Body, and the SOAP version of the envelope.
    public static func bodyElement(of root: XMLElementNode) throws -> (XMLElementNode, SOAPVersion) {
        guard root.localName == "Envelope", let version = [SOAPVersion.soap11, .soap12].first(where: { $0.envelopeNamespace == root.namespaceURI }) else {
            throw SPOCError(.notASPOCMessage, "the document element is {\(root.namespaceURI ?? "")}\(root.localName), not a SOAP 1.1 or 1.2 Envelope")
        }
        let unknown = root.children.filter { !($0.namespaceURI == version.envelopeNamespace && ["Header", "Body"].contains($0.localName)) }
        if let first = unknown.first {
            throw SPOCError(.notASPOCMessage, "the Envelope holds {\(first.namespaceURI ?? "")}\(first.localName); only Header and Body belong there")
        }
        guard let body = root.child("Body", namespace: version.envelopeNamespace) else {
            throw SPOCError(.notASPOCMessage, "the Envelope has no Body")
        }
        guard body.children.count == 1, let element = body.children.first else {
            throw SPOCError(.notASPOCMessage, "the Body holds \(body.children.count) elements; a document/literal SPOC message has exactly one")
        }
        return (element, version)
    }

    /// An envelope around `content`, which writes the body's one element.
    public static func write(version: SOAPVersion = .soap11, namespace: SPOCNamespace?, content: (inout XMLWriter) -> Void) -> [UInt8] {
        var writer = XMLWriter()
        var namespaces = [(prefix: "soap", uri: version.envelopeNamespace)]
        if let namespace { namespaces.append((prefix: "spoc", uri: namespace.uri)) }
        writer.open("soap:Envelope", namespaces: namespaces)
        writer.open("soap:Body")
        content(&writer)
        writer.close("soap:Body")
        writer.close("soap:Envelope")
        return writer.bytes
    }

    /// A SOAP fault: only for what is not a SPOC message at all (§8.3.1 keeps application errors in result codes).
    /// `client` says the sender is at fault (SOAP 1.1 `soap:Client`, 1.2 `soap:Sender`).
    public static func fault(_ reason: String, client: Bool, version: SOAPVersion = .soap11) -> [UInt8] {
        write(version: version, namespace: nil) { writer in
            writer.open("soap:Fault")
            switch version {
            case .soap11:
                writer.element("faultcode", client ? "soap:Client" : "soap:Server")
                writer.element("faultstring", reason)
            case .soap12:
                writer.open("soap:Code")
                writer.element("soap:Value", client ? "soap:Sender" : "soap:Receiver")
                writer.close("soap:Code")
                writer.open("soap:Reason")
                writer.open("soap:Text", attributes: [("xml:lang", "en")])
                writer.characters(reason)
                writer.close("soap:Text")
                writer.close("soap:Reason")
            }
            writer.close("soap:Fault")
        }
    }

    /// The fault string of a fault body, if the element is one.
    public static func faultReason(_ element: XMLElementNode) -> String? {
        guard element.localName == "Fault" else { return nil }
        if let text = element.child("faultstring", namespace: nil)?.trimmedText { return text }
        if let reason = element.children.first(where: { $0.localName == "Reason" })?.children.first { return reason.trimmedText }
        return "a SOAP fault without a reason"
    }
}
