import Foundation
import LDS
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct PassiveAuthenticationTests {
    typealias Check = PassiveAuthentication.Check
    static let day = LDSTestPKI.day
    static let now = LDSTestPKI.now

    // MARK: - The public reference SODs

    struct ReferenceSOD: Sendable, CustomStringConvertible {
        let sod: String
        let ds: String
        let dataGroups: [Int: String]
        let listed: [Int]
        let signedOn: Date
        var description: String { sod }
    }

    static let references = [
        ReferenceSOD(sod: "pymrtd/EF_SOD_BSI_TR03105-5.bin", ds: "pymrtd/dsc_de_0142fd5cf927.cer",
                     dataGroups: [1: "pymrtd/DG1_BSI_TR03105-5.bin", 14: "pymrtd/DG14_BSI_TR03105-5.bin"],
                     listed: [1, 2, 3, 4, 14], signedOn: Date(timeIntervalSince1970: 1_400_000_000)),  // 2014-05-13
        ReferenceSOD(sod: "pymrtd/EF_SOD_ETSI_TR103200.bin", ds: "pymrtd/dsc_de_0130846f2b3e.cer",
                     dataGroups: [1: "pymrtd/DG1_ETSI_TR103200.bin", 14: "pymrtd/DG14_ETSI_TR103200.bin", 15: "pymrtd/DG15_ETSI_TR103200.bin"],
                     listed: [1, 2, 3, 4, 14, 15], signedOn: Date(timeIntervalSince1970: 1_320_000_000)),  // 2011-10-30
    ]

    static func read(_ reference: ReferenceSOD) throws -> (sod: [UInt8], ds: Certificate, dataGroups: [Int: [UInt8]]) {
        var dataGroups: [Int: [UInt8]] = [:]
        for (number, path) in reference.dataGroups { dataGroups[number] = try TestSupport.vector(path) }
        return (try TestSupport.vector(reference.sod), try Certificate(bytes: TestSupport.vector(reference.ds)), dataGroups)
    }

    @Test("BSI TR-03105-5 and ETSI TR 103 200 SODs verify with their DS certificates; the chain is not checked", arguments: references)
    func referenceSODsVerifyWithoutTheirCSCA(_ reference: ReferenceSOD) throws {
        let (sod, ds, dataGroups) = try Self.read(reference)
        let verifier = PassiveAuthentication(trustSource: nil, clock: FixedClock(reference.signedOn))
        for given in [nil, ds] {
            let result = verifier.verify(sod: sod, dataGroups: dataGroups, documentSigner: given)
            let report = result.report
            #expect(result.documentSigner == ds)
            #expect(report.check(named: Check.cmsSignature)?.status == .passed, "\(result)")
            #expect(report.check(named: "CMS signer identifier")?.status == .passed)
            #expect(report.check(named: "CMS message digest")?.status == .passed)
            for number in dataGroups.keys {
                #expect(report.check(named: Check.dataGroupHash(number))?.status == .passed, "DG\(number): \(result)")
            }
            for number in Set(reference.listed).subtracting(dataGroups.keys) {
                let check = report.check(named: Check.dataGroupHash(number))
                #expect(check?.status == .notChecked && check?.detail.contains("not read") == true)
            }
            // The CSCAs "HJP PB CS" and "ETSI CS" are not published: the chain is reported as not checked, never passed.
            let chain = try #require(report.check(named: Check.dsIssuedByCSCA))
            #expect(chain.status == .notChecked)
            #expect(chain.detail.contains("no CSCA certificates given"))
            #expect(report.check(named: Check.dsRevocation)?.status == .notChecked)
            #expect(report.check(named: Check.dsValidity)?.status == .passed)
            #expect(report.check(named: Check.dsValidity)?.detail.contains("no signingTime attribute") == true)
            // Test DS certificates of a minimal profile: no usage period, no document type list — warnings only.
            #expect(report.check(named: Check.dsPrivateKeyUsagePeriod)?.status == .warning)
            #expect(report.check(named: Check.documentType)?.status == .warning)
            #expect(report.check(named: Check.mrz)?.status == .passed)
            #expect(!report.checks.contains { $0.status == .failed }, "\(result)")
            #expect(report.isValid)
            #expect(!result.isGenuine, "an unchecked chain never makes a document genuine")
            #expect(result.description.contains("not passed: DS issued by CSCA"))
        }
    }

    @Test("one changed byte in a data group is reported naming that data group", arguments: references)
    func changedByteNamesTheDataGroup(_ reference: ReferenceSOD) throws {
        let (sod, _, original) = try Self.read(reference)
        let verifier = PassiveAuthentication(trustSource: nil, clock: FixedClock(reference.signedOn))
        for number in original.keys.sorted() {
            var dataGroups = original
            var bytes = dataGroups[number] ?? []
            bytes[bytes.count / 2] ^= 0x01
            dataGroups[number] = bytes
            let result = verifier.verify(sod: sod, dataGroups: dataGroups)
            let failed = result.failures
            #expect(failed.map(\.name) == [Check.dataGroupHash(number)], "\(result)")
            #expect(failed.first?.detail.hasPrefix("DG\(number) does not match its hash") == true)
            #expect(!result.isGenuine)
            for other in original.keys where other != number {
                #expect(result.report.check(named: Check.dataGroupHash(other))?.status == .passed)
            }
        }
    }

    @Test func referenceSODWithAnUnrelatedCSCAIsAnUnknownCSCA() throws {
        let (sod, _, dataGroups) = try Self.read(Self.references[0])
        let pki = try LDSTestPKI()
        let result = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(Self.references[0].signedOn))
            .verify(sod: sod, dataGroups: dataGroups)
        let chain = try #require(result.report.check(named: Check.dsIssuedByCSCA))
        #expect(chain.status == .failed)
        #expect(chain.detail.hasPrefix("unknown CSCA"))
        #expect(chain.detail.contains("HJP PB CS"))
        #expect(result.report.check(named: Check.dsRevocation)?.status == .notChecked)
        #expect(!result.isGenuine)
    }

    // MARK: - SODs signed here

    /// Signs the sample document with `ds` at `signedAt` and verifies it against `trust` at `verifyAt`.
    func verify(
        _ pki: LDSTestPKI, _ ds: LDSTestPKI.DocumentSigner, trust: StaticTrustSource? = nil, signedAt: Date = now,
        dataGroups: [Int: [UInt8]]? = nil, efCOM: [UInt8]? = nil
    ) throws -> PassiveAuthenticationResult {
        let groups = try dataGroups ?? SampleDocument.dataGroups()
        let sod = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(signedAt)).sign(dataGroups: groups)
        let verifier = PassiveAuthentication(trustSource: trust ?? StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(Self.now))
        return verifier.verify(sod: try sod.encode(), dataGroups: groups, efCOM: efCOM)
    }

    @Test func genuineDocumentPassesEveryCheck() throws {
        let pki = try LDSTestPKI(.ec(.brainpoolP256r1, parameters: .explicit))
        let ds = try pki.documentSigner()
        let crl = try pki.crl(revoking: [[0x01, 0x02]])
        let com = try EFCOM(dataGroups: [DataGroupNumber(1)!, DataGroupNumber(2)!]).encode()
        let result = try verify(pki, ds, trust: StaticTrustSource(cscas: [pki.csca], crls: [crl]), efCOM: com)
        #expect(result.isGenuine, "\(result)")
        let statuses = Dictionary(result.report.checks.map { ($0.name, $0.status) }, uniquingKeysWith: { first, _ in first })
        for name in [Check.sod, Check.contentType, Check.cmsSignature, Check.dsCertificate, Check.dsKeyUsage, Check.dsIssuedByCSCA,
                     Check.dsValidity, Check.dsPrivateKeyUsagePeriod, Check.dsRevocation, Check.documentType, "DG1 hash", "DG2 hash",
                     Check.efCOM, Check.mrz] {
            #expect(statuses[name] == .passed, "\(name): \(result)")
        }
        #expect(!result.report.checks.contains { $0.status != .passed }, "\(result)")
        #expect(result.report.check(named: Check.dsRevocation)?.detail.contains("CRL number 1") == true)
        let json = try JSONSerialization.jsonObject(with: Data(result.jsonString().utf8)) as? [String: Any]
        #expect(json?["genuine"] as? Bool == true)
        #expect(json?["dataGroups"] as? [Int] == [1, 2])
        #expect((json?["checks"] as? [[String: Any]])?.contains { $0["name"] as? String == "DG2 hash" && $0["status"] as? String == "passed" } == true)
    }

    @Test func revokedDocumentSignerIsReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let crl = try pki.crl(revoking: [[0x7F, 0x01], Array(ds.certificate.serialNumber)])
        let result = try verify(pki, ds, trust: StaticTrustSource(cscas: [pki.csca], crls: [crl]))
        let check = try #require(result.report.check(named: Check.dsRevocation))
        #expect(check.status == .failed)
        #expect(check.detail.contains("revoked since"))
        #expect(result.failures.map(\.name) == [Check.dsRevocation])
        #expect(!result.isGenuine)
    }

    @Test func documentSignerExpiredAtSigningIsReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner(notBefore: Self.now.addingTimeInterval(-400 * Self.day), notAfter: Self.now.addingTimeInterval(-10 * Self.day),
                                        keyUsagePeriod: nil)
        let result = try verify(pki, ds)
        let check = try #require(result.report.check(named: Check.dsValidity))
        #expect(check.status == .failed)
        #expect(check.detail.contains("had expired") && check.detail.contains("signingTime attribute"))
        #expect(!result.isGenuine)
    }

    @Test func signingOutsideThePrivateKeyUsagePeriodIsReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner(keyUsagePeriod: (Self.now.addingTimeInterval(-120 * Self.day), Self.now.addingTimeInterval(-30 * Self.day)))
        let result = try verify(pki, ds)
        let check = try #require(result.report.check(named: Check.dsPrivateKeyUsagePeriod))
        #expect(check.status == .failed)
        #expect(check.detail.contains("outside the DS private key usage period"))
        #expect(result.report.check(named: Check.dsValidity)?.status == .passed)
        #expect(result.failures.map(\.name) == [Check.dsPrivateKeyUsagePeriod])
        #expect(!result.isGenuine)
    }

    @Test func unknownCSCAAndWrongCSCAKeyAreReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let stranger = try LDSTestPKI(country: "XX")
        let unknown = try verify(pki, ds, trust: StaticTrustSource(cscas: [stranger.csca]))
        let check = try #require(unknown.report.check(named: Check.dsIssuedByCSCA))
        #expect(check.status == .failed && check.detail.hasPrefix("unknown CSCA") && check.detail.contains("C=UT"))
        #expect(!unknown.isGenuine)

        // Same name and key identifier, another key: the candidate is found, its key does not verify the DS.
        let impostorSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let impostor = try LDSTestPKI.selfSigned(name: pki.name, signer: impostorSigner, keyIdentifier: pki.cscaSigner.publicKey.keyIdentifier)
        let wrongKey = try verify(pki, ds, trust: StaticTrustSource(cscas: [impostor]))
        let wrong = try #require(wrongKey.report.check(named: Check.dsIssuedByCSCA))
        #expect(wrong.status == .failed && wrong.detail.contains("does not verify"), "\(wrong.detail)")
        #expect(!wrongKey.isGenuine)
    }

    @Test func documentSignerIssuedAfterAKeyRolloverVerifiesThroughTheLinkCertificate() throws {
        let pki = try LDSTestPKI()
        let (newSigner, _, link) = try pki.rollover()
        let ds = try pki.documentSigner(issuedBy: newSigner)
        // The trust source knows the old self-signed CSCA and the link certificate only.
        let result = try verify(pki, ds, trust: StaticTrustSource(cscas: [pki.csca, link]))
        #expect(result.isGenuine, "\(result)")
        #expect(result.issuer == link)
        let path = try #require(result.report.check(named: Check.cscaLink))
        #expect(path.status == .passed && path.detail.contains("self-signed CSCA serial \(pki.csca.serialNumberHex)"))
        // Without the old CSCA the link certificate is still trusted as given, with a warning.
        let alone = try verify(pki, ds, trust: StaticTrustSource(cscas: [link]))
        #expect(alone.report.check(named: Check.cscaLink)?.status == .warning)
        #expect(alone.isGenuine)
    }

    @Test func documentTypeOutsideTheDocumentTypeListIsReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner(documentTypes: ["ID", "AC"])
        let result = try verify(pki, ds)
        let check = try #require(result.report.check(named: Check.documentType))
        #expect(check.status == .failed && check.detail.contains("document code P is not in"))
        #expect(!result.isGenuine)
    }

    @Test func unsignedDataGroupAndEFCOMDisagreementAreReported() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let groups = try SampleDocument.dataGroups()
        let sod = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(Self.now)).sign(dataGroups: groups)
        var read = groups
        read[11] = { var dg11 = DG11(); dg11[.fullName] = "ADDED<<NAME"; return dg11.encode() }()
        let com = try EFCOM(dataGroups: [DataGroupNumber(1)!, DataGroupNumber(2)!, DataGroupNumber(11)!]).encode()
        let result = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(Self.now))
            .verify(sod: try sod.encode(), dataGroups: read, efCOM: com)
        let unsigned = try #require(result.report.check(named: "DG11 hash"))
        #expect(unsigned.status == .failed && unsigned.detail.contains("unsigned data group"))
        let efCOM = try #require(result.report.check(named: Check.efCOM))
        #expect(efCOM.status == .failed && efCOM.detail.contains("DG11"))
        #expect(Set(result.failures.map(\.name)) == ["DG11 hash", Check.efCOM])
        #expect(!result.isGenuine)
    }

    @Test func idDataContentTypeIsADeviationNotAFailure() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let groups = try SampleDocument.dataGroups()
        let object = try LDSSecurityObject(hash: .sha256, dataGroups: groups)
        let signedData = try SignedDataBuilder(eContentType: .CMS.data, content: object.encode(), signerCertificate: ds.certificate,
                                               identification: .issuerAndSerialNumber, signingTime: Self.now).sign(with: ds.signer)
        let sod = try EFSOD(signedData: signedData)
        #expect(sod.deviations.count == 1)
        let result = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(Self.now))
            .verify(sod: try sod.encode(), dataGroups: groups)
        let check = try #require(result.report.check(named: Check.contentType))
        #expect(check.status == .warning && check.detail.contains("id-data"))
        #expect(result.isGenuine, "\(result)")
    }

    @Test func signerIdentifiedWithRDNsInAnotherOrderStillVerifies() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let groups = try SampleDocument.dataGroups()
        var sod = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(Self.now)).sign(dataGroups: groups)
        // The sid is not signed: a country may write the issuer's RDNs in another order.
        sod.signedData.signerInfos[0].sid = .issuerAndSerialNumber(
            issuer: DistinguishedName(ds.certificate.issuer.rdns.reversed()), serialNumber: ds.certificate.serialNumber)
        let result = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca]), clock: FixedClock(Self.now))
            .verify(sod: try sod.encode(), dataGroups: groups)
        #expect(result.isGenuine, "\(result)")
    }

    @Test func berSODStreamedByOpenSSLVerifies() throws {
        // openssl cms -stream writes indefinite lengths; the 77 wrapper around it is definite.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ds.key",
                                 "-out", "ds.pem", "-days", "30", "-subj", "/C=UT/CN=DS streamed"], in: directory)
        let groups = try SampleDocument.dataGroups()
        try TestSupport.write(try LDSSecurityObject(hash: .sha256, dataGroups: groups).encode(), directory.appendingPathComponent("lso.der"))
        try TestSupport.openssl(["cms", "-sign", "-stream", "-binary", "-nodetach", "-in", "lso.der", "-econtent_type", "2.23.136.1.1.1",
                                 "-md", "sha256", "-signer", "ds.pem", "-inkey", "ds.key", "-outform", "DER", "-out", "sod.ber", "-nosmimecap"],
                                in: directory)
        let ber = try TestSupport.read(directory.appendingPathComponent("sod.ber"))
        #expect(ber[1] == 0x80)
        let sod = BERTLV(tag: 0x77, value: ber).encoded
        let ds = try Certificate(bytes: TestSupport.read(directory.appendingPathComponent("ds.pem")))
        let result = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [ds])).verify(sod: sod, dataGroups: groups)
        #expect(result.isGenuine, "\(result)")
    }

    @Test func malformedSODsAreAFailedCheckNeverACrash() throws {
        let groups = try SampleDocument.dataGroups()
        let reference = try TestSupport.vector("pymrtd/EF_SOD_BSI_TR03105-5.bin")
        let verifier = PassiveAuthentication(trustSource: nil)
        for bytes in [[], [0x77, 0x00], Array(reference.prefix(300)), [0x30, 0x03, 0x06, 0x01, 0x00], groups[1]!, Array("not a SOD".utf8)] {
            let result = verifier.verify(sod: bytes, dataGroups: groups)
            #expect(result.report.check(named: Check.sod)?.status == .failed)
            #expect(result.report.check(named: "DG1 hash")?.status == .notChecked)
            #expect(!result.isGenuine)
            #expect(result.securityObject == nil)
        }
    }

    @Test func chainResultsAreCachedPerDocumentSigner() throws {
        let pki = try LDSTestPKI()
        let ds = try pki.documentSigner()
        let groups = try SampleDocument.dataGroups()
        let signer = try SODSigner(signer: ds.signer, documentSigner: ds.certificate, clock: FixedClock(Self.now))
        let trust = CountingTrustSource(StaticTrustSource(cscas: [pki.csca]))
        let verifier = PassiveAuthentication(trustSource: trust, clock: FixedClock(Self.now))
        for _ in 0..<5 {
            #expect(verifier.verify(sod: try signer.sign(dataGroups: groups).encode(), dataGroups: groups).isGenuine)
        }
        #expect(trust.candidateLookups == 1, "the DS chain is looked up once, then cached")
        let uncached = PassiveAuthentication(trustSource: trust, clock: FixedClock(Self.now), cacheChainResults: false)
        _ = uncached.verify(sod: try signer.sign(dataGroups: groups).encode(), dataGroups: groups)
        #expect(trust.candidateLookups == 2)
    }
}

/// Counts issuer look-ups, to show that chain results are cached.
final class CountingTrustSource: TrustSource {
    let inner: StaticTrustSource
    private let lookups = Locked(0)

    init(_ inner: StaticTrustSource) { self.inner = inner }

    var candidateLookups: Int { lookups.withLock { $0 } }

    func issuerCandidates(of certificate: Certificate) throws -> [Certificate] {
        // Only the DS look-up counts; the self-signed check of the CSCA asks about the CSCA itself.
        if !certificate.isSelfIssued { lookups.withLock { $0 += 1 } }
        return try inner.issuerCandidates(of: certificate)
    }

    func latestCRL(issuedBy csca: Certificate) throws -> CertificateRevocationList? {
        try inner.latestCRL(issuedBy: csca)
    }
}
