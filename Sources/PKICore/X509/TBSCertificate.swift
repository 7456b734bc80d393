import SwiftASN1

/// The signed part of a certificate (RFC 5280 §4.1).
///
/// ```
/// TBSCertificate ::= SEQUENCE {
///     version          [0] EXPLICIT Version DEFAULT v1,
///     serialNumber         CertificateSerialNumber,
///     signature            AlgorithmIdentifier,
///     issuer               Name,
///     validity             Validity,
///     subject              Name,
///     subjectPublicKeyInfo SubjectPublicKeyInfo,
///     issuerUniqueID   [1] IMPLICIT UniqueIdentifier OPTIONAL,
///     subjectUniqueID  [2] IMPLICIT UniqueIdentifier OPTIONAL,
///     extensions       [3] EXPLICIT Extensions OPTIONAL }
/// ```
public struct TBSCertificate: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// 0 for v1, 2 for v3.
    public var version: Int
    /// Two's complement as encoded; real certificates have negative and over-long serials.
    public var serialNumber: ArraySlice<UInt8>
    public var signature: AlgorithmIdentifier
    public var issuer: DistinguishedName
    public var validity: Validity
    public var subject: DistinguishedName
    public var subjectPublicKeyInfo: SubjectPublicKeyInfo
    public var issuerUniqueID: ASN1BitString?
    public var subjectUniqueID: ASN1BitString?
    public var extensions: Extensions

    public init(
        version: Int = 2, serialNumber: ArraySlice<UInt8>, signature: AlgorithmIdentifier, issuer: DistinguishedName,
        validity: Validity, subject: DistinguishedName, subjectPublicKeyInfo: SubjectPublicKeyInfo, extensions: Extensions
    ) {
        self.version = version
        self.serialNumber = serialNumber
        self.signature = signature
        self.issuer = issuer
        self.validity = validity
        self.subject = subject
        self.subjectPublicKeyInfo = subjectPublicKeyInfo
        self.extensions = extensions
    }

    private static func context(_ n: UInt) -> ASN1Identifier { .init(tagWithNumber: n, tagClass: .contextSpecific) }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try BER.decodeDefaultExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific, defaultValue: 0)
            let serial = try RawInteger.decode(&nodes)
            let signature = try AlgorithmIdentifier(berEncoded: &nodes)
            let issuer = try DistinguishedName(berEncoded: &nodes)
            let validity = try Validity(berEncoded: &nodes)
            let subject = try DistinguishedName(berEncoded: &nodes)
            let spki = try SubjectPublicKeyInfo(berEncoded: &nodes)
            var result = TBSCertificate(
                version: version, serialNumber: serial, signature: signature, issuer: issuer, validity: validity,
                subject: subject, subjectPublicKeyInfo: spki, extensions: Extensions())
            while let field = nodes.next() {
                guard field.identifier.tagClass == .contextSpecific else { throw ASN1Error.unexpectedFieldType(field.identifier) }
                switch field.identifier.tagNumber {
                case 1: result.issuerUniqueID = try ASN1BitString(berEncoded: field, withIdentifier: field.identifier)
                case 2: result.subjectUniqueID = try ASN1BitString(berEncoded: field, withIdentifier: field.identifier)
                case 3:
                    guard case .constructed(let inner) = field.content, let list = inner.first(where: { _ in true }) else {
                        throw ASN1Error.invalidASN1Object(reason: "extensions [3] is empty")
                    }
                    result.extensions = try Extensions(berEncoded: list)
                default: throw ASN1Error.unexpectedFieldType(field.identifier)
                }
            }
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if version != 0 { try coder.serialize(version, explicitlyTaggedWithIdentifier: Self.context(0)) }
            RawInteger.encode(serialNumber, into: &coder)
            try coder.serialize(signature)
            try coder.serialize(issuer)
            try coder.serialize(validity)
            try coder.serialize(subject)
            try coder.serialize(subjectPublicKeyInfo)
            if let issuerUniqueID { try issuerUniqueID.serialize(into: &coder, withIdentifier: Self.context(1)) }
            if let subjectUniqueID { try subjectUniqueID.serialize(into: &coder, withIdentifier: Self.context(2)) }
            if !extensions.isEmpty { try coder.serialize(extensions, explicitlyTaggedWithIdentifier: Self.context(3)) }
        }
    }
}
