import SwiftASN1

/// ```
/// SubjectKeyIdentifier ::= KeyIdentifier
/// KeyIdentifier ::= OCTET STRING
/// ```
public struct SubjectKeyIdentifier: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.subjectKeyIdentifier
    public static var defaultIdentifier: ASN1Identifier { .octetString }

    public var keyIdentifier: [UInt8]

    public init(keyIdentifier: [UInt8]) {
        self.keyIdentifier = keyIdentifier
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.keyIdentifier = Array(try ASN1OctetString(derEncoded: node, withIdentifier: identifier).bytes)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.keyIdentifier = Array(try ASN1OctetString(berEncoded: node, withIdentifier: identifier).bytes)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try ASN1OctetString(contentBytes: keyIdentifier[...]).serialize(into: &coder, withIdentifier: identifier)
    }
}
