import SwiftASN1

/// One certificate or CRL extension (RFC 5280 §4.1).
///
/// ```
/// Extension ::= SEQUENCE {
///     extnID     OBJECT IDENTIFIER,
///     critical   BOOLEAN DEFAULT FALSE,
///     extnValue  OCTET STRING }
/// ```
/// `critical` FALSE is never encoded (DER forbids writing a default; Doc 9303-12 repeats it).
public struct Extension: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var oid: ASN1ObjectIdentifier
    public var critical: Bool
    public var value: ArraySlice<UInt8>
    /// Set when the input encoded `critical FALSE` explicitly (a DER violation the linter reports).
    public private(set) var encodedDefaultCritical = false

    public init(oid: ASN1ObjectIdentifier, critical: Bool, value: ArraySlice<UInt8>) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }

    /// Wraps a typed extension value.
    public init<Value: ExtensionValue>(_ value: Value, critical: Bool) throws {
        var serializer = DER.Serializer()
        try serializer.serialize(value)
        self.init(oid: Value.oid, critical: critical, value: serializer.serializedBytes[...])
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier, ber: false)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier, ber: true)
    }

    private static func decode(_ node: ASN1Node, identifier: ASN1Identifier, ber: Bool) throws -> Extension {
        try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            var critical = false
            var explicitFalse = false
            var next = nodes.next()
            if let field = next, field.identifier == .boolean {
                critical = ber ? try Bool(berEncoded: field) : try Bool(derEncoded: field)
                explicitFalse = !critical
                next = nodes.next()
            }
            guard let valueNode = next else { throw ASN1Error.truncatedASN1Field() }
            let value = try ASN1OctetString(berEncoded: valueNode)
            var result = Extension(oid: oid, critical: critical, value: value.bytes)
            result.encodedDefaultCritical = explicitFalse
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(oid)
            if critical { try coder.serialize(true) }
            try coder.serialize(ASN1OctetString(contentBytes: value))
        }
    }

    /// Decodes the value as the given type (leniently: BER).
    public func decode<Value: ExtensionValue>(_ type: Value.Type) throws -> Value {
        try PKIError.decoding("extension \(oid.displayName)") {
            try Value(berEncoded: BER.parse(value))
        }
    }

    public static func == (lhs: Extension, rhs: Extension) -> Bool {
        lhs.oid == rhs.oid && lhs.critical == rhs.critical && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(oid)
        hasher.combine(value)
    }
}

/// The value type of a known extension.
public protocol ExtensionValue: BERParseable, DERSerializable, Sendable {
    static var oid: ASN1ObjectIdentifier { get }
}

/// ```
/// Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
/// ```
public struct Extensions: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable, Sequence {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var items: [Extension]

    public init(_ items: [Extension] = []) {
        self.items = items
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.items = try DER.sequence(of: Extension.self, identifier: identifier, rootNode: node)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.items = try BER.sequence(of: Extension.self, identifier: identifier, rootNode: node)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(items, identifier: identifier)
    }

    public func makeIterator() -> IndexingIterator<[Extension]> { items.makeIterator() }

    public var isEmpty: Bool { items.isEmpty }

    public subscript(oid: ASN1ObjectIdentifier) -> Extension? {
        items.first(where: { $0.oid == oid })
    }

    /// The typed value of an extension, nil when absent; throws when present but unreadable.
    public func value<Value: ExtensionValue>(_ type: Value.Type) throws -> Value? {
        try self[Value.oid]?.decode(type)
    }

    public mutating func append(_ extension: Extension) {
        items.append(`extension`)
    }

    public mutating func append<Value: ExtensionValue>(_ value: Value, critical: Bool) throws {
        items.append(try Extension(value, critical: critical))
    }
}
