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

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(eContentType)
            if let eContent {
                try coder.serialize(ASN1OctetString(contentBytes: eContent), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }
}
