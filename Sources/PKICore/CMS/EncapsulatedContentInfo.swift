import SwiftASN1

/// ```
/// EncapsulatedContentInfo ::= SEQUENCE {
///     eContentType  ContentType,
///     eContent      [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
/// eContent may arrive as a constructed OCTET STRING with indefinite lengths (`openssl cms -stream`); it is
/// flattened on reading.
public struct EncapsulatedContentInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var eContentType: ASN1ObjectIdentifier
    public var eContent: ArraySlice<UInt8>?

    public init(eContentType: ASN1ObjectIdentifier, eContent: ArraySlice<UInt8>?) {
        self.eContentType = eContentType
        self.eContent = eContent
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let content = try BER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try ASN1OctetString(berEncoded: $0)
            }
            return EncapsulatedContentInfo(eContentType: type, eContent: content?.bytes)
        }
    }

    /// The common layout (a primitive OCTET STRING under [0]) read without building a node tree: the content is a
    /// slice of the input. Anything else goes through the general reader.
    static func readDefiniteLength(_ element: TLVReader.Element) throws -> EncapsulatedContentInfo {
        var fields = TLVReader(element.content, what: "EncapsulatedContentInfo")
        let type = try fields.expect(0x06, "eContentType")
        let eContentType = try ObjectIdentifierCache.identifier(type.encoded)
        guard let explicit = try fields.next() else { return EncapsulatedContentInfo(eContentType: eContentType, eContent: nil) }
        var inner = TLVReader(explicit.content, what: "EncapsulatedContentInfo")
        if explicit.firstOctet == 0xA0, fields.isAtEnd, let octets = try inner.next(), octets.firstOctet == 0x04, inner.isAtEnd {
            return EncapsulatedContentInfo(eContentType: eContentType, eContent: octets.content)
        }
        return try EncapsulatedContentInfo(berEncoded: BER.parse(element.encoded))
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(eContentType)
            if let eContent {
                try coder.serialize(ASN1OctetString(contentBytes: eContent), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }
}
