import Foundation
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct CertificateTests {
    /// A CSCA-like self-signed certificate and a DS-like certificate under it, both with the ICAO extensions.
    static func makeChain(_ specification: KeySpecification, algorithm: SignatureAlgorithm? = nil) throws
        -> (root: Certificate, leaf: Certificate, rootSigner: SoftwareSigner)
    {
        let rootSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let leafKey = try PrivateKey.generate(specification)
        let rootName = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA Utopia,serialNumber=003")
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        var rootExtensions = Extensions()
        try rootExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try rootExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try rootExtensions.append(SubjectKeyIdentifier(keyIdentifier: rootSigner.publicKey.keyIdentifier), critical: false)
        try rootExtensions.append(PrivateKeyUsagePeriod(notBefore: now, notAfter: now.addingTimeInterval(5 * 365 * 86_400)), critical: false)
        try rootExtensions.append(NameChange(), critical: false)
        // Valid until 2060: notAfter must be encoded as GeneralizedTime.
        let root = try CertificateBuilder(
            issuer: rootName, subject: rootName, notBefore: now, notAfter: Date(timeIntervalSince1970: 2_840_000_000),
            subjectPublicKeyInfo: rootSigner.publicKey.subjectPublicKeyInfo, extensions: rootExtensions
        ).sign(with: rootSigner, algorithm: algorithm)

        var leafExtensions = Extensions()
        try leafExtensions.append(KeyUsage.digitalSignature, critical: true)
        try leafExtensions.append(AuthorityKeyIdentifier(keyIdentifier: rootSigner.publicKey.keyIdentifier), critical: false)
        try leafExtensions.append(DocumentTypeList(documentTypes: ["P", "ID", "AR"]), critical: false)
        try leafExtensions.append(SubjectAlternativeName([.directoryName(try DistinguishedName(parsing: "L=UT"))]), critical: false)
        try leafExtensions.append(CRLDistributionPoints(uris: ["https://pkd.example/UT.crl"]), critical: false)
        try leafExtensions.append(ExtendedKeyUsage([.ICAO.cscaMasterListSigningKey]), critical: true)
        let leaf = try CertificateBuilder(
            issuer: rootName, subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS 1"), notBefore: now,
            notAfter: now.addingTimeInterval(10 * 365 * 86_400), subjectPublicKeyInfo: leafKey.publicKey.subjectPublicKeyInfo,
            extensions: leafExtensions
        ).sign(with: rootSigner, algorithm: algorithm)
        return (root, leaf, rootSigner)
    }

    @Test("certificates built here are read by openssl x509 and their signatures verify", arguments: [
        (KeySpecification.ec(.brainpoolP256r1, parameters: .explicit), nil as SignatureAlgorithm?),
        (.ec(.p384, parameters: .namedCurve), nil),
        (.ec(.brainpoolP512r1, parameters: .namedCurve), .ecdsa(.sha512)),
        (.rsa(bits: 2048), .rsaPSS(.sha256)),
        (.rsa(bits: 2048), .rsaPKCS1v15(.sha384)),
    ])
    func opensslReadsAndVerifies(_ specification: KeySpecification, _ algorithm: SignatureAlgorithm?) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (root, leaf, _) = try Self.makeChain(specification, algorithm: algorithm)
        try TestSupport.write(root.pemEncoded, directory.appendingPathComponent("root.pem"))
        try TestSupport.write(leaf.derEncoded, directory.appendingPathComponent("leaf.der"))

        let text = try TestSupport.openssl(["x509", "-in", "leaf.der", "-inform", "DER", "-noout", "-text"], in: directory).stdout
        #expect(text.contains("Digital Signature"))
        #expect(text.contains("2.23.136.1.1.6.2"))
        #expect(text.contains("URI:https://pkd.example/UT.crl"))
        #expect(text.contains("DirName:/L=UT"))
        let rootText = try TestSupport.openssl(["x509", "-in", "root.pem", "-noout", "-text"], in: directory).stdout
        #expect(rootText.contains("CA:TRUE, pathlen:0"))
        #expect(rootText.contains("Private Key Usage Period"))
        #expect(rootText.contains("Not After : Dec 30"))  // 2059-12-30, a GeneralizedTime
        if case .rsaPSS = algorithm { #expect(text.contains("rsassaPss")) }

        // OpenSSL checks the self-signature and the issuer signature. Chain building refuses explicit EC
        // parameters (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS), so those are checked via the key with `dgst`.
        if case .ec(_, .explicit) = specification {
            try Self.verifyIssuerSignatureWithDgst(leaf: leaf, issuer: root, in: directory)
        } else {
            let verified = try TestSupport.run("openssl", ["verify", "-CAfile", "root.pem", "-partial_chain", "-purpose", "any", "root.pem"], currentDirectory: directory)
            #expect(verified.stdout.contains("OK"), "\(verified.output)")
            try TestSupport.openssl(["x509", "-in", "leaf.der", "-inform", "DER", "-out", "leaf.pem"], in: directory)
            let chain = try TestSupport.run("openssl", ["verify", "-CAfile", "root.pem", "-purpose", "any", "-ignore_critical", "leaf.pem"], currentDirectory: directory)
            #expect(chain.stdout.contains("leaf.pem: OK"), "\(chain.output)")
        }
        #expect(try leaf.isSignatureValid(issuerKey: root.publicKey))
        #expect(try root.isSignatureValid(issuerKey: root.publicKey))
        #expect(try !leaf.isSignatureValid(issuerKey: leaf.publicKey))
        #expect(leaf.mayBeIssued(by: root))
        #expect(leaf.encodingDeviations.isEmpty, "\(leaf.encodingDeviations)")
    }

    /// peers.md §4.3: cut TBS and signature out, let `openssl dgst` check them with the issuer's public key.
    static func verifyIssuerSignatureWithDgst(leaf: Certificate, issuer: Certificate, in directory: URL) throws {
        let result = try TestSupport.opensslDgstVerify(
            data: Array(leaf.tbsBytes), signature: Array(leaf.signatureValue.bytes),
            publicKeyPEM: PEM.encode(try issuer.publicKey.derEncoded, label: "PUBLIC KEY"),
            hash: try leaf.signatureAlgorithmValue.hash.rawValue, in: directory)
        #expect(result.stdout.contains("Verified OK"), "\(result.output)")
    }

    @Test func encodingRoundTripsAndFollowsTheProfile() throws {
        let (root, leaf, _) = try Self.makeChain(.ec(.brainpoolP256r1, parameters: .explicit))
        for certificate in [root, leaf] {
            // Read back from DER and from PEM, then serialized again from the parsed fields (Certificate's == and
            // serialize(into:) use the bytes received, so only a re-encoding tells whether the fields round-trip).
            for reparsed in [try Certificate(bytes: certificate.derEncoded), try Certificate(bytes: Array(certificate.pemEncoded.utf8))] {
                var serializer = DER.Serializer()
                try serializer.serialize(reparsed.tbsCertificate)
                #expect(serializer.serializedBytes[...] == certificate.tbsBytes)
                var whole = DER.Serializer()
                try whole.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(reparsed.tbsCertificate)
                    try coder.serialize(reparsed.signatureAlgorithm)
                    try coder.serialize(reparsed.signatureValue)
                }
                #expect(whole.serializedBytes == certificate.derEncoded)
            }
            // Profile details: PrintableString country, positive 16-octet serial, notBefore as UTCTime.
            #expect(certificate.subject.attributes.first?.isPrintableString == true)
            #expect(certificate.serialNumber.count == 16 && certificate.serialNumber.first! & 0x80 == 0)
            if case .utcTime = certificate.tbsCertificate.validity.notBefore {} else { Issue.record("notBefore should be UTCTime") }
        }
        if case .generalTime = root.tbsCertificate.validity.notAfter {} else { Issue.record("2060 must be GeneralizedTime") }
        #expect(try leaf.extensions.value(DocumentTypeList.self)?.documentTypes.sorted() == ["AR", "ID", "P"])
        #expect(leaf.documentTypeList?.allows(documentCode: "P<") == true)
        #expect(leaf.documentTypeList?.allows(documentCode: "V<") == false)
        #expect(root.keyUsage == [.keyCertSign, .cRLSign])
        #expect(root.basicConstraints == BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0))
        #expect(try root.extensions.value(NameChange.self) != nil)
        #expect(root.extensions[NameChange.oid]?.value == [0x05, 0x00])
        // KeyUsage keyCertSign+cRLSign is the named-bit-list DER 03 02 01 06.
        #expect(root.extensions[KeyUsage.oid]?.value == [0x03, 0x02, 0x01, 0x06])
        #expect(leaf.extensions[KeyUsage.oid]?.value == [0x03, 0x02, 0x07, 0x80])
        #expect(leaf.extendedKeyUsage?.purposes == [.ICAO.cscaMasterListSigningKey])
    }

    @Test func explicitAndNamedEncodingsOfOneKeyAreTheSameKey() throws {
        let key = try PrivateKey.generate(.ec(.brainpoolP384r1, parameters: .namedCurve))
        let explicit = try PublicKey(subjectPublicKeyInfo: key.publicKey.encoded(ecParameters: .explicit))
        #expect(explicit.kind == .ec(curve: .brainpoolP384r1, explicitParameters: true))
        #expect(explicit.isSameKey(as: key.publicKey))
        let signature = try SoftwareSigner(key: key).sign([9, 9], algorithm: .ecdsa(.sha384))
        #expect(try explicit.isValidSignature(signature, for: [9, 9], algorithm: .ecdsa(.sha384)))
    }

    @Test func realCertificateWithExplicitParametersParses() throws {
        let csca = try Certificate(bytes: TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer"))
        #expect(csca.subject.countryName == "CR")
        let key = try csca.publicKey
        #expect(key.subjectPublicKeyInfo.ecDomain?.isExplicit == true)
        #expect(key.curve == .brainpoolP384r1)  // the prime 8CB91E82… is brainpoolP384r1's
        #expect(try csca.isSignatureValid(issuerKey: key))
        #expect(csca.subjectKeyIdentifier?.hexString.hasPrefix("A491897D") == true)
    }

    /// Bad input gives a typed error naming the structure, never a crash.
    @Test func malformedCertificatesAreTypedErrors() throws {
        let good = try TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer")
        var cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated", Array(good.prefix(good.count / 2))),
            ("wrong outer tag", [0x31] + good.dropFirst()),
            ("length past the end", [0x30, 0x82, 0x7F, 0xFF] + good.dropFirst(4)),
            ("length claiming gigabytes", [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xF0] + good.dropFirst(4)),
            ("garbage", Array("not a certificate at all".utf8)),
            ("bad PEM", Array("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n".utf8)),
        ]
        var wrongInner = good
        wrongInner[4] = 0x31  // the TBSCertificate SEQUENCE becomes a SET
        cases.append(("wrong inner tag", wrongInner))
        for (label, bytes) in cases {
            do {
                _ = try Certificate(bytes: bytes)
                Issue.record("\(label): parsed although malformed")
            } catch let error as PKIError {
                #expect(error.code == .malformedEncoding, "\(label): \(error)")
                #expect(error.reason.contains("X.509 certificate") || error.reason.contains("PEM"), "\(label): \(error.reason)")
            }
        }
    }

    @Test func distinguishedNamesMatchAcrossEncodingsAndOrder() throws {
        let a = try DistinguishedName(parsing: "C=DE,O=bund,OU=bsi,CN=csca-germany")
        let b = try DistinguishedName(parsing: "CN=CSCA-Germany, OU=BSI, O=Bund, C=DE")
        #expect(a.isEquivalent(to: b))
        #expect(!a.isEquivalent(to: try DistinguishedName(parsing: "C=DE,O=bund,CN=other")))
        #expect(a.description == "C=DE, O=bund, OU=bsi, CN=csca-germany")
        #expect(throws: PKIError.self) { try DistinguishedName(parsing: "C=germany") }
        #expect(throws: PKIError.self) { try DistinguishedName(parsing: "XYZ=1") }
    }

    @Test func timesFollowThe2050Rule() throws {
        let before = try Time(Date(timeIntervalSince1970: 2_524_607_999))  // 2049-12-31T23:59:59Z
        let after = try Time(Date(timeIntervalSince1970: 2_524_608_000))   // 2050-01-01T00:00:00Z
        if case .utcTime = before {} else { Issue.record("2049 must be UTCTime") }
        if case .generalTime = after {} else { Issue.record("2050 must be GeneralizedTime") }
        #expect(before.description == "2049-12-31T23:59:59Z")
        #expect(after.description == "2050-01-01T00:00:00Z")
        #expect(after.date.timeIntervalSince1970 == 2_524_608_000)
    }

    @Test("times written digit by digit equal swift-asn1's DER and Foundation's ISO 8601, across both encodings")
    func handWrittenTimesMatchTheReferences() throws {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Deterministic spread over 1950…2149: leap days, month and year ends, both sides of 2050.
        var seconds: Int64 = -631_152_000  // 1950-01-01
        var probes: [Date] = [Date(timeIntervalSince1970: 951_782_400), Date(timeIntervalSince1970: 2_524_607_999),
                              Date(timeIntervalSince1970: 2_524_608_000), Date(timeIntervalSince1970: 4_107_542_399)]
        while seconds < 5_680_281_600 {  // 2150-01-01
            probes.append(Date(timeIntervalSince1970: TimeInterval(seconds)))
            seconds += 7_654_321
        }
        for date in probes {
            let time = try Time(date)
            var serializer = DER.Serializer()
            try serializer.serialize(time)
            #expect(try time.derEncoding == serializer.serializedBytes, "\(date)")
            #expect(Time.iso8601(date) == formatter.string(from: date), "\(date)")
            #expect(try Time(derEncoded: time.derEncoding).date == date, "\(date)")
        }
    }
}
