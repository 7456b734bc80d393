import SwiftASN1

/// The LDS and Unicode versions in a v1 security object (Doc 9303-10 §4.6.2.2, LDS 1.8 onwards).
///
/// ```
/// LDSVersionInfo ::= SEQUENCE {
///     ldsVersion      PrintableString,    -- "aabb":   "0108" = LDS 1.8
///     unicodeVersion  PrintableString }   -- "aabbcc": "040000" = Unicode 4.0.0
/// ```
/// The string forms follow EF.COM's 5F01 and 5F36 (the same forms SignServer's MRTD SOD signer writes).
public struct LDSVersionInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var ldsVersion: String
    public var unicodeVersion: String

    /// Takes either form: the stored digits ("0108", "040000") or the dotted form an operator types ("1.8", "4.0.0").
    public init(ldsVersion: String, unicodeVersion: String = "4.0.0") throws {
        self.ldsVersion = try Self.digits(ldsVersion, parts: 2, "ldsVersion")
        self.unicodeVersion = try Self.digits(unicodeVersion, parts: 3, "unicodeVersion")
    }

    static func digits(_ dotted: String, parts: Int, _ field: String) throws -> String {
        if dotted.count == parts * 2, dotted.allSatisfy({ $0.isASCII && $0.isNumber }) { return dotted }
        let numbers = dotted.split(separator: ".").map { Int($0) }
        guard numbers.count == parts, numbers.allSatisfy({ $0.map { (0...99).contains($0) } ?? false }) else {
            throw LDSError.invalid("LDSVersionInfo", "\(field) '\(dotted)' is neither \(parts * 2) digits nor \(parts) dotted numbers")
        }
        return numbers.map { String(format2: $0 ?? 0) }.joined()
    }

    /// "1.8".
    public var ldsVersionDisplay: String { EFCOM.display(ldsVersion) }
    public var unicodeVersionDisplay: String { EFCOM.display(unicodeVersion) }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        // Read without the format check: a verifier reports a malformed version, it does not reject the SOD.
        let (lds, unicode) = try BER.sequence(node, identifier: identifier) { nodes in
            (String(try ASN1PrintableString(berEncoded: &nodes)), String(try ASN1PrintableString(berEncoded: &nodes)))
        }
        self.ldsVersion = lds
        self.unicodeVersion = unicode
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(ASN1PrintableString(ldsVersion))
            try coder.serialize(ASN1PrintableString(unicodeVersion))
        }
    }
}

extension String {
    /// Two decimal digits with a leading zero.
    fileprivate init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
