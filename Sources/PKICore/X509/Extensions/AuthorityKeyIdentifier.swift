import SwiftASN1

/// ```
/// AuthorityKeyIdentifier ::= SEQUENCE {
///     keyIdentifier             [0] KeyIdentifier           OPTIONAL,
///     authorityCertIssuer       [1] GeneralNames            OPTIONAL,
///     authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
/// ```
/// (implicit tags). Doc 9303-12 requires it in DS, MLS, DLS and link certificates and in CRLs, equal to the
/// issuer's subjectKeyIdentifier.
public struct AuthorityKeyIdentifier: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.authorityKeyIdentifier
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var keyIdentifier: [UInt8]?
    public var authorityCertIssuer: [GeneralName]?
    public var authorityCertSerialNumber: [UInt8]?

    public init(keyIdentifier: [UInt8]?, authorityCertIssuer: [GeneralName]? = nil, authorityCertSerialNumber: [UInt8]? = nil) {
        self.keyIdentifier = keyIdentifier
        self.authorityCertIssuer = authorityCertIssuer
        self.authorityCertSerialNumber = authorityCertSerialNumber
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            var result = AuthorityKeyIdentifier(keyIdentifier: nil)
            while let field = nodes.next() {
                guard field.identifier.tagClass == .contextSpecific else { throw ASN1Error.unexpectedFieldType(field.identifier) }
                switch field.identifier.tagNumber {
                case 0:
                    result.keyIdentifier = Array(try ASN1OctetString(berEncoded: field, withIdentifier: field.identifier).bytes)
                case 1:
                    result.authorityCertIssuer = try BER.sequence(of: GeneralName.self, identifier: field.identifier, rootNode: field)
                case 2:
                    result.authorityCertSerialNumber = Array(try RawInteger.decode(field, identifier: field.identifier))
                default:
                    throw ASN1Error.unexpectedFieldType(field.identifier)
                }
            }
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if let keyIdentifier {
                try ASN1OctetString(contentBytes: keyIdentifier[...]).serialize(into: &coder, withIdentifier: .init(tagWithNumber: 0, tagClass: .contextSpecific))
            }
            if let authorityCertIssuer {
                try coder.serializeSequenceOf(authorityCertIssuer, identifier: .init(tagWithNumber: 1, tagClass: .contextSpecific))
            }
            if let authorityCertSerialNumber {
                RawInteger.encode(authorityCertSerialNumber, into: &coder, identifier: .init(tagWithNumber: 2, tagClass: .contextSpecific))
            }
        }
    }
}
