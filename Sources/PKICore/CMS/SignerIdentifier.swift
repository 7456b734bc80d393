import SwiftASN1

/// ```
/// SignerIdentifier ::= CHOICE {
///     issuerAndSerialNumber  IssuerAndSerialNumber,
///     subjectKeyIdentifier   [0] SubjectKeyIdentifier }
/// IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }
/// ```
/// Doc 9303-12 prefers subjectKeyIdentifier for master lists; real SODs use both.
public enum SignerIdentifier: DERParseable, BERParseable, DERSerializable, Hashable, Sendable, CustomStringConvertible {
    case issuerAndSerialNumber(issuer: DistinguishedName, serialNumber: ArraySlice<UInt8>)
    case subjectKeyIdentifier([UInt8])

    static let skiTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    public init(derEncoded node: ASN1Node) throws {
        self = try Self(berEncoded: node)
    }

    public init(berEncoded node: ASN1Node) throws {
        if node.identifier == Self.skiTag {
            self = .subjectKeyIdentifier(Array(try ASN1OctetString(berEncoded: node, withIdentifier: Self.skiTag).bytes))
        } else {
            self = try BER.sequence(node, identifier: .sequence) { nodes in
                .issuerAndSerialNumber(
                    issuer: try DistinguishedName(berEncoded: &nodes), serialNumber: try RawInteger.decode(&nodes))
            }
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .issuerAndSerialNumber(let issuer, let serial):
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(issuer)
                RawInteger.encode(serial, into: &coder)
            }
        case .subjectKeyIdentifier(let ski):
            try ASN1OctetString(contentBytes: ski[...]).serialize(into: &coder, withIdentifier: Self.skiTag)
        }
    }

    /// Identifies `certificate` as the signer: by SKI, or by issuer (RDNs in any order) and serial number.
    public func matches(_ certificate: Certificate) -> Bool {
        switch self {
        case .subjectKeyIdentifier(let ski):
            return certificate.subjectKeyIdentifier == ski || certificate.publicKeyIdentifierCandidates.contains(ski)
        case .issuerAndSerialNumber(let issuer, let serial):
            return certificate.serialNumber.drop(while: { $0 == 0 }) == serial.drop(while: { $0 == 0 })
                && certificate.issuer.isEquivalent(to: issuer)
        }
    }

    public var description: String {
        switch self {
        case .issuerAndSerialNumber(let issuer, let serial): "issuer \(issuer), serial \(serial.hexString)"
        case .subjectKeyIdentifier(let ski): "subjectKeyIdentifier \(ski.hexString)"
        }
    }
}

extension Certificate {
    /// Key identifiers a signer may use for a certificate without an SKI extension (RFC 5280 method 1).
    var publicKeyIdentifierCandidates: [[UInt8]] {
        // A digest OpenSSL cannot compute leaves no candidate: the signer is then reported as not found.
        (try? HashAlgorithm.sha1.hash(tbsCertificate.subjectPublicKeyInfo.subjectPublicKey.bytes)).map { [$0] } ?? []
    }
}

extension SignerIdentifier {
    private static let recent = RecentByEncoding<SignerIdentifier>(limit: 512)

    /// Reads a signer identifier, keeping the recent ones by their encoding: every SOD of a Document Signer names it
    /// with the same bytes, and reading the issuer's name again for each passport cost more than the look-up.
    static func cached(_ node: ASN1Node) throws -> SignerIdentifier {
        try cached(encoded: node.encodedBytes, read: { try SignerIdentifier(berEncoded: node) })
    }

    static func cached(encoded: ArraySlice<UInt8>) throws -> SignerIdentifier {
        try cached(encoded: encoded, read: { try SignerIdentifier(berEncoded: BER.parse(encoded)) })
    }

    private static func cached(encoded: ArraySlice<UInt8>, read: () throws -> SignerIdentifier) throws -> SignerIdentifier {
        try recent.value(for: encoded, read: read)
    }
}
