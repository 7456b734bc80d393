import SwiftASN1

/// ```
/// BasicConstraints ::= SEQUENCE {
///     cA                 BOOLEAN DEFAULT FALSE,
///     pathLenConstraint  INTEGER (0..MAX) OPTIONAL }
/// ```
/// Doc 9303-12 Table 6: CSCA and link certificates carry cA TRUE with pathLenConstraint 0, critical.
public struct BasicConstraints: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.basicConstraints
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var isCertificateAuthority: Bool
    public var pathLengthConstraint: Int?

    public init(isCertificateAuthority: Bool, pathLengthConstraint: Int? = nil) {
        self.isCertificateAuthority = isCertificateAuthority
        self.pathLengthConstraint = pathLengthConstraint
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            var ca = false
            var next = nodes.next()
            if let field = next, field.identifier == .boolean {
                ca = try Bool(berEncoded: field)
                next = nodes.next()
            }
            let path = try next.map { try Int(berEncoded: $0) }
            return BasicConstraints(isCertificateAuthority: ca, pathLengthConstraint: path)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if isCertificateAuthority { try coder.serialize(true) }
            if let pathLengthConstraint { try coder.serialize(pathLengthConstraint) }
        }
    }
}
