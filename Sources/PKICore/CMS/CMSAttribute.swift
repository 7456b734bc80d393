import SwiftASN1

/// ```
/// Attribute ::= SEQUENCE {
///     attrType    OBJECT IDENTIFIER,
///     attrValues  SET OF AttributeValue }
/// ```
public struct CMSAttribute: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var attrType: ASN1ObjectIdentifier
    public var attrValues: [ASN1Any]

    public init(attrType: ASN1ObjectIdentifier, attrValues: [ASN1Any]) {
        self.attrType = attrType
        self.attrValues = attrValues
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            CMSAttribute(
                attrType: try ASN1ObjectIdentifier(berEncoded: &nodes),
                attrValues: try BER.set(of: ASN1Any.self, identifier: .set, nodes: &nodes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(attrType)
            try coder.serializeSetOf(attrValues)
        }
    }
}
