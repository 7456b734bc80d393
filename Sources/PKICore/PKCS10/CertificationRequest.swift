import SwiftASN1

/// A PKCS#10 certificate request (RFC 2986), as a personalization site sends it for a Document Signer.
///
/// ```
/// CertificationRequest ::= SEQUENCE {
///     certificationRequestInfo  CertificationRequestInfo,
///     signatureAlgorithm        AlgorithmIdentifier,
///     signature                 BIT STRING }
/// CertificationRequestInfo ::= SEQUENCE {
///     version        INTEGER { v1(0) },
///     subject        Name,
///     subjectPKInfo  SubjectPublicKeyInfo,
///     attributes     [0] IMPLICIT SET OF Attribute }
/// ```
/// The signature proves possession of the key; it is checked over the info bytes as received.
public struct CertificationRequest: Hashable, Sendable {
    public let version: Int
    public let subject: DistinguishedName
    public let subjectPublicKeyInfo: SubjectPublicKeyInfo
    /// The attributes as encoded (extension requests are not honoured: the CSCA's profile decides extensions).
    public let attributes: ASN1Node?
    public let signatureAlgorithm: AlgorithmIdentifier
    public let signature: ASN1BitString
    public let infoBytes: ArraySlice<UInt8>
    public let encoded: [UInt8]

    /// Reads a request from DER or PEM (`CERTIFICATE REQUEST`).
    public init(bytes input: [UInt8]) throws {
        let der = try PEM.decodeIfPEM(input, label: "CERTIFICATE REQUEST")
        try OuterSequence.check(der, what: "PKCS#10 request")
        let parsed = try PKIError.decoding("PKCS#10 request") { () -> (ASN1Node, Int, DistinguishedName, SubjectPublicKeyInfo, ASN1Node?, AlgorithmIdentifier, ASN1BitString) in
            let node = try BER.parse(der)
            return try BER.sequence(node, identifier: .sequence) { nodes in
                guard let info = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
                let (version, subject, spki, attributes) = try BER.sequence(info, identifier: .sequence) { fields in
                    (try Int(berEncoded: &fields), try DistinguishedName(berEncoded: &fields),
                     try SubjectPublicKeyInfo(berEncoded: &fields), fields.next())
                }
                return (info, version, subject, spki, attributes, try AlgorithmIdentifier(berEncoded: &nodes), try ASN1BitString(berEncoded: &nodes))
            }
        }
        self.infoBytes = parsed.0.encodedBytes
        self.version = parsed.1
        self.subject = parsed.2
        self.subjectPublicKeyInfo = parsed.3
        self.attributes = parsed.4
        self.signatureAlgorithm = parsed.5
        self.signature = parsed.6
        self.encoded = der
    }

    public var publicKey: PublicKey {
        get throws { try PublicKey(subjectPublicKeyInfo: subjectPublicKeyInfo) }
    }

    /// Whether the request is signed by the key it carries.
    public func isSignatureValid() throws -> Bool {
        let algorithm = try SignatureAlgorithm(algorithmIdentifier: signatureAlgorithm)
        guard signature.paddingBits == 0 else { return false }
        return try publicKey.isValidSignature(signature.bytes, for: infoBytes, algorithm: algorithm)
    }

    public var pemEncoded: String { PEM.encode(encoded, label: "CERTIFICATE REQUEST") }

    /// Builds and signs a request for the signer's key.
    public static func make(subject: DistinguishedName, signer: some Signer, algorithm: SignatureAlgorithm? = nil,
                            ecParameters: ECParameterEncoding = .namedCurve) throws -> CertificationRequest {
        let algorithm = algorithm ?? signer.defaultAlgorithm
        var info = DER.Serializer()
        try info.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            try coder.serialize(subject)
            try coder.serialize(signer.publicKey.encoded(ecParameters: ecParameters))
            coder.appendConstructedNode(identifier: .init(tagWithNumber: 0, tagClass: .contextSpecific)) { _ in }
        }
        let signature = try signer.sign(info.serializedBytes, algorithm: algorithm)
        var request = DER.Serializer()
        try request.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(info.serializedBytes)
            try coder.serialize(algorithm.algorithmIdentifier)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        return try CertificationRequest(bytes: request.serializedBytes)
    }
}
