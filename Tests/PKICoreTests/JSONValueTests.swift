import Foundation
import PKICore
import Testing

/// `JSONValue` replaced Foundation's `JSONSerialization` on the service's hot path; these tests hold it to what
/// Foundation reads and writes, so nothing a client or script saw changes.
@Suite struct JSONValueTests {
    static let report: VerificationReport = {
        var report = VerificationReport(subject: "C=UT, O=Utopia, CN=Document Signer \"1\"/2 é")
        report.add("CMS signature", .passed, "ECDSA with SHA-256 by C=UT,CN=DS\nline two\ttab")
        report.add("DS revocation", .notChecked, "no CRL of the CSCA is held")
        report.add("DG2 hash", .failed, "SHA-256 differs \\ \u{01}")
        report.add("content type", .warning, "id-data instead of id-icao-mrtd-security-ldsSecurityObject")
        return report
    }()

    @Test("pretty output is byte for byte what JSONSerialization writes with sorted keys")
    func prettyMatchesFoundation() throws {
        let ours = Self.report.jsonValue.encoded(pretty: true)
        let object = try JSONSerialization.jsonObject(with: Data(ours))
        let foundation = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        #expect(ours == Array(foundation), "\(String(decoding: ours, as: UTF8.self))\n---\n\(String(decoding: foundation, as: UTF8.self))")
    }

    @Test("compact output is what JSONSerialization writes with sorted keys, and reads back to the same value")
    func compactMatchesFoundation() throws {
        let value = JSONValue.object([
            ("z", .array([.integer(-12), .number(2.5), .bool(false), .null, .array([]), .object([])])),
            ("a", .string("ä/\"\u{1F600}")), ("m", .integer(Int(Int32.max))),
        ])
        let ours = value.encoded()
        let foundation = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(ours)), options: [.sortedKeys])
        #expect(ours == Array(foundation), "\(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: foundation, as: UTF8.self))")
        #expect(try JSONValue(parsing: ours) == value)
    }

    @Test("text Foundation writes is read back to the same values, escapes and surrogate pairs included")
    func readsFoundationOutput() throws {
        let object: [String: Any] = [
            "sod": Data((0..<200).map { UInt8($0) }).base64EncodedString(), "list": [1, 2, 3], "nested": ["k": "v\\/\"\n", "t": true],
            "emoji": "\u{1F600} \u{00E9}", "n": NSNull(), "neg": -0.125,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        let value = try JSONValue(parsing: Array(data))
        #expect(value["sod"]?.stringValue == object["sod"] as? String)
        #expect(value["list"] == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(value["nested"]?["k"]?.stringValue == "v\\/\"\n")
        #expect(value["nested"]?["t"]?.boolValue == true)
        #expect(value["emoji"]?.stringValue == "\u{1F600} \u{00E9}")
        #expect(value["n"] == .null)
        #expect(value["neg"] == .number(-0.125))
        #expect(try JSONValue(parsing: Array(#""\ud83d\ude00\u00e9\/""#.utf8)) == .string("\u{1F600}é/"))
    }

    @Test("malformed JSON is refused with the byte offset", arguments: [
        ("", 0), ("{", 1), ("{\"a\" 1}", 5), ("{\"a\":1,}", 7), ("[1,]", 3), ("[1 2]", 3), ("\"abc", 4), ("tru", 0),
        ("{\"a\":1} x", 8), ("\"\u{01}\"", 1), ("\"\\x\"", 3), ("01", 1), ("-", 1), ("1.", 2), ("\"\\ud800\"", 7), ("{1:2}", 1),
    ])
    func malformedIsRefused(_ text: String, _ offset: Int) {
        #expect {
            try JSONValue(parsing: Array(text.utf8))
        } throws: { error in
            guard let error = error as? PKIError, error.code == .malformedEncoding else { return false }
            return error.reason.hasSuffix("at byte \(offset)")
        }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func deepNestingIsRefused() {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: PKIError.self) { try JSONValue(parsing: deep) }
        #expect(throws: Never.self) { try JSONValue(parsing: Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)) }
    }

    @Test("an escape or a raw control character is found at every position of a long string (eight bytes at a time)")
    func escapesFoundAtEveryPosition() throws {
        let filler = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        for position in 0..<40 {
            let prefix = String(filler.prefix(position))
            let suffix = String(filler.suffix(23))
            for (escaped, plain) in [("\\\"", "\""), ("\\\\", "\\"), ("\\n", "\n"), ("\\u0001", "\u{01}"), ("é", "é")] {
                let text = "\"\(prefix)\(escaped)\(suffix)\""
                #expect(try JSONValue(parsing: Array(text.utf8)) == .string(prefix + plain + suffix), "at \(position): \(text)")
                // What the writer escapes comes back unchanged.
                let value = JSONValue.string(prefix + plain + suffix)
                #expect(try JSONValue(parsing: value.encoded()) == value)
            }
            var raw = Array("\"\(prefix)x\(suffix)\"".utf8)
            raw[1 + position] = 0x1F
            #expect(throws: PKIError.self) { try JSONValue(parsing: raw) }
        }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8IsRefused() {
        #expect(throws: PKIError.self) { try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) }
    }
}
