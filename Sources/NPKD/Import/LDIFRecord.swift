import Foundation

/// One LDIF record (RFC 2849): its distinguished name, change type and attribute values, each with the line it
/// started on, so an error can name the line of the bad value.
///
/// ```
/// ldif-attrval-record = dn-spec SEP 1*attrval-spec
/// ldif-change-record  = dn-spec SEP *control changerecord
/// dn-spec             = "dn:" (FILL distinguishedName / ":" FILL base64-distinguishedName)
/// attrval-spec        = AttributeDescription value-spec SEP
/// AttributeDescription = AttributeType [";" options]
/// value-spec          = ":" (FILL 0*1(SAFE-STRING) / ":" FILL (BASE64-STRING) / "<" FILL url)
/// ```
public struct LDIFRecord: Sendable {
    public struct Value: Sendable {
        /// The attribute type as written, without options (`userCertificate` for `userCertificate;binary`).
        public let type: String
        /// Options after ';' (`binary`), lower-cased.
        public let options: [String]
        public let bytes: [UInt8]
        /// Whether the value was base64 (`::`) in the file.
        public let wasBase64: Bool
        public let line: Int

        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The record's position among the records of the file, from 1.
    public let index: Int
    /// The line of its `dn:`.
    public let line: Int
    public let dn: String
    public let values: [Value]

    /// The values of an attribute type, matched case-insensitively and whatever its options.
    public func values(_ type: String) -> [Value] {
        values.filter { $0.type.equalsIgnoringASCIICase(type) }
    }

    public func first(_ type: String) -> Value? {
        values.first { $0.type.equalsIgnoringASCIICase(type) }
    }

    /// `changetype` of a change record; nil for a plain content record (which adds).
    public var changeType: String? { first("changetype")?.text.lowercased() }

    /// "line 1042, entry 17 (cn=...,o=dsc,c=NZ,...)", for error messages.
    public var location: String {
        let shown = dn.count > 120 ? String(dn.prefix(117)) + "..." : dn
        return "line \(line), entry \(index) (\(shown))"
    }
}

extension StringProtocol {
    /// Equality ignoring the case of ASCII letters: LDIF attribute types, change types and RDN types are ASCII
    /// (RFC 2849, RFC 4512), and Foundation's `caseInsensitiveCompare` cost more than the rest of a record.
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        var mine = utf8.makeIterator()
        var theirs = other.utf8.makeIterator()
        while true {
            switch (mine.next(), theirs.next()) {
            case (nil, nil): return true
            case (let a?, let b?):
                if a == b { continue }
                let folded = a | 0x20
                guard folded == b | 0x20, folded >= UInt8(ascii: "a"), folded <= UInt8(ascii: "z") else { return false }
            default: return false
            }
        }
    }
}
