import Foundation
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct CMSTests {
    static let ldsContent: [UInt8] = Array(repeating: 0xA5, count: 300)

    @Test("SignedData built here verifies with openssl cms -verify", arguments: [
        (KeySpecification.ec(.p256, parameters: .namedCurve), SignedDataBuilder.SignerIdentification.subjectKeyIdentifier, nil as SignatureAlgorithm?),
        (.ec(.p384, parameters: .namedCurve), .issuerAndSerialNumber, nil),
        (.rsa(bits: 2048), .subjectKeyIdentifier, .rsaPSS(.sha256)),
        (.rsa(bits: 2048), .issuerAndSerialNumber, .rsaPKCS1v15(.sha256)),
        (.ec(.brainpoolP256r1, parameters: .explicit), .subjectKeyIdentifier, nil),
    ])
    func opensslVerifies(_ specification: KeySpecification, _ identification: SignedDataBuilder.SignerIdentification, _ algorithm: SignatureAlgorithm?) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Root signs the leaf; the leaf's key signs the CMS.
        let leafKey = try PrivateKey.generate(specification)
        let rootSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let name = try DistinguishedName(parsing: "C=UT,CN=CSCA")
        var rootExtensions = Extensions()
        try rootExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try rootExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try rootExtensions.append(SubjectKeyIdentifier(keyIdentifier: rootSigner.publicKey.keyIdentifier), critical: false)
        let root = try CertificateBuilder(issuer: name, subject: name, notBefore: Date(), notAfter: Date().addingTimeInterval(86_400 * 400),
                                          subjectPublicKeyInfo: rootSigner.publicKey.subjectPublicKeyInfo, extensions: rootExtensions)
            .sign(with: rootSigner, algorithm: algorithm)
        var leafExtensions = Extensions()
        try leafExtensions.append(KeyUsage.digitalSignature, critical: true)
        try leafExtensions.append(SubjectKeyIdentifier(keyIdentifier: leafKey.publicKey.keyIdentifier), critical: false)
        try leafExtensions.append(AuthorityKeyIdentifier(keyIdentifier: rootSigner.publicKey.keyIdentifier), critical: false)
        let leaf = try CertificateBuilder(issuer: name, subject: try DistinguishedName(parsing: "C=UT,CN=DS"), notBefore: Date(),
                                          notAfter: Date().addingTimeInterval(86_400 * 300), subjectPublicKeyInfo: leafKey.publicKey.subjectPublicKeyInfo,
                                          extensions: leafExtensions).sign(with: rootSigner, algorithm: algorithm)

        let signedData = try SignedDataBuilder(
            eContentType: .ICAO.ldsSecurityObject, content: Self.ldsContent, signerCertificate: leaf, identification: identification
        ).sign(with: SoftwareSigner(key: leafKey), algorithm: algorithm)
        let der = try signedData.contentInfoDER()
        try TestSupport.write(der, directory.appendingPathComponent("sod.cms"))
        try TestSupport.write(root.pemEncoded, directory.appendingPathComponent("root.pem"))

        let printed = try TestSupport.openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "sod.cms"], in: directory).stdout
        #expect(printed.contains("2.23.136.1.1.1"))
        #expect(printed.contains("signingTime"))
        var verify = ["cms", "-verify", "-binary", "-inform", "DER", "-in", "sod.cms", "-out", "content.bin", "-purpose", "any"]
        // OpenSSL's chain building refuses explicit EC parameters; check the signature alone there (peers.md §4.3).
        if case .ec(_, .explicit) = specification { verify += ["-noverify"] } else { verify += ["-CAfile", "root.pem"] }
        let result = try TestSupport.run("openssl", verify, currentDirectory: directory)
        #expect(result.stderr.contains("Verification successful"), "\(result.output)")
        #expect(try TestSupport.read(directory.appendingPathComponent("content.bin")) == Self.ldsContent)

        // And epki reads back what it wrote.
        let parsed = try SignedData(contentInfoBytes: der)
        #expect(parsed.version == 3)
        #expect(parsed.signerInfos.first?.version == (identification == .subjectKeyIdentifier ? 3 : 1))
        #expect(parsed.digestAlgorithms.first?.parameters == nil)
        let report = parsed.verify(signerCertificate: leaf)
        #expect(report.isValid, "\(report)")
        #expect(try parsed.contentInfoDER() == der)
    }

    @Test("signed attributes read by hand give what swift-asn1's general reader gives, and the list decodes on demand")
    func handReadSignedAttributesEqualTheGeneralReader() throws {
        let (root, _, rootSigner) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        let signingTime = Date(timeIntervalSince1970: 1_763_700_000.75)  // a fraction, which the attribute drops
        let der = try SignedDataBuilder(eContentType: .ICAO.ldsSecurityObject, content: Self.ldsContent, signerCertificate: root,
                                        identification: .issuerAndSerialNumber, signingTime: signingTime)
            .sign(with: rootSigner).contentInfoDER()
        let fast = try #require(try SignedData(contentInfoBytes: der).signerInfos.first)
        let info = try ContentInfo(berEncoded: BER.parse(der))
        let general = try #require(try SignedData(berEncoded: info.content).signerInfos.first)

        #expect(fast.contentTypeAttribute == .ICAO.ldsSecurityObject)
        #expect(fast.contentTypeAttribute == general.contentTypeAttribute)
        #expect(try fast.messageDigestAttribute.map(Array.init) == HashAlgorithm.sha256.hash(Self.ldsContent))
        #expect(fast.messageDigestAttribute.map(Array.init) == general.messageDigestAttribute.map(Array.init))
        #expect(fast.signingTime == Date(timeIntervalSince1970: 1_763_700_000))
        #expect(fast.signingTime == general.signingTime)
        #expect(fast.hasSigningTimeAttribute && general.hasSigningTimeAttribute)
        let list = try #require(fast.signedAttributes)
        #expect(list.map(\.attrType) == [.CMS.contentType, .CMS.signingTime, .CMS.messageDigest])
        #expect(list == general.signedAttributes)
        #expect(fast == general)

        // Without signed attributes nothing is claimed.
        let bare = SignerInfo(version: 1, sid: fast.sid, digestAlgorithm: fast.digestAlgorithm, signedAttributes: nil,
                              signatureAlgorithm: fast.signatureAlgorithm, signature: fast.signature)
        #expect(!bare.hasSignedAttributes && bare.contentTypeAttribute == nil && bare.signingTime == nil && !bare.hasSigningTimeAttribute)
    }

    @Test("a deferred detail is composed when read: in the text, the JSON and the Codable form; setting it writes it")
    func deferredDetailsRenderWhereverTheReportIsRead() throws {
        var report = VerificationReport(subject: "S")
        let count = 15_085
        report.add("DG2 hash", .passed, deferred: "SHA-256 of the \(count) bytes read matches")
        report.add("other", passed: false, deferred: "failed with \(count)")
        #expect(report.checks[0].detail == "SHA-256 of the 15085 bytes read matches")
        #expect(report.description.contains("[passed] DG2 hash: SHA-256 of the 15085 bytes read matches"))
        #expect(report.jsonValue.string(pretty: false).contains("\"detail\":\"failed with 15085\""))
        let decoded = try JSONDecoder().decode(VerificationReport.self, from: JSONEncoder().encode(report))
        #expect(decoded.checks.map(\.detail) == report.checks.map(\.detail))
        #expect(decoded.checks.map(\.status) == [.passed, .failed])
        report.checks[0].detail = "replaced"
        #expect(report.checks[0].detail == "replaced")
    }

    @Test("a SignerInfo changed after building is written as changed, not as the builder wrote it")
    func changedSignerInfoIsWrittenAnew() throws {
        let (root, _, rootSigner) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        var signedData = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: [1, 2, 3], signerCertificate: root,
                                               identification: .issuerAndSerialNumber).sign(with: rootSigner)
        let built = try signedData.contentInfoDER()
        #expect(try SignedData(contentInfoBytes: built).verify(signerCertificate: root).isValid)
        // The hand-written signed attributes are what swift-asn1 writes for the same values (DER SET OF order).
        var serializer = DER.Serializer()
        try serializer.serializeSetOf(signedData.signerInfos[0].signedAttributes ?? [])
        var written = Array(signedData.signerInfos[0].signedAttributesEncoded ?? [])
        written[0] = 0x31
        #expect(written == serializer.serializedBytes)
        var signature = Array(signedData.signerInfos[0].signature)
        signature[signature.count - 1] ^= 1
        signedData.signerInfos[0].signature = signature[...]
        let changed = try signedData.contentInfoDER()
        #expect(changed != built && changed.count == built.count)
        #expect(try !SignedData(contentInfoBytes: changed).verify(signerCertificate: root).isValid)
    }

    @Test("a ContentInfo in PEM (CMS or PKCS7 label, text before it) reads as its DER")
    func pemContentInfoReads() throws {
        let (root, _, rootSigner) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        let der = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: [1, 2, 3], signerCertificate: root)
            .sign(with: rootSigner).contentInfoDER()
        for label in ["CMS", "PKCS7"] {
            let pem = "made by a test\n" + PEM.encode(der, label: label)
            let read = try SignedData(contentInfoBytes: Array(pem.utf8))
            #expect(try read.contentInfoDER() == der)
            #expect(read.verify(signerCertificate: root).isValid)
        }
    }

    @Test func reportNamesWhatIsWrong() throws {
        let (root, _, rootSigner) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        var signedData = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: [1, 2, 3], signerCertificate: root)
            .sign(with: rootSigner)
        #expect(signedData.verify().isValid)  // the embedded signer certificate is found by SKI

        var tampered = signedData
        tampered.encapContentInfo.eContent = [1, 2, 4]
        let report = tampered.verify(signerCertificate: root)
        #expect(!report.isValid)
        #expect(report.check(named: "message digest")?.status == .failed)
        #expect(report.check(named: "signature")?.status == .passed)  // signed attributes are intact

        let other = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve)).root
        let wrongSigner = signedData.verify(signerCertificate: other)
        #expect(wrongSigner.check(named: "signer identifier")?.status == .failed)
        #expect(wrongSigner.check(named: "signature")?.status == .failed)

        signedData.encapContentInfo.eContentType = .ICAO.deviationList
        #expect(signedData.verify(signerCertificate: root).check(named: "content type attribute")?.status == .failed)
        #expect(try signedData.verify(signerCertificate: root).jsonString().contains("\"valid\" : false"))
    }

    @Test func signerIdentifiedWithRDNsInAnotherOrderStillMatches() throws {
        let (root, _, rootSigner) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        var signedData = try SignedDataBuilder(eContentType: .ICAO.ldsSecurityObject, content: [7], signerCertificate: root,
                                               identification: .issuerAndSerialNumber).sign(with: rootSigner)
        let reversed = DistinguishedName(root.issuer.rdns.reversed())
        signedData.signerInfos[0].sid = .issuerAndSerialNumber(issuer: reversed, serialNumber: root.serialNumber)
        let reparsed = try SignedData(contentInfoBytes: signedData.contentInfoDER())
        let report = reparsed.verify(signerCertificate: root)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "signer identifier")?.status == .passed)
    }

    @Test func streamedBERFromOpenSSLParsesAndVerifies() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-nodes",
                                 "-keyout", "ds.key", "-out", "ds.pem", "-days", "30", "-subj", "/C=UT/CN=DS streamed"], in: directory)
        try TestSupport.write(Self.ldsContent, directory.appendingPathComponent("lds.der"))
        try TestSupport.openssl(["cms", "-sign", "-stream", "-binary", "-nodetach", "-in", "lds.der", "-econtent_type", "2.23.136.1.1.1",
                                 "-md", "sha256", "-signer", "ds.pem", "-inkey", "ds.key", "-outform", "DER", "-out", "sod.ber", "-nosmimecap"], in: directory)
        let bytes = try TestSupport.read(directory.appendingPathComponent("sod.ber"))
        #expect(bytes[1] == 0x80, "openssl -stream writes indefinite lengths")
        let signedData = try SignedData(contentInfoBytes: bytes)
        #expect(signedData.encapContentInfo.eContent.map(Array.init) == Self.ldsContent)
        let certificate = try Certificate(bytes: TestSupport.read(directory.appendingPathComponent("ds.pem")))
        let report = signedData.verify(signerCertificate: certificate)
        #expect(report.isValid, "\(report)")
    }

    @Test("real EF.SOD vectors (BSI TR-03105-5, ETSI TR 103 200, RSA-PSS) verify with their DS certificates", arguments: [
        ("pymrtd/EF_SOD_BSI_TR03105-5.bin", "pymrtd/dsc_de_0142fd5cf927.cer", "pymrtd/DG1_BSI_TR03105-5.bin"),
        ("pymrtd/EF_SOD_ETSI_TR103200.bin", "pymrtd/dsc_de_0130846f2b3e.cer", "pymrtd/DG1_ETSI_TR103200.bin"),
    ])
    func realSODsVerify(_ sodPath: String, _ certificatePath: String, _ dg1Path: String) throws {
        let sod = try TestSupport.vector(sodPath)
        #expect(sod.first == 0x77)
        let signedData = try SignedData(contentInfoBytes: sod)
        let certificate = try Certificate(bytes: TestSupport.vector(certificatePath))
        #expect(signedData.encapContentInfo.eContentType == .ICAO.ldsSecurityObject)
        guard case .rsaPSS(let parameters) = try SignatureAlgorithm(algorithmIdentifier: signedData.signerInfos[0].signatureAlgorithm) else {
            Issue.record("expected RSASSA-PSS"); return
        }
        #expect(parameters.hash == .sha256 && parameters.mgf1Hash == .sha256 && parameters.saltLength == 32)
        let report = signedData.verify(signerCertificate: certificate)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "signer identifier")?.status == .passed)
        #expect(signedData.verify().isValid)  // embedded DS found by issuer and serial
        // The security object lists DG1's SHA-256: the content really is the LDS security object of this DG1.
        let dg1Hash = try HashAlgorithm.sha256.hash(TestSupport.vector(dg1Path))
        let content = Array(signedData.encapContentInfo.eContent ?? [])
        #expect(content.hexString.contains(dg1Hash.hexString))
    }

    @Test func malformedCMSIsATypedError() throws {
        let sod = try TestSupport.vector("pymrtd/EF_SOD_BSI_TR03105-5.bin")
        let cases: [([UInt8], String)] = [
            (Array(sod.prefix(200)), "CMS ContentInfo: truncatedASN1Field"),
            ([0x30, 0x03, 0x06, 0x01, 0x00], "CMS ContentInfo: invalidASN1Object: Explicitly tagged node for ASN1Node with tag number 0"),
            (Array("hello".utf8), "CMS ContentInfo: not DER or PEM: the input is text (\"hello\")"),
            ([], "CMS ContentInfo: the input is empty"),
        ]
        for (bytes, fragment) in cases {
            expectError(PKIError(.malformedEncoding, fragment), "\(bytes.count) bytes") { try SignedData(contentInfoBytes: bytes) }
        }
    }
}
