import Foundation
import LDS
import PKICore
import SwiftASN1

/// A small country PKI for the LDS tests: a CSCA, Document Signers with chosen dates, link certificates and CRLs,
/// built with PKICore alone (the LDS tests do not depend on the CSCA module).
struct LDSTestPKI {
    static let day: TimeInterval = 86_400
    /// 2027-09-21, a fixed "now" so that results do not depend on the day the tests run.
    static let now = Date(timeIntervalSince1970: 1_821_571_200)

    let specification: KeySpecification
    let cscaSigner: SoftwareSigner
    let csca: Certificate
    let name: DistinguishedName

    init(_ specification: KeySpecification = .ec(.p256, parameters: .namedCurve), country: String = "UT",
         algorithm: SignatureAlgorithm? = nil) throws {
        self.specification = specification
        cscaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        name = try DistinguishedName(parsing: "C=\(country),O=Utopia,CN=CSCA \(country)")
        csca = try Self.selfSigned(name: name, signer: cscaSigner, algorithm: algorithm)
    }

    /// `keyIdentifier` overrides the SKI, to make a CSCA that claims another's key identifier.
    static func selfSigned(name: DistinguishedName, signer: SoftwareSigner, algorithm: SignatureAlgorithm? = nil,
                           keyIdentifier: [UInt8]? = nil) throws -> Certificate {
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: keyIdentifier ?? signer.publicKey.keyIdentifier), critical: false)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: now.addingTimeInterval(-1000 * day), notAfter: now.addingTimeInterval(1000 * day)), critical: false)
        return try CertificateBuilder(
            issuer: name, subject: name, notBefore: now.addingTimeInterval(-1000 * day), notAfter: now.addingTimeInterval(5000 * day),
            subjectPublicKeyInfo: signer.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: signer, algorithm: algorithm)
    }

    struct DocumentSigner {
        let certificate: Certificate
        let signer: SoftwareSigner
    }

    /// A DS certificate: valid `validity` around now by default, private key usage period as given.
    func documentSigner(
        _ specification: KeySpecification? = nil, issuedBy issuerSigner: SoftwareSigner? = nil, notBefore: Date = now.addingTimeInterval(-30 * day),
        notAfter: Date = now.addingTimeInterval(3650 * day), keyUsagePeriod: (Date, Date)? = (now.addingTimeInterval(-30 * day), now.addingTimeInterval(60 * day)),
        documentTypes: [String]? = ["P"], serial: [UInt8]? = nil, algorithm: SignatureAlgorithm? = nil
    ) throws -> DocumentSigner {
        let key = try PrivateKey.generate(specification ?? self.specification)
        let issuing = issuerSigner ?? cscaSigner
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: issuing.publicKey.keyIdentifier), critical: false)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: key.publicKey.keyIdentifier), critical: false)
        if let keyUsagePeriod {
            try extensions.append(PrivateKeyUsagePeriod(notBefore: keyUsagePeriod.0, notAfter: keyUsagePeriod.1), critical: false)
        }
        if let documentTypes { try extensions.append(DocumentTypeList(documentTypes: documentTypes), critical: false) }
        let certificate = try CertificateBuilder(
            serialNumber: serial, issuer: name, subject: try DistinguishedName(parsing: "C=\(name.countryName ?? "UT"),O=Utopia,CN=DS"),
            notBefore: notBefore, notAfter: notAfter, subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: issuing, algorithm: algorithm)
        return DocumentSigner(certificate: certificate, signer: SoftwareSigner(key: key))
    }

    /// A CSCA key rollover: the new self-signed certificate and the link certificate the old key signs.
    func rollover() throws -> (newSigner: SoftwareSigner, newCSCA: Certificate, link: Certificate) {
        let newSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let newCSCA = try Self.selfSigned(name: name, signer: newSigner)
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: newSigner.publicKey.keyIdentifier), critical: false)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        let link = try CertificateBuilder(
            issuer: name, subject: name, notBefore: Self.now.addingTimeInterval(-100 * Self.day), notAfter: Self.now.addingTimeInterval(4000 * Self.day),
            subjectPublicKeyInfo: newSigner.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: cscaSigner)
        return (newSigner, newCSCA, link)
    }

    func crl(revoking serials: [[UInt8]], number: UInt64 = 1) throws -> CertificateRevocationList {
        try CRLBuilder(issuer: name, thisUpdate: Self.now.addingTimeInterval(-Self.day), nextUpdate: Self.now.addingTimeInterval(30 * Self.day),
                       authorityKeyIdentifier: cscaSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(number))
            .sign(entries: try serials.map { try RevokedCertificate(serialNumber: $0, revocationDate: Self.now.addingTimeInterval(-2 * Self.day)) },
                  with: cscaSigner)
    }
}

/// A sample document's data groups (TD3 DG1, a synthetic face in DG2, DG14 and DG15 from the vectors).
enum SampleDocument {
    static let td3Lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]

    static func dg1() throws -> [UInt8] {
        DG1(mrz: try MRZ(lines: td3Lines)).encode()
    }

    static func dg2() -> [UInt8] {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x42, count: 200) + [0xFF, 0xD9]
        let face = FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 240, height: 320, gender: 2,
                             featurePoints: [FeaturePoint(major: 12, minor: 1, x: 100, y: 120)])
        return DG2(faces: [FacialRecord(images: [face])]).encode()
    }

    static func dataGroups() throws -> [Int: [UInt8]] {
        [1: try dg1(), 2: dg2()]
    }
}
