import CSCA
import Foundation
import ICAOProfile
import PKICore
import Store
import SwiftASN1
import Testing
import TestSupport

@Suite struct CountrySigningCATests {
    struct Fixture {
        let directory: URL
        let store: EPKIStore
        let ca: CountrySigningCA
        let csca: Certificate

        init(algorithm: String = "ec:brainpoolP256r1", clock: any PKIClock = SystemClock()) throws {
            directory = try TestSupport.temporaryDirectory("epki-csca")
            store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations)
            ca = try CountrySigningCA(store: store, domain: "LU", keys: SoftwareKeyProvider(store: store, passphrase: Passphrase("fixture passphrase")), clock: clock)
            var policy = CSCAPolicy()
            policy.crlDistributionPoints = ["https://pkd.example/LU.crl"]
            csca = try ca.initialize(subject: DistinguishedName(parsing: "C=LU,O=Ministry,CN=CSCA LU,serialNumber=001"),
                                     key: KeySpecification(algorithm), policy: policy)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func everythingIssuedLintsCleanAndVerifiesWithOpenSSL() throws {
        let fixture = try Fixture()
        defer { fixture.cleanUp() }
        let ca = fixture.ca
        let ds = try ca.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS 1"), key: .generate(.ec(.brainpoolP256r1, parameters: .namedCurve)),
                                            documentTypes: ["P", "ID", "AR"])
        let mls = try ca.issueListSigner(.masterList, subject: DistinguishedName(parsing: "C=LU,CN=MLS"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let dls = try ca.issueListSigner(.deviationList, subject: DistinguishedName(parsing: "C=LU,CN=DLS"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        try ca.revoke(serial: ds.certificate.serialNumberHex)
        let crls = try ca.issueCRLs()
        let masterList = try ca.signMasterList(certificates: [fixture.csca])
        let deviationList = try ca.signDeviationList(DeviationList(deviations: [
            .init(documentType: "PP", documentSignerKeyIdentifier: ds.certificate.subjectKeyIdentifier?.hexString, firstIssued: Date(timeIntervalSince1970: 1_790_000_000),
                  lastIssued: Date(timeIntervalSince1970: 1_800_000_000), documentNumbers: ["C01X00T47"],
                  descriptions: [.init(deviationType: "LDS.DGHashWrong", description: "DG11 hash wrong")])]))

        #expect(ProfileLinter.lint(fixture.csca, as: .csca).isEmpty)
        #expect(ProfileLinter.lint(ds.certificate, as: .documentSigner, issuer: fixture.csca).isEmpty)
        #expect(ProfileLinter.lint(mls.certificate, as: .masterListSigner, issuer: fixture.csca).isEmpty)
        #expect(ProfileLinter.lint(dls.certificate, as: .deviationListSigner, issuer: fixture.csca).isEmpty)
        #expect(ProfileLinter.lint(crls[0], issuer: fixture.csca).isEmpty)
        #expect(ProfileLinter.lint(masterList, kind: .masterList).isEmpty)
        #expect(ProfileLinter.lint(deviationList, kind: .deviationList).isEmpty)
        #expect(ProfileLinter.kind(of: fixture.csca) == .csca && ProfileLinter.kind(of: mls.certificate) == .masterListSigner)
        #expect(ds.certificate.documentTypeList?.documentTypes.sorted() == ["AR", "ID", "P"])
        // Doc 9303-12 profile details: explicit EC parameters, DS usage 3 months, validity = usage + 10 years.
        #expect(try ds.certificate.publicKey.subjectPublicKeyInfo.ecDomain?.isExplicit == true)
        let usage = try #require(ds.certificate.privateKeyUsagePeriod)
        let months = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: usage.notAfterDate!).month!
            - Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: usage.notBeforeDate!).month!
        #expect((months + 12) % 12 == 3)
        #expect(ds.certificate.notAfter.timeIntervalSince(usage.notAfterDate!) > 9.9 * 365 * 86_400)

        // OpenSSL: the CRL verifies against the CSCA and lists the revoked DS; the issuer signatures check out
        // with `openssl dgst` (chain building refuses explicit parameters); the lists' CMS signatures verify.
        let directory = fixture.directory
        try TestSupport.write(fixture.csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(crls[0].derEncoded, directory.appendingPathComponent("crl.der"))
        let crlText = try TestSupport.run("openssl", ["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "csca.pem", "-noout", "-text"], currentDirectory: directory)
        #expect(crlText.output.contains("verify OK"), "\(crlText.output)")
        #expect(crlText.stdout.contains("Serial Number: \(ds.certificate.serialNumberHex)"))
        for certificate in [ds.certificate, mls.certificate, dls.certificate] {
            let result = try TestSupport.opensslDgstVerify(
                data: Array(certificate.tbsBytes), signature: Array(certificate.signatureValue.bytes),
                publicKeyPEM: PEM.encode(try fixture.csca.publicKey.derEncoded, label: "PUBLIC KEY"),
                hash: try certificate.signatureAlgorithmValue.hash.rawValue, in: directory)
            #expect(result.stdout.contains("Verified OK"), "\(certificate.subject): \(result.output)")
        }
        for (name, signed) in [("ml.der", masterList), ("dl.der", deviationList)] {
            try TestSupport.write(signed.contentInfoDER(), directory.appendingPathComponent(name))
            let result = try TestSupport.run("openssl", ["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", name, "-out", "/dev/null"],
                                             currentDirectory: directory)
            #expect(result.stderr.contains("Verification successful"), "\(name): \(result.output)")
        }
        // epki's own verifier: the master list through the NPKD reader.
        #expect(try MasterListReader().read(masterList.contentInfoDER()).report.isValid)
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)
    }

    @Test func rolloverMakesALinkCertificateThatVerifiesWithTheOldKey() throws {
        let fixture = try Fixture(algorithm: "rsa:3072")
        defer { fixture.cleanUp() }
        let (renamed, link) = try fixture.ca.rollover(newSubject: DistinguishedName(parsing: "C=LU,O=Ministry,CN=CSCA LU 2,serialNumber=002"),
                                                      key: KeySpecification("ec:brainpoolP384r1"))
        #expect(try link.isSignatureValid(issuerKey: fixture.csca.publicKey))
        #expect(try renamed.isSignatureValid(issuerKey: renamed.publicKey))
        #expect(link.issuer == fixture.csca.subject && link.subject == renamed.subject)
        #expect(link.extensions[NameChange.oid] != nil)
        #expect(link.authorityKeyIdentifier == fixture.csca.subjectKeyIdentifier)
        #expect(ProfileLinter.lint(link, as: .link, issuer: fixture.csca).isEmpty)
        #expect(try link.signatureAlgorithmValue == .rsaPSS(.sha256))  // signed by the old RSA key
        // New DS certificates come from the new key; CRLs are issued for both keys.
        let ds = try fixture.ca.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS 2"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        #expect(try ds.certificate.isSignatureValid(issuerKey: renamed.publicKey))
        #expect(try fixture.ca.issueCRLs().count == 2)
        // Without a name change, no NameChange extension.
        let (_, sameName) = try fixture.ca.rollover(key: KeySpecification("ec:brainpoolP384r1"))
        #expect(sameName.extensions[NameChange.oid] == nil)
    }

    @Test func badRequestsAreRefusedWithNothingRecordedButTheAuditEntry() throws {
        let fixture = try Fixture()
        defer { fixture.cleanUp() }
        let ca = fixture.ca
        let entriesBefore = try fixture.store.auditEntries(domain: "LU").count
        let certificatesBefore = try ca.certificates().count

        let siteKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let good = try CertificationRequest.make(subject: DistinguishedName(parsing: "C=LU,CN=Line 4 DS"), signer: siteKey)
        // Flip one byte of the signature: the request no longer proves possession of its key.
        var forged = good.encoded
        forged[forged.count - 5] ^= 0x01
        let cases: [(String, () throws -> Void)] = [
            ("wrong request signature", { _ = try ca.issueDocumentSigner(subject: nil, key: .request(try CertificationRequest(bytes: forged))) }),
            ("another country", { _ = try ca.issueDocumentSigner(subject: try DistinguishedName(parsing: "C=DE,CN=DS"), key: .request(good)) }),
            ("validity beyond the CSCA", { _ = try ca.issueDocumentSigner(subject: nil, key: .request(good), keyUsageStart: Date().addingTimeInterval(20 * 365 * 86_400)) }),
            ("bad document type", { _ = try ca.issueDocumentSigner(subject: nil, key: .request(good), documentTypes: ["PASSPORT"]) }),
        ]
        for (label, attempt) in cases {
            do {
                try attempt()
                Issue.record("\(label): issued")
            } catch let error as CSCAError {
                #expect(error.code == .requestRefused, "\(label): \(error)")
            }
        }
        #expect(try ca.certificates().count == certificatesBefore)
        let entries = try fixture.store.auditEntries(domain: "LU")
        #expect(entries.count == entriesBefore + cases.count)
        #expect(entries.suffix(cases.count).allSatisfy { $0.action == "ds.refused" && $0.details["reason"] != nil })
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)
        // Unknown domain.
        let other = try CountrySigningCA(store: fixture.store, domain: "XX", keys: SoftwareKeyProvider(store: fixture.store, passphrase: nil))
        expectError(StoreError(.unknownDomain, "unknown domain 'XX'")) { _ = try other.issueDocumentSigner(subject: nil, key: .request(good)) }
        // The good request is issued.
        let issued = try ca.issueDocumentSigner(subject: nil, key: .request(good))
        #expect(try issued.certificate.publicKey.isSameKey(as: siteKey.publicKey))
        #expect(issued.keyReference == nil)
    }

    @Test func crlCadenceFollowsRevocations() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = MutableClock(start)
        let fixture = try Fixture(clock: clock)
        defer { fixture.cleanUp() }
        #expect(try fixture.ca.status().nextCRLDue == start)
        _ = try fixture.ca.issueCRLs()
        #expect(try fixture.ca.status().nextCRLDue == start.addingTimeInterval(90 * 86_400))
        let ds = try fixture.ca.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        clock.advance(3600)
        try fixture.ca.revoke(serial: ds.certificate.serialNumberHex)
        #expect(try fixture.ca.status().nextCRLDue == start.addingTimeInterval(3600 + 48 * 3600))
        #expect(throws: CSCAError.self) { try fixture.ca.revoke(serial: ds.certificate.serialNumberHex) }
        #expect(throws: CSCAError.self) { try fixture.ca.revoke(serial: "0BADC0DE") }
        clock.advance(60)
        let second = try fixture.ca.issueCRLs()[0]
        #expect(second.crlNumber?.value == 2)
        #expect(try second.entryCount() == 1)
        #expect(try fixture.ca.status().nextCRLDue == start.addingTimeInterval(3660 + 90 * 86_400))
    }

    @Test func policyChangesAreAudited() throws {
        let fixture = try Fixture()
        defer { fixture.cleanUp() }
        var policy = try fixture.ca.policy()
        policy.documentSignerKeyUsageMonths = 1
        try fixture.ca.setPolicy(policy)
        #expect(try fixture.ca.policy().documentSignerKeyUsageMonths == 1)
        #expect(try fixture.store.auditEntries(domain: "LU").last?.action == "policy.set")
        policy.crlIntervalDays = 120
        #expect(throws: CSCAError.self) { try fixture.ca.setPolicy(policy) }
    }
}

final class MutableClock: PKIClock, @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date
    init(_ date: Date) { self.date = date }
    func now() -> Date { lock.lock(); defer { lock.unlock() }; return date }
    func advance(_ seconds: TimeInterval) { lock.lock(); date += seconds; lock.unlock() }
}
