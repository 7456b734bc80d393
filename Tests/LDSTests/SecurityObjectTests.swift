import Foundation
import LDS
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct SecurityObjectTests {
    @Test func bsiReferenceSODReads() throws {
        let sod = try EFSOD(bytes: TestSupport.vector("pymrtd/EF_SOD_BSI_TR03105-5.bin"))
        let object = sod.securityObject
        #expect(object.version == 0 && object.ldsVersionInfo == nil)
        #expect(object.hash == .sha256)
        #expect(object.hashAlgorithm.parameters == .null, "the BSI object writes the digest identifier with NULL")
        #expect(object.dataGroupNumbers == [1, 2, 3, 14, 4], "order as listed, not sorted")
        #expect(object.findings.isEmpty, "\(object.findings)")
        #expect(sod.deviations.isEmpty)
        #expect(sod.signingTime == nil)
        #expect(sod.documentSignerCertificate?.serialNumberHex == "0142FD5CF927")
        let dg1 = try TestSupport.vector("pymrtd/DG1_BSI_TR03105-5.bin")
        #expect(try object.hashValue(for: 1) == HashAlgorithm.sha256.hash(dg1))
        #expect(try LDSSecurityObject(bytes: object.encode()) == object)
    }

    @Test("v0 and v1 security objects with SHA-256, SHA-384 and SHA-512", arguments: [
        (HashAlgorithm.sha256, nil as String?), (.sha384, "1.8"), (.sha512, "0108"),
    ])
    func securityObjectVersions(_ hash: HashAlgorithm, _ ldsVersion: String?) throws {
        let dataGroups = try SampleDocument.dataGroups()
        let info = try ldsVersion.map { try LDSVersionInfo(ldsVersion: $0) }
        let object = try LDSSecurityObject(hash: hash, dataGroups: dataGroups, ldsVersionInfo: info)
        #expect(object.version == (info == nil ? 0 : 1))
        #expect(object.hashAlgorithm.parameters == nil)
        #expect(object.dataGroupHashValues.map(\.hashValue.count) == [hash.digestLength, hash.digestLength])
        if let info { #expect(info.ldsVersion == "0108" && info.unicodeVersion == "040000" && info.ldsVersionDisplay == "1.8") }
        let bytes = try object.encode()
        // v0 is written by hand on the signing path: it must be the DER swift-asn1 writes.
        var serializer = DER.Serializer()
        try serializer.serialize(object)
        #expect(bytes == serializer.serializedBytes)
        let read = try LDSSecurityObject(bytes: bytes)
        #expect(read == object)
        #expect(try read.encode() == bytes)
        #expect(read.findings.isEmpty)
        // The DER, checked by an independent parser.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write(bytes, directory.appendingPathComponent("lso.der"))
        let printed = try TestSupport.openssl(["asn1parse", "-inform", "DER", "-in", "lso.der"], in: directory).stdout
        #expect(printed.contains(hash.rawValue.uppercased() == "SHA256" ? "sha256" : hash.rawValue))
        if info != nil { #expect(printed.contains("PRINTABLESTRING   :0108")) }
    }

    @Test func buildingRefusesWhatDoc9303Forbids() throws {
        let dataGroups = try SampleDocument.dataGroups()
        expectError(LDSError(.unsupported, "LDSSecurityObject: SHA-1 is not used for new security objects")) { try LDSSecurityObject(hash: .sha1, dataGroups: dataGroups) }
        expectError(LDSError(.invalidValue, "1 data group(s); at least two are required")) { try LDSSecurityObject(hash: .sha256, dataGroups: [1: dataGroups[1]!]) }
        expectError(LDSError(.invalidValue, "data group number 17 is outside 1…16")) {
            try LDSSecurityObject(hash: .sha256, dataGroups: [1: dataGroups[1]!, 17: [0x71, 0]])
        }
        expectError(LDSError(.invalidValue, "DG2 does not start with its tag 75")) {
            try LDSSecurityObject(hash: .sha256, dataGroups: [1: dataGroups[1]!, 2: dataGroups[1]!])
        }
        expectError(LDSError(.invalidValue, "ldsVersion '1.8.9' is neither 4 digits nor 2 dotted numbers")) { try LDSVersionInfo(ldsVersion: "1.8.9") }
    }

    @Test("SODs signed here verify with openssl cms -verify and come back through passive authentication", arguments: [
        (KeySpecification.ec(.p256, parameters: .namedCurve), nil as SignatureAlgorithm?, HashAlgorithm.sha256, SignedDataBuilder.SignerIdentification.issuerAndSerialNumber),
        (.ec(.brainpoolP256r1, parameters: .explicit), nil, .sha256, .subjectKeyIdentifier),
        (.ec(.p384, parameters: .namedCurve), nil, .sha384, .issuerAndSerialNumber),
        (.rsa(bits: 3072), .rsaPSS(.sha256), .sha512, .issuerAndSerialNumber),
        (.rsa(bits: 2048), .rsaPKCS1v15(.sha256), .sha256, .subjectKeyIdentifier),
    ])
    func signedSODsInteroperate(_ specification: KeySpecification, _ algorithm: SignatureAlgorithm?, _ hash: HashAlgorithm,
                                _ identification: SignedDataBuilder.SignerIdentification) throws {
        let pki = try LDSTestPKI(specification, algorithm: algorithm)
        let ds = try pki.documentSigner(algorithm: algorithm)
        let dataGroups = try SampleDocument.dataGroups()
        let signer = try SODSigner(
            signer: ds.signer, documentSigner: ds.certificate, hash: hash, signatureAlgorithm: algorithm,
            ldsVersionInfo: try LDSVersionInfo(ldsVersion: "1.8"), identification: identification, clock: FixedClock(LDSTestPKI.now))
        let sod = try signer.sign(dataGroups: dataGroups)
        let bytes = try sod.encode()
        #expect(bytes.first == 0x77)
        #expect(sod.signingTime == LDSTestPKI.now)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // OpenSSL reads a bare ContentInfo: take the 77 wrapper off with our own TLV reader.
        let contentInfo = Array(try BERTLV.parseSingle(bytes[...], what: "EF.SOD").value)
        try TestSupport.write(contentInfo, directory.appendingPathComponent("sod.cms"))
        try TestSupport.write(pki.csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        var verify = ["cms", "-verify", "-binary", "-inform", "DER", "-in", "sod.cms", "-out", "lso.der", "-purpose", "any",
                      "-attime", String(Int(LDSTestPKI.now.timeIntervalSince1970))]
        // OpenSSL's chain building refuses explicit EC parameters; check the signature alone there.
        if case .ec(_, .explicit) = specification { verify += ["-noverify"] } else { verify += ["-CAfile", "csca.pem"] }
        let result = try TestSupport.run("openssl", verify, currentDirectory: directory)
        #expect(result.stderr.contains("Verification successful"), "\(result.output)")
        #expect(try TestSupport.read(directory.appendingPathComponent("lso.der")) == sod.securityObject.encode())
        let printed = try TestSupport.openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "sod.cms"], in: directory).stdout
        #expect(printed.contains("2.23.136.1.1.1"))

        let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(LDSTestPKI.now))
        let pa = verifier.verify(sod: bytes, dataGroups: dataGroups)
        #expect(pa.isGenuine, "\(pa)")
        #expect(pa.report.check(named: "DG1 hash")?.status == .passed)
        #expect(pa.report.check(named: "DG2 hash")?.status == .passed)
        #expect(pa.report.check(named: "DS private key usage period")?.status == .passed)
        #expect(pa.issuer == pki.csca)
    }

    @Test func signerRefusesAKeyThatIsNotTheCertificatesAndSHA1() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let other = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        expectError(LDSError(.signingFailed, "SOD: the signing key is not the key of the DS certificate")) { try SODSigner(signer: other, documentSigner: ds.certificate) }
        expectError(LDSError(.unsupported, "SOD: SHA-1 is not used for new security objects")) {
            try SODSigner(signer: ds.signer, documentSigner: ds.certificate, hash: .sha1)
        }
        expectError(PKIError(.keyMismatch, "P-256 (named curve) key cannot sign rsa-pss-sha256")) {
            try SODSigner(signer: ds.signer, documentSigner: ds.certificate, signatureAlgorithm: .rsaPSS(.sha256))
        }
    }

    /// A signer that returns a damaged signature, as a failing HSM might.
    struct FaultySigner: Signer {
        let inner: SoftwareSigner
        var publicKey: PublicKey { inner.publicKey }
        var supportedAlgorithms: [SignatureAlgorithm] { inner.supportedAlgorithms }
        func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
            var signature = try inner.sign(message, algorithm: algorithm)
            signature[signature.count - 3] ^= 0x40
            return signature
        }
    }

    @Test func aFaultySignatureIsCaughtBeforeTheSODIsHandedOut() throws {
        let pki = try LDSTestPKI(.rsa(bits: 2048))
        let ds = try pki.documentSigner()
        let faulty = try SODSigner(signer: FaultySigner(inner: ds.signer), documentSigner: ds.certificate)
        do {
            _ = try faulty.sign(dataGroups: SampleDocument.dataGroups())
            Issue.record("a damaged signature was handed out")
        } catch let error as LDSError {
            #expect(error.code == .signingFailed && error.reason.contains("does not verify with the DS key"), "\(error)")
        }
        var unchecked = faulty
        unchecked.verifyAfterSigning = false
        #expect(throws: Never.self) { try unchecked.sign(dataGroups: SampleDocument.dataGroups()) }
    }

    @Test("signing from data group hashes gives the security object of the data groups, checked after signing",
          arguments: [HashAlgorithm.sha256, .sha384, .sha512])
    func signedFromDataGroupHashes(_ hash: HashAlgorithm) throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let signer = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, hash: hash, clock: FixedClock(LDSTestPKI.now))
        let dataGroups = try SampleDocument.dataGroups()
        let fromHashes = try signer.sign(dataGroupHashes: dataGroups.mapValues { try hash.hash($0) })
        let fromFiles = try signer.sign(dataGroups: dataGroups)
        #expect(try fromHashes.securityObject.encode() == fromFiles.securityObject.encode())
        let read = try EFSOD(bytes: fromHashes.encode())
        #expect(try read.securityObject.encode() == fromFiles.securityObject.encode())
        let pa = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(LDSTestPKI.now))
            .verify(sod: try fromHashes.encode(), dataGroups: dataGroups)
        #expect(pa.isGenuine, "\(pa)")

        // A hash of the wrong length, one data group only, and a hash the SOD does not carry are refused.
        var short = try dataGroups.mapValues { try hash.hash($0) }
        short[2]?.removeLast()
        expectError(LDSError(.invalidValue, "the DG2 hash has \(hash.digestLength - 1) bytes; \(hash) gives \(hash.digestLength)")) {
            try signer.sign(dataGroupHashes: short)
        }
        expectError(LDSError(.invalidValue, "1 data group(s); at least two are required")) { try signer.sign(dataGroupHashes: [1: hash.hash(dataGroups[1] ?? [])]) }
        var other = try dataGroups.mapValues { try hash.hash($0) }
        other[1]?[0] ^= 1
        expectError(LDSError(.signingFailed, "SOD does not verify after signing: the DG1 hash does not match the data group")) {
            try signer.verify(fromHashes, dataGroupHashes: other)
        }
    }

    @Test func signedWithoutSigningTimeAndReadBack() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let sod = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, includeSigningTime: false)
            .sign(dataGroups: try SampleDocument.dataGroups())
        let read = try EFSOD(bytes: sod.encode())
        #expect(read.signingTime == nil)
        #expect(read.signerInfo?.signedAttributes?.count == 2)
        #expect(read.signerInfo?.sid == .issuerAndSerialNumber(issuer: ds.certificate.issuer, serialNumber: ds.certificate.serialNumber))
    }

    @Test func batchSignsConcurrentlyInOrderAndIsolatesFailures() async throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let signer = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(LDSTestPKI.now))
        var documents: [SODBatchSigner.Document] = []
        for index in 0..<24 {
            var dataGroups = try SampleDocument.dataGroups()
            let mrz = try MRZ(fields: MRZFields(
                format: .td3, documentCode: "P", issuingState: "UTO", primaryIdentifier: "HOLDER", secondaryIdentifier: "NUMBER " + String(UnicodeScalar(UInt8(65 + index))),
                documentNumber: String(format: "X%08d", index), nationality: "UTO", dateOfBirth: "800101", sex: "F", dateOfExpiry: "300101"))
            dataGroups[1] = DG1(mrz: mrz).encode()
            if index == 5 { dataGroups[2] = [0x61, 0x00] }  // DG2 with DG1's tag: refused for this document only
            documents.append(.init(identifier: "doc-\(index)", dataGroups: dataGroups))
        }
        let batch = SODBatchSigner(sodSigner: signer, maxConcurrentTasks: 3)
        let outcomes = await batch.sign(documents)
        #expect(outcomes.map(\.identifier) == documents.map(\.identifier))
        expectError(LDSError(.invalidValue, "DG2 does not start with its tag 75")) { try outcomes[5].get() }
        let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(LDSTestPKI.now))
        for (document, outcome) in zip(documents, outcomes) where document.identifier != "doc-5" {
            let sod = try outcome.get()
            #expect(verifier.verify(sod: try sod.encode(), dataGroups: document.dataGroups).isGenuine)
        }
    }

    @Test("a batch of documents given by their data groups' hashes signs each from them, in order, one short hash refused alone")
    func batchSignsFromHashes() async throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let signer = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(LDSTestPKI.now))
        let dataGroups = try SampleDocument.dataGroups()
        let hashes = try dataGroups.mapValues { try HashAlgorithm.sha256.hash($0) }
        var documents = (0..<9).map { SODBatchSigner.Document(identifier: "doc-\($0)", dataGroupHashes: hashes) }
        documents[4].dataGroupHashes?[2] = Array(hashes[2]!.prefix(20))  // a SHA-1-sized value for SHA-256
        for workers in [1, 4] {
            let outcomes = await SODBatchSigner(sodSigner: signer, maxConcurrentTasks: workers).sign(documents)
            #expect(outcomes.map(\.identifier) == documents.map(\.identifier))
            #expect(throws: LDSError.self) { try outcomes[4].get() }
            let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(LDSTestPKI.now))
            for (index, outcome) in outcomes.enumerated() where index != 4 {
                let sod = try outcome.get()
                #expect(sod.securityObject == (try LDSSecurityObject(hash: .sha256, dataGroups: dataGroups)))
                #expect(verifier.verify(sod: try sod.encode(), dataGroups: dataGroups).isGenuine)
            }
        }
        #expect(await SODBatchSigner(sodSigner: signer).sign([]).isEmpty)
    }
}
