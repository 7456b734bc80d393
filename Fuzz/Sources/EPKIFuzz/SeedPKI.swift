import Foundation
import ICAOProfile
import LDS
import PKICore
import SwiftASN1

/// A small country PKI made fresh for the generated seeds: a CSCA, a Document Signer, a master list signer and a
/// deviation list signer, built with PKICore as the CSCA service would. The seeds are valid objects of every kind the
/// harnesses read, so that the fuzzer starts inside the parsers rather than at their first tag check.
struct SeedPKI: Sendable {
    static let day: TimeInterval = 86_400
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    let cscaSigner: SoftwareSigner
    let csca: Certificate
    let name: DistinguishedName
    let documentSigner: Certificate
    let documentSignerKey: SoftwareSigner

    init(_ specification: KeySpecification = .ec(.p256, parameters: .namedCurve)) throws {
        cscaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        name = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: Self.now, notAfter: Self.now.addingTimeInterval(1000 * Self.day)), critical: false)
        csca = try CertificateBuilder(
            issuer: name, subject: name, notBefore: Self.now, notAfter: Self.now.addingTimeInterval(5000 * Self.day),
            subjectPublicKeyInfo: cscaSigner.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: cscaSigner)
        (documentSigner, documentSignerKey) = try Self.issue(
            "C=UT,O=Utopia,CN=DS", by: cscaSigner, issuer: name, keyUsage: .digitalSignature, purposes: nil, documentTypes: ["P"])
    }

    /// An end-entity certificate under the CSCA: DS, master list signer, deviation list signer.
    static func issue(_ subject: String, by issuerSigner: SoftwareSigner, issuer: DistinguishedName, keyUsage: KeyUsage,
                      purposes: [ASN1ObjectIdentifier]?, documentTypes: [String]?) throws -> (Certificate, SoftwareSigner) {
        let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        var extensions = Extensions()
        try extensions.append(keyUsage, critical: true)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: issuerSigner.publicKey.keyIdentifier), critical: false)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: key.publicKey.keyIdentifier), critical: false)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: now, notAfter: now.addingTimeInterval(90 * day)), critical: false)
        if let purposes { try extensions.append(ExtendedKeyUsage(purposes), critical: true) }
        if let documentTypes { try extensions.append(DocumentTypeList(documentTypes: documentTypes), critical: false) }
        let certificate = try CertificateBuilder(
            issuer: issuer, subject: try DistinguishedName(parsing: subject), notBefore: now, notAfter: now.addingTimeInterval(3650 * day),
            subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: issuerSigner)
        return (certificate, key)
    }

    func crl(entries: Int) throws -> CertificateRevocationList {
        let revoked = try (0..<entries).map { index in
            try RevokedCertificate(serialNumber: [0x01, UInt8(index & 0xFF), 0x5A], revocationDate: Self.now.addingTimeInterval(Double(index) * 60))
        }
        return try CRLBuilder(issuer: name, thisUpdate: Self.now, nextUpdate: Self.now.addingTimeInterval(30 * Self.day),
                              authorityKeyIdentifier: cscaSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(7))
            .sign(entries: revoked, with: cscaSigner)
    }

    func sod(dataGroups: [Int: [UInt8]]) throws -> EFSOD {
        try SODSigner(signer: documentSignerKey, documentSigner: documentSigner).sign(dataGroups: dataGroups)
    }

    /// A master list of the CSCA (and one more) signed by a master list signer, as ContentInfo DER.
    func masterList() throws -> [UInt8] {
        let (signer, key) = try Self.issue("C=UT,O=Utopia,CN=MLS", by: cscaSigner, issuer: name, keyUsage: .digitalSignature,
                                           purposes: [.ICAO.cscaMasterListSigningKey], documentTypes: nil)
        let other = try SeedPKI()
        let list = CscaMasterList(certificates: [csca, other.csca])
        return try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: try list.derEncoded, signerCertificate: signer,
                                     signingTime: Self.now, additionalCertificates: [csca])
            .sign(with: key).contentInfoDER()
    }

    /// A deviation list with two deviations, signed by a deviation list signer, as ContentInfo DER and as bare content.
    func deviationList() throws -> (signed: [UInt8], content: [UInt8]) {
        let (signer, key) = try Self.issue("C=UT,O=Utopia,CN=DLS", by: cscaSigner, issuer: name, keyUsage: .digitalSignature,
                                           purposes: [.ICAO.deviationListSigningKey], documentTypes: nil)
        let list = DeviationList(deviations: [
            .init(documentType: "PP", documentSignerKeyIdentifier: try documentSignerKey.publicKey.keyIdentifier.hexString,
                  firstIssued: Self.now, lastIssued: Self.now.addingTimeInterval(Self.day), documentNumbers: ["L898902C3", "X12345678"],
                  descriptions: [.init(deviationType: "2.23.136.1.1.7.2.2", description: "DG2 hash wrong")]),
            .init(documentType: "ID", descriptions: [.init(deviationType: "2.23.136.1.1.7.3.2")]),
        ])
        let content = try list.derEncoded()
        let signed = try SignedDataBuilder(eContentType: .ICAO.deviationList, content: content, signerCertificate: signer, signingTime: Self.now)
            .sign(with: key).contentInfoDER()
        return (signed, content)
    }

    func certificationRequest() throws -> [UInt8] {
        let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        return try CertificationRequest.make(subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS 2"), signer: key).encoded
    }
}

/// A sample document's data groups, made with the LDS types.
enum SeedDocument {
    static let td3Lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    static let td1Lines = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]

    static func dg1() throws -> [UInt8] { DG1(mrz: try MRZ(lines: td3Lines)).encode() }
    static func dg1TD1() throws -> [UInt8] { DG1(mrz: try MRZ(lines: td1Lines)).encode() }

    static func dg2() -> [UInt8] {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x42, count: 40) + [0xFF, 0xD9]
        let face = FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 240, height: 320, gender: 2,
                             featurePoints: [FeaturePoint(major: 12, minor: 1, x: 100, y: 120)])
        return DG2(faces: [FacialRecord(images: [face])]).encode()
    }

    static func dg3() -> [UInt8] {
        let finger = FingerImage(position: 1, width: 16, height: 16, imageData: Array(repeating: 0x33, count: 32))
        return DG3(fingers: [FingerImageRecord(fingers: [finger], compressionAlgorithm: 2)]).encode()
    }

    static func dg11() -> [UInt8] {
        var dg11 = DG11()
        dg11.setBytes(.fullName, Array("ERIKSSON<<ANNA<MARIA".utf8))
        dg11.setBytes(.placeOfBirth, Array("ZENITH".utf8))
        return dg11.encode()
    }

    static func dg12() -> [UInt8] {
        var dg12 = DG12()
        dg12.setBytes(.issuingAuthority, Array("UTOPIA".utf8))
        dg12.setBytes(.dateOfIssue, Array("20250101".utf8))
        return dg12.encode()
    }

    static func com() throws -> [UInt8] {
        try EFCOM(dataGroups: [1, 2, 3, 11, 12, 14, 15].compactMap { DataGroupNumber($0) }).encode()
    }
}
