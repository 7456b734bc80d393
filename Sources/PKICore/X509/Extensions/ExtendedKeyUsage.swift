import SwiftASN1

/// ```
/// ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
/// KeyPurposeId ::= OBJECT IDENTIFIER
/// ```
/// Critical in Master List Signer (2.23.136.1.1.3) and Deviation List Signer (2.23.136.1.1.8) certificates;
/// forbidden in CSCA and DS certificates (Doc 9303-12 §7.1.1.3).
public struct ExtendedKeyUsage: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.extendedKeyUsage
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var purposes: [ASN1ObjectIdentifier]

    public init(_ purposes: [ASN1ObjectIdentifier]) {
        self.purposes = purposes
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.purposes = try DER.sequence(of: ASN1ObjectIdentifier.self, identifier: identifier, rootNode: node)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.purposes = try BER.sequence(of: ASN1ObjectIdentifier.self, identifier: identifier, rootNode: node)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(purposes, identifier: identifier)
    }
}
