import Foundation
import SPOC
import Testing
import TestSupport

/// The SOAP layer alone: the messages in both namespaces, what real peers send that differs from the WSDL, the
/// XML the reader refuses before libxml2 sees it, and seeded mutations of real envelopes, which must end in a
/// typed error or a message, never a crash.
@Suite struct SPOCMessageTests {
    static let certificate: [UInt8] = [0x7F, 0x21, 0x03, 0x01, 0x02, 0x03]

    @Test(arguments: SPOCNamespace.allCases)
    func requestsRoundTripInEitherNamespace(_ namespace: SPOCNamespace) throws {
        let requests: [SPOCRequest] = [
            .requestCertificate(callerID: "SK", messageID: "SK-1", certificateRequest: [0x7F, 0x21, 0x01, 0x00]),
            .sendCertificates(callerID: "SK", messageID: "CZ-9", certificates: [Self.certificate, Self.certificate], statusInfo: .okCertAvailable),
            .sendCertificates(callerID: "SK", messageID: nil, certificates: [Self.certificate], statusInfo: .newCertAvailableNotification),
            .getCACertificates(callerID: "SK", messageID: "SK-2"),
            .generalMessage(callerID: "SK", messageID: "SK-3", subject: "Reactivation of SPOC service", body: "Back <online> & well."),
        ]
        for request in requests {
            let bytes = SPOCMessageCodec.encode(request, namespace: namespace)
            let decoded = try SPOCMessageCodec.decodeRequest(bytes)
            #expect(decoded.namespace == namespace && decoded.soapVersion == .soap11 && decoded.syntaxProblems.isEmpty)
            if case .sendCertificates(_, _, _, let status) = request, status.isNewCertificateNotification {
                // The CSN 2009 enumeration spells it new_cer_available_notification; either reads as the notification.
                guard case .sendCertificates(_, _, _, let read) = decoded.request else { Issue.record("not SendCertificates"); continue }
                #expect(read.isNewCertificateNotification)
                #expect(String(decoding: bytes, as: UTF8.self).contains(namespace == .csn ? "new_cer_available_notification" : "new_cert_available_notification"))
            } else {
                #expect(decoded.request == request)
            }
        }
        let answer = SPOCResponse(.getCACertificates, result: .okCertAvailable, certificates: [Self.certificate])
        #expect(try SPOCMessageCodec.decodeResponse(SPOCMessageCodec.encode(answer, namespace: namespace), operation: .getCACertificates) == answer)
    }

    /// Codes a namespace's enumeration lacks are written as the nearest code it has, a refusal staying a refusal.
    @Test func resultCodesFollowTheNamespacesEnumeration() {
        #expect(SPOCResultCode.failureExpired.written(in: .requestCertificateResult, namespace: .icao) == .failureExpired)
        #expect(SPOCResultCode.failureExpired.written(in: .requestCertificateResult, namespace: .csn) == .failureRequestNotAccepted)
        #expect(SPOCResultCode.failureSyntax.written(in: .getCACertificatesResult, namespace: .csn) == .failureRequestNotAccepted)
        #expect(SPOCResultCode.failureSyntax.written(in: .generalMessageResult, namespace: .csn) == .failureInternalError)
        for list in [SPOCResultCode.List.requestCertificateResult, .sendCertificatesStatusInfo, .sendCertificatesResult, .getCACertificatesResult,
                     .generalMessageResult] {
            for namespace in SPOCNamespace.allCases {
                for code in SPOCResultCode.List.requestCertificateResult.values(.icao) + [.okReceivedCorrectly, .ok, .failureMessageIDUnknown] {
                    #expect(code.written(in: list, namespace: namespace).isValid(in: list, namespace: namespace), "\(code) in \(list), \(namespace)")
                }
            }
        }
    }

    /// What real peers send: SOAP 1.2, unqualified children, base64 folded over lines, CardContact's answer
    /// element named RequestCertificateResponse whatever the operation.
    @Test func lenientWhereRealPeersDiffer() throws {
        let soap12 = """
            <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Header/><env:Body>
            <GetCACertificatesRequest xmlns="http://namespaces.unmz.cz/csn369791"><callerID>SK</callerID><messageID>m</messageID></GetCACertificatesRequest>
            </env:Body></env:Envelope>
            """
        let decoded = try SPOCMessageCodec.decodeRequest(Array(soap12.utf8))
        #expect(decoded.soapVersion == .soap12 && decoded.namespace == .csn && decoded.request == .getCACertificates(callerID: "SK", messageID: "m"))

        let unqualified = """
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:RequestCertificateRequest xmlns:p="http://namespaces.icao.int/lds2">
            <callerID> SK </callerID><messageID>m2</messageID><certificateRequest>
            fyED
            AQID
            </certificateRequest></p:RequestCertificateRequest></s:Body></s:Envelope>
            """
        let request = try SPOCMessageCodec.decodeRequest(Array(unqualified.utf8))
        #expect(request.request == .requestCertificate(callerID: "SK", messageID: "m2", certificateRequest: [0x7F, 0x21, 0x03, 0x01, 0x02, 0x03]))

        let cardContact = """
            <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
            <ns:RequestCertificateResponse xmlns:ns="http://namespaces.unmz.cz/csn369791"><ns:result>ok_cert_available</ns:result></ns:RequestCertificateResponse>
            </soap:Body></soap:Envelope>
            """
        #expect(try SPOCMessageCodec.decodeResponse(Array(cardContact.utf8), operation: .getCACertificates).result == .okCertAvailable)
    }

    /// A request that can be answered, but only with failure_syntax; and what cannot be answered at all.
    @Test func syntaxProblemsAndRefusals() throws {
        let badBase64 = """
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:RequestCertificateRequest xmlns:p="http://namespaces.icao.int/lds2">
            <p:callerID>SK</p:callerID><p:messageID>m</p:messageID><p:certificateRequest>%%%</p:certificateRequest></p:RequestCertificateRequest></s:Body></s:Envelope>
            """
        #expect(try SPOCMessageCodec.decodeRequest(Array(badBase64.utf8)).syntaxProblems == ["certificateRequest: not base64"])
        let cases: [(String, String)] = [
            ("<a/>", "not a SOAP 1.1 or 1.2 Envelope"),
            ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><x:Ping xmlns:x=\"urn:x\"/></s:Body></s:Envelope>", "neither SPOC namespace"),
            ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><p:GetCACertificatesRequest xmlns:p=\"http://namespaces.icao.int/lds2\"><p:messageID>m</p:messageID></p:GetCACertificatesRequest></s:Body></s:Envelope>", "no callerID element"),
            ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><p:GetCACertificatesRequest xmlns:p=\"http://namespaces.icao.int/lds2\"><p:callerID>sk1</p:callerID><p:messageID>m</p:messageID></p:GetCACertificatesRequest></s:Body></s:Envelope>", "not a Doc 9303-3 country code"),
            ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body", "not well-formed"),
        ]
        for (text, expected) in cases {
            #expect { try SPOCMessageCodec.decodeRequest(Array(text.utf8)) } throws: { error in
                (error as? SPOCError)?.reason.contains(expected) == true
            }
        }
    }

    @Test func theReaderRefusesDangerousXMLBeforeParsing() throws {
        let reader = SafeXMLReader(maximumBytes: 4_096, maximumDepth: 8, maximumElements: 50)
        let refusals: [(String, String)] = [
            ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "document type declaration"),
            ("<!doctype a SYSTEM \"http://example.invalid/a.dtd\"><a/>", "document type declaration"),
            ("<a><!ENTITY x \"y\"></a>", "entity declaration"),
            ("\u{FEFF}<a/>".utf16.map { String(format: "%04x", $0) }.joined(), "not well-formed"),
            ("<a>" + String(repeating: "<b>", count: 9) + String(repeating: "</b>", count: 9) + "</a>", "deeper than 8"),
            ("<a>" + String(repeating: "<b/>", count: 60) + "</a>", "more than 50 elements"),
            (String(repeating: " ", count: 5_000) + "<a/>", "at most 4096"),
        ]
        for (text, expected) in refusals {
            #expect { try reader.read(Array(text.utf8)) } throws: { error in (error as? SPOCError)?.reason.contains(expected) == true }
        }
        #expect { try reader.read([0xFF, 0xFE, 0x3C, 0x00, 0x61, 0x00, 0x2F, 0x00, 0x3E, 0x00]) } throws: { error in
            (error as? SPOCError)?.reason.contains("not UTF-8") == true
        }
        // A DOCTYPE inside a comment or CDATA section is text, not a declaration.
        let tree = try reader.read(Array("<a><!-- <!DOCTYPE x> --><![CDATA[<!ENTITY y>]]></a>".utf8))
        #expect(tree.localName == "a" && tree.text == "<!ENTITY y>")
    }

    @Test func mutatedEnvelopesEndInAnErrorOrAMessage() throws {
        let seeds: [[UInt8]] = SPOCNamespace.allCases.flatMap { namespace in [
            SPOCMessageCodec.encode(.requestCertificate(callerID: "SK", messageID: "SK-1", certificateRequest: Array(repeating: 0x5A, count: 200)), namespace: namespace),
            SPOCMessageCodec.encode(.sendCertificates(callerID: "SK", messageID: "m", certificates: [Self.certificate], statusInfo: .okCertAvailable), namespace: namespace),
            SPOCMessageCodec.encode(.generalMessage(callerID: "SK", messageID: "m", subject: "s", body: "b"), namespace: namespace),
            SPOCMessageCodec.encode(SPOCResponse(.requestCertificate, result: .okCertAvailable, certificates: [Self.certificate]), namespace: namespace),
        ] }
        var random = SplitMix64(seed: 0x5B0C_0001)
        var decoded = 0
        for _ in 0..<3_000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0x20...0x7E, using: &random)
                case 1 where !bytes.isEmpty: bytes.removeLast(Int.random(in: 1...min(40, bytes.count), using: &random))
                case 2: bytes.insert(contentsOf: Array("<x>".utf8), at: Int.random(in: 0...bytes.count, using: &random))
                default:
                    let at = Int.random(in: 0...bytes.count, using: &random)
                    bytes.insert(contentsOf: Array(["&amp;", "]]>", "<!--", "<![CDATA[", "\u{00e9}", "xmlns:q=\"urn:q\" "].randomElement(using: &random)!.utf8), at: at)
                }
            }
            do {
                _ = try SPOCMessageCodec.decodeRequest(bytes)
                decoded += 1
            } catch is SPOCError {
            } catch {
                Issue.record("an untyped error: \(error)")
            }
            _ = try? SPOCMessageCodec.decodeResponse(bytes, operation: .requestCertificate)
        }
        #expect(decoded > 50, "some mutations still decode: \(decoded)")
    }
}
