import Foundation
import SwiftASN1
import Synchronization

/// Builds CMS SignedData over any eContentType — LDS security object (2.23.136.1.1.1), master list
/// (2.23.136.1.1.2), deviation list (2.23.136.1.1.7) — with the signed attributes ICAO asks for:
/// contentType, messageDigest and signingTime.
public struct SignedDataBuilder: Sendable {
    public enum SignerIdentification: Sendable {
        case subjectKeyIdentifier
        case issuerAndSerialNumber
    }

    public var eContentType: ASN1ObjectIdentifier
    public var content: [UInt8]
    public var signerCertificate: Certificate
    /// The digest of content and signed attributes; nil takes the signature algorithm's hash (CMS signs the
    /// attributes with the digestAlgorithm, so the two must agree).
    public var digest: HashAlgorithm?
    public var identification: SignerIdentification
    public var signingTime: Date?
    /// Certificates to embed; the signer's is always embedded.
    public var additionalCertificates: [Certificate]

    public init(
        eContentType: ASN1ObjectIdentifier, content: [UInt8], signerCertificate: Certificate, digest: HashAlgorithm? = nil,
        identification: SignerIdentification = .subjectKeyIdentifier, signingTime: Date? = Date(),
        additionalCertificates: [Certificate] = []
    ) {
        self.eContentType = eContentType
        self.content = content
        self.signerCertificate = signerCertificate
        self.digest = digest
        self.identification = identification
        self.signingTime = signingTime
        self.additionalCertificates = additionalCertificates
    }

    public func sign(with signer: some Signer, algorithm: SignatureAlgorithm? = nil) throws -> SignedData {
        let algorithm = try Self.algorithm(algorithm, digest: digest, signer: signer)
        let digest = algorithm.hash
        guard digest.isAllowedForSigning else { throw PKIError(.unsupportedAlgorithm, "SHA-1 is not used for new signatures") }
        // Compare the key bits directly: building a PublicKey from the certificate would cost an OpenSSL decode.
        guard signerCertificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey == signer.publicKey.subjectPublicKeyInfo.subjectPublicKey else {
            throw PKIError(.keyMismatch, "the signer's key is not the key of \(signerCertificate.subject)")
        }
        let sid: SignerIdentifier
        switch identification {
        case .subjectKeyIdentifier:
            sid = .subjectKeyIdentifier(signerCertificate.subjectKeyIdentifier ?? signerCertificate.publicKeyIdentifierCandidates[0])
        case .issuerAndSerialNumber:
            sid = .issuerAndSerialNumber(issuer: signerCertificate.issuer, serialNumber: signerCertificate.serialNumber)
        }
        // RFC 5754: SHA-2 digest identifiers are written without parameters (Doc 9303 follows).
        let digestAlgorithm = AlgorithmIdentifier(algorithm: digest.oid)
        let contentDigest = try digest.hash(content)
        // The attributes as written, seconds only (what a reader of the DER gets back).
        let signedTime = try signingTime.map { try Time($0).date }
        let signedBytes = try Self.signedAttributes(eContentType: eContentType, digest: contentDigest, signingTime: signedTime)
        let signature = try signer.sign(signedBytes, algorithm: algorithm)

        var signedAttributesField = signedBytes
        signedAttributesField[0] = 0xA0  // the same SET, under its [0] IMPLICIT tag
        let signatureAlgorithm = try algorithm.algorithmIdentifier
        var known = KnownAttributes()
        known.contentType = eContentType
        known.messageDigest = contentDigest[...]
        known.signingTime = signedTime
        known.hasSigningTime = signedTime != nil
        let signerInfo = SignerInfo(
            version: identification == .subjectKeyIdentifier ? 3 : 1, sid: sid, digestAlgorithm: digestAlgorithm,
            signedAttributesField: signedAttributesField[...], known: known, signatureAlgorithm: signatureAlgorithm, signature: signature[...])
        var certificates = [signerCertificate]
        for extra in additionalCertificates where !certificates.contains(extra) { certificates.append(extra) }
        // Version 3: eContentType is not id-data, or the signer is named by SKI (RFC 5652 §5.1).
        let version = eContentType != .CMS.data || identification == .subjectKeyIdentifier ? 3 : 1
        var signedData = SignedData(
            version: version, digestAlgorithms: [digestAlgorithm],
            encapContentInfo: EncapsulatedContentInfo(eContentType: eContentType, eContent: content[...]),
            certificates: certificates, signerInfos: [signerInfo])
        let sidDER = try (identification == .issuerAndSerialNumber ? signerCertificate.issuerAndSerialNumberDER : nil) ?? Self.signerIdentifierDER(sid)
        signedData.signerInfosDER = DERLength.wrap(0x31, try Self.signerInfoDER(signerInfo, sid: sidDER, signedAttributesField: signedAttributesField))
        return signedData
    }

    /// contentType, messageDigest and signingTime in DER as the signature covers them (a SET OF, ordered by
    /// encoding), written by hand into one buffer: a personalization line writes them for every passport.
    static func signedAttributes(eContentType: ASN1ObjectIdentifier, digest: [UInt8], signingTime: Date?) throws -> [UInt8] {
        let type = try ObjectIdentifierCache.encoding(of: eContentType)
        // Attribute ::= SEQUENCE { OID, SET { value } }, each value's TLV written by `value`.
        func attribute(_ oid: [UInt8], valueLength: Int, _ value: (inout [UInt8]) -> Void) -> [UInt8] {
            let set = DERLength.headerLength(valueLength) + valueLength  // the SET's whole TLV
            let sequenceLength = oid.count + set
            var out: [UInt8] = []
            out.reserveCapacity(DERLength.headerLength(sequenceLength) + sequenceLength)
            out.append(0x30)
            DERLength.append(sequenceLength, to: &out)
            out += oid
            out.append(0x31)
            DERLength.append(valueLength, to: &out)
            value(&out)
            return out
        }
        var encodings: [[UInt8]] = []
        encodings.reserveCapacity(3)
        encodings.append(attribute(Self.contentTypeOID, valueLength: type.count) { $0 += type })
        let digestTLV = DERLength.headerLength(digest.count) + digest.count
        encodings.append(attribute(Self.messageDigestOID, valueLength: digestTLV) { out in
            out.append(0x04)
            DERLength.append(digest.count, to: &out)
            out += digest
        })
        if let signingTime {
            let time = try Time(signingTime).derEncoding
            encodings.append(attribute(Self.signingTimeOID, valueLength: time.count) { $0 += time })
        }
        encodings.sort { $0.lexicographicallyPrecedes($1) }
        let total = encodings.reduce(0) { $0 + $1.count }
        var out: [UInt8] = []
        out.reserveCapacity(DERLength.headerLength(total) + total)
        out.append(0x31)
        DERLength.append(total, to: &out)
        for encoding in encodings { out += encoding }
        return out
    }

    // 1.2.840.113549.1.9.3, .4 and .5 in DER.
    static let contentTypeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03]
    static let messageDigestOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04]
    static let signingTimeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05]

    /// The SignerInfo in DER, written by hand: a personalization line writes one per passport, and swift-asn1
    /// would serialize the issuer's name again each time. For issuerAndSerialNumber the issuer and serial are
    /// copied from the signer's certificate as it is encoded, which is what verifiers compare against.
    static func signerInfoDER(_ info: SignerInfo, sid: [UInt8], signedAttributesField: [UInt8]) throws -> [UInt8] {
        var body: [UInt8] = [0x02, 0x01, UInt8(info.version)]
        body += sid
        body += try info.digestAlgorithm.derEncoding
        body += signedAttributesField
        body += try info.signatureAlgorithm.derEncoding
        body += DERLength.wrap(0x04, Array(info.signature))
        return DERLength.wrap(0x30, body)
    }

    private static func signerIdentifierDER(_ sid: SignerIdentifier) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(sid)
        return serializer.serializedBytes
    }

    private static func algorithm(_ requested: SignatureAlgorithm?, digest: HashAlgorithm?, signer: some Signer) throws -> SignatureAlgorithm {
        if let requested {
            if let digest, digest != requested.hash {
                throw PKIError(.invalidValue, "CMS: digest \(digest) differs from the hash of \(requested)")
            }
            return requested
        }
        guard let digest else { return signer.defaultAlgorithm }
        switch signer.defaultAlgorithm {
        case .ecdsa: return .ecdsa(digest)
        case .rsaPKCS1v15: return .rsaPKCS1v15(digest)
        case .rsaPSS: return .rsaPSS(digest)
        }
    }
}
