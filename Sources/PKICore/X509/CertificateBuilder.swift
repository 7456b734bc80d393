import Foundation
import SwiftASN1

/// Builds and signs a v3 certificate; every byte is encoded here, the signer only signs the TBS.
public struct CertificateBuilder: Sendable {
    public var serialNumber: [UInt8]
    public var issuer: DistinguishedName
    public var subject: DistinguishedName
    public var notBefore: Date
    public var notAfter: Date
    public var subjectPublicKeyInfo: SubjectPublicKeyInfo
    public var extensions: Extensions

    public init(
        serialNumber: [UInt8]? = nil, issuer: DistinguishedName, subject: DistinguishedName, notBefore: Date,
        notAfter: Date, subjectPublicKeyInfo: SubjectPublicKeyInfo, extensions: Extensions = Extensions()
    ) throws {
        self.serialNumber = try serialNumber ?? Self.randomSerialNumber()
        self.issuer = issuer
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectPublicKeyInfo = subjectPublicKeyInfo
        self.extensions = extensions
    }

    /// 16 random octets with the top bit cleared: positive, at most 20 octets, more than 64 random bits
    /// (Doc 9303-12 Table 5; CA/B practice).
    public static func randomSerialNumber() throws -> [UInt8] {
        var bytes = try OpenSSL.randomBytes(16)
        bytes[0] = (bytes[0] & 0x7F) | 0x40  // positive and exactly 16 octets long
        return bytes
    }

    public func sign(with signer: some Signer, algorithm: SignatureAlgorithm? = nil) throws -> Certificate {
        let algorithm = algorithm ?? signer.defaultAlgorithm
        guard serialNumber.first.map({ $0 & 0x80 == 0 && $0 != 0 }) ?? false, serialNumber.count <= 20 else {
            throw PKIError.invalid("serialNumber", "must be positive, minimally encoded and at most 20 octets")
        }
        guard notBefore <= notAfter else {
            throw PKIError.invalid("validity", "notBefore \(Time.iso8601(notBefore)) is after notAfter \(Time.iso8601(notAfter))")
        }
        let algorithmIdentifier = try algorithm.algorithmIdentifier
        let tbs = TBSCertificate(
            serialNumber: serialNumber[...], signature: algorithmIdentifier, issuer: issuer,
            validity: try Validity(notBefore: notBefore, notAfter: notAfter), subject: subject,
            subjectPublicKeyInfo: subjectPublicKeyInfo, extensions: extensions)
        var serializer = DER.Serializer()
        try serializer.serialize(tbs)
        let signature = try signer.sign(serializer.serializedBytes, algorithm: algorithm)
        return try Certificate(tbsCertificate: tbs, signatureAlgorithm: algorithmIdentifier, signature: signature)
    }
}
