import Foundation
import SPOC
import Testing

/// Inputs the fuzzer found (FUZZING.md, harnesses xml, spoc-request, spoc-response, tr03129), kept as regression tests.
@Suite struct SafeXMLReaderRegressionTests {
    /// `<` 0xFF `eee`, five bytes minimized from a TR-03129 SendCertificates envelope with one bit flipped in an
    /// element name: FoundationXML force-unwraps the element name as UTF-8 and stopped the process. Every reader of
    /// outside XML (SPOC requests and answers, the TR-03129 service) went through it.
    static let strayByteInElementName: [UInt8] = [0x3C, 0xFF, 0x65, 0x65, 0x65]

    @Test func bytesThatAreNotUTF8AreRefusedBeforeTheParser() throws {
        let cases: [(String, [UInt8], String)] = [
            ("element name", Self.strayByteInElementName, "line 1: byte 1 (0xFF) is not UTF-8"),
            ("attribute name", Array("<a ".utf8) + [0xFF] + Array("=\"1\"/>".utf8), "byte 3 (0xFF) is not UTF-8"),
            ("comment", Array("<a>\n<!-- ".utf8) + [0xC3] + Array(" --></a>".utf8), "line 2: byte 9 (0xC3) is not UTF-8"),
            ("processing instruction", Array("<?".utf8) + [0xE2, 0x82] + Array(" x?><a/>".utf8), "byte 2 (0xE2) is not UTF-8"),
            ("encoded surrogate", Array("<a>".utf8) + [0xED, 0xA0, 0x80] + Array("</a>".utf8), "byte 3 (0xED) is not UTF-8"),
        ]
        for (what, bytes, expected) in cases {
            do {
                _ = try SafeXMLReader().read(bytes)
                Issue.record("\(what) was read")
            } catch let error as SPOCError {
                #expect(error.code == .malformedXML && error.reason.contains(expected), "\(what): \(error.reason)")
            }
        }
        // The codecs over the reader answer the same way.
        #expect(throws: SPOCError.self) { try SPOCMessageCodec.decodeRequest(Self.strayByteInElementName) }
        #expect(throws: SPOCError.self) { try SPOCMessageCodec.decodeResponse(Self.strayByteInElementName, operation: .getCACertificates) }
        #expect(throws: SPOCError.self) { try TR03129Codec.decodeRequest(Self.strayByteInElementName) }
        // UTF-8 outside ASCII is still read.
        let tree = try SafeXMLReader().read(Array("<a b=\"é\">Ž€𝄞</a>".utf8))
        #expect(tree.text == "Ž€𝄞" && tree.attributes["b"] == "é")
    }

    /// `<?l?>`, five bytes minimized from `<?xml?><!!DO;<usa`: a processing instruction without data reaches
    /// FoundationXML as a null pointer, which it reads as a string (SIGSEGV). SOAP forbids processing instructions.
    static let processingInstructionWithoutData: [UInt8] = [0x3C, 0x3F, 0x6C, 0x3F, 0x3E]

    @Test func processingInstructionsAreRefusedBeforeTheParser() throws {
        let cases: [(String, [UInt8], String)] = [
            ("minimized", Self.processingInstructionWithoutData, "line 1: a processing instruction (<?)"),
            ("inside an element", Array("<a>\n<?x?></a>".utf8), "line 2: a processing instruction"),
            ("with data", Array("<a><?x y?></a>".utf8), "a processing instruction"),
            ("xml without a declaration", Array("<?xml?><a/>".utf8), "a processing instruction"),
            ("a declaration not at the start", Array(" <?xml version=\"1.0\"?><a/>".utf8), "a processing instruction"),
        ]
        for (what, bytes, expected) in cases {
            do {
                _ = try SafeXMLReader().read(bytes)
                Issue.record("\(what) was read")
            } catch let error as SPOCError {
                #expect(error.code == .malformedXML && error.reason.contains(expected), "\(what): \(error.reason)")
            }
        }
        #expect(throws: SPOCError.self) { try SPOCMessageCodec.decodeRequest(Self.processingInstructionWithoutData) }
        #expect(throws: SPOCError.self) { try TR03129Codec.decodeResponse(Self.processingInstructionWithoutData) }
        // The XML declaration is still read, after a UTF-8 byte order mark too; `<?` in a comment or CDATA is text.
        for text in ["<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", "\u{FEFF}<?xml version=\"1.0\"?>\n<a/>",
                     "<a><!-- <?x?> --><![CDATA[<?y?>]]></a>"] {
            #expect(try SafeXMLReader().read(Array(text.utf8)).localName == "a", "\(text)")
        }
    }

    /// Foundation parses in libxml2's recover mode and leaks a string for every error it reports (72 bytes each;
    /// 5,000 `&#0;` leaked 360,000 bytes per message): the reader stops at the eighth error.
    @Test func aMessageOfErrorsStopsAtTheEighth() throws {
        let flood = Array(("<a>" + String(repeating: "&#0;", count: 5_000) + "</a>").utf8)
        do {
            _ = try SafeXMLReader().read(flood)
            Issue.record("a message of 5,000 character errors was read")
        } catch let error as SPOCError {
            #expect(error.code == .malformedXML && error.reason.contains("8 XML errors, the first:"), "\(error.reason)")
        }
        // One error is reported as the parser saw it, as before.
        do {
            _ = try SafeXMLReader().read(Array("<a><b></a>".utf8))
            Issue.record("mismatched tags were read")
        } catch let error as SPOCError {
            #expect(error.code == .malformedXML && error.reason.contains("not well-formed"), "\(error.reason)")
        }
    }
}
