import Foundation
import SwiftASN1

/// An X.501 name (RFC 5280 §4.1.2.4).
///
/// ```
/// Name ::= CHOICE { rdnSequence RDNSequence }
/// RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
/// ```
///
/// Read leniently (any string type, unsorted sets); written with PrintableString for countryName and
/// serialNumber as Doc 9303-12 requires, UTF8String for the rest.
public struct DistinguishedName: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable, CustomStringConvertible {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var rdns: [RelativeDistinguishedName] {
        didSet { text = DescriptionMemo() }
    }
    /// `description`, worked out once: a name parsed once (a cached certificate's, a signer identifier's) is
    /// printed into the report of every passport it verifies.
    private var text = DescriptionMemo()

    public init(_ rdns: [RelativeDistinguishedName]) {
        self.rdns = rdns
    }

    public static func == (lhs: DistinguishedName, rhs: DistinguishedName) -> Bool { lhs.rdns == rhs.rdns }
    public func hash(into hasher: inout Hasher) { hasher.combine(rdns) }

    /// One attribute per RDN, in the order given.
    public init(attributes: [(ASN1ObjectIdentifier, String)]) throws {
        self.rdns = try attributes.map { RelativeDistinguishedName([try AttributeTypeAndValue(type: $0.0, string: $0.1)]) }
    }

    /// Parses `C=LU,O=Ministry,CN=CSCA Luxembourg` (RFC 4514 order is reversed there; here the text order is
    /// the encoding order, as operators write it). A backslash escapes a comma.
    public init(parsing text: String) throws {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "," { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        var attributes: [(ASN1ObjectIdentifier, String)] = []
        for part in parts {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw PKIError.invalid("distinguished name", "'\(trimmed)' is not TYPE=value")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard let oid = AttributeTypeAndValue.shortNames.first(where: { $0.value.caseInsensitiveCompare(key) == .orderedSame })?.key
            else {
                throw PKIError.invalid("distinguished name", "unknown attribute type '\(key)'")
            }
            attributes.append((oid, value))
        }
        try self.init(attributes: attributes)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.rdns = try DER.sequence(of: RelativeDistinguishedName.self, identifier: identifier, rootNode: node)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.rdns = try BER.sequence(of: RelativeDistinguishedName.self, identifier: identifier, rootNode: node)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(rdns, identifier: identifier)
    }

    public var attributes: [AttributeTypeAndValue] { rdns.flatMap(\.attributes) }

    public func first(_ type: ASN1ObjectIdentifier) -> String? {
        attributes.first(where: { $0.type == type })?.stringValue
    }

    public var countryName: String? { first(.NameAttributes.countryName) }
    public var commonName: String? { first(.NameAttributes.commonName) }

    /// `C=LU, O=..., CN=...` in encoding order.
    public var description: String {
        text.value { rdns.map { rdn in rdn.attributes.map(\.description).joined(separator: " + ") }.joined(separator: ", ") }
    }

    /// Same name as far as a relying party can tell: equal attribute values after case folding and space
    /// folding, whatever the string types and the order of the RDNs (some countries' SODs reorder them).
    public func isEquivalent(to other: DistinguishedName) -> Bool {
        if self == other { return true }
        let mine = attributes.map(\.comparisonKey).sorted()
        let theirs = other.attributes.map(\.comparisonKey).sorted()
        return mine == theirs
    }
}

/// ```
/// RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
/// ```
public struct RelativeDistinguishedName: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .set }

    public var attributes: [AttributeTypeAndValue]

    public init(_ attributes: [AttributeTypeAndValue]) {
        self.attributes = attributes
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.attributes = try DER.set(of: AttributeTypeAndValue.self, identifier: identifier, rootNode: node)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.attributes = try BER.set(of: AttributeTypeAndValue.self, identifier: identifier, rootNode: node)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSetOf(attributes, identifier: identifier)
    }
}

/// ```
/// AttributeTypeAndValue ::= SEQUENCE { type AttributeType, value AttributeValue }
/// ```
public struct AttributeTypeAndValue: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable, CustomStringConvertible {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var type: ASN1ObjectIdentifier
    /// The value as encoded, string type included.
    public var value: ASN1Any

    public init(type: ASN1ObjectIdentifier, value: ASN1Any) {
        self.type = type
        self.value = value
    }

    /// countryName and serialNumber as PrintableString (Doc 9303-12 Table 5), the rest as UTF8String.
    public init(type: ASN1ObjectIdentifier, string: String) throws {
        self.type = type
        if type == .NameAttributes.countryName || type == .NameAttributes.serialNumber {
            guard let printable = try? ASN1PrintableString(string) else {
                throw PKIError.invalid("\(Self.shortNames[type] ?? type.description)", "'\(string)' is not a PrintableString")
            }
            if type == .NameAttributes.countryName, string.count != 2 || string.uppercased() != string {
                throw PKIError.invalid("countryName", "'\(string)' must be two upper-case letters")
            }
            self.value = try ASN1Any(erasing: printable)
        } else {
            self.value = try ASN1Any(erasing: ASN1UTF8String(string))
        }
        self.decodedText = string
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            guard let value = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            var attribute = AttributeTypeAndValue(type: type, value: ASN1Any(derEncoded: value))
            attribute.decodedText = Self.text(of: value)
            return attribute
        }
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(berEncoded: &nodes)
            guard let value = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            var attribute = AttributeTypeAndValue(type: type, value: ASN1Any(berEncoded: value))
            attribute.decodedText = Self.text(of: value)
            return attribute
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(type)
            try coder.serialize(value)
        }
    }

    /// The value as text, for any of the directory string types; nil for other types.
    public var stringValue: String? {
        decodedText ?? Self.decodeString(value)
    }

    /// The text of the common ASCII/UTF-8 string types, taken from the node while it is at hand: reports print
    /// names often, and decoding an ASN1Any by trying each string type throws for every miss.
    private var decodedText: String?

    private static func text(of node: ASN1Node) -> String? {
        switch node.identifier {
        case .printableString, .utf8String, .ia5String, .visibleString, .numericString:
            if case .primitive(let bytes) = node.content { return String(decoding: bytes, as: UTF8.self) }
            return nil
        default:
            return nil
        }
    }

    private static func decodeString(_ value: ASN1Any) -> String? {
        if let s = try? ASN1PrintableString(berASN1Any: value) { return String(s) }
        if let s = try? ASN1UTF8String(berASN1Any: value) { return String(s) }
        if let s = try? ASN1IA5String(berASN1Any: value) { return String(s) }
        if let s = try? ASN1TeletexString(berASN1Any: value) { return String(decoding: s.bytes, as: UTF8.self) }
        if let s = try? ASN1BMPString(berASN1Any: value) {
            var units: [UInt16] = []
            var bytes = s.bytes.makeIterator()
            while let high = bytes.next(), let low = bytes.next() { units.append(UInt16(high) << 8 | UInt16(low)) }
            return String(decoding: units, as: UTF16.self)
        }
        if let s = try? ASN1UniversalString(berASN1Any: value) {
            var scalars = String.UnicodeScalarView()
            var bytes = s.bytes.makeIterator()
            while let b0 = bytes.next(), let b1 = bytes.next(), let b2 = bytes.next(), let b3 = bytes.next() {
                let code = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
                if let scalar = Unicode.Scalar(code) { scalars.append(scalar) }
            }
            return String(scalars)
        }
        return nil
    }

    /// Whether the value is a PrintableString (the profile's requirement for C and serialNumber).
    public var isPrintableString: Bool {
        (try? ASN1PrintableString(berASN1Any: value)) != nil
    }

    var comparisonKey: String {
        let text = (stringValue ?? "\(value)").lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return "\(type)=\(text)"
    }

    public var description: String {
        let name = Self.shortNames[type] ?? type.description
        return "\(name)=\(stringValue ?? "#\(value)")"
    }

    static let shortNames: [ASN1ObjectIdentifier: String] = [
        .NameAttributes.countryName: "C", .NameAttributes.organizationName: "O",
        .NameAttributes.organizationalUnitName: "OU", .NameAttributes.commonName: "CN",
        .NameAttributes.serialNumber: "serialNumber", .NameAttributes.localityName: "L",
        .NameAttributes.stateOrProvinceName: "ST", .NameAttributes.emailAddress: "emailAddress",
        .NameAttributes.domainComponent: "DC", .NameAttributes.surname: "SN", .NameAttributes.givenName: "GN",
        .NameAttributes.title: "title", .NameAttributes.pseudonym: "pseudonym",
    ]
}

/// A text computed on first use and kept, shared by the copies of the value that owns it.
final class DescriptionMemo: Sendable {
    private let stored = Locked<String?>(nil)

    func value(_ compute: () -> String) -> String {
        if let text = stored.withLock({ $0 }) { return text }
        let text = compute()
        stored.withLock { $0 = text }
        return text
    }
}
