import CSCA
import Foundation
import ICAOProfile
import NPKD
import PKICore
import Store
import Testing
import TestSupport

@Suite struct ExportTests {
    static var policy: CSCAPolicy {
        var policy = CSCAPolicy()
        policy.crlDistributionPoints = ["https://pkd.example/LU.crl"]
        return policy
    }

    /// The NPKD reaches the CSCA's Master List Signer only through this protocol (the CLI wires the same).
    struct AuthoritySigner: MasterListSigning {
        let authority: CountrySigningCA
        func signMasterList(certificates: [Certificate]) throws -> SignedData { try authority.signMasterList(certificates: certificates) }
    }

    /// Trusted objects only: PEM bundle and LDIF (read back by the NPKD's own reader into a fresh store), and the
    /// national master list signed by the CSCA's MLS in the same data directory.
    @Test func exportsHoldWhatIsTrusted() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let other = try CountryPKI("ZZ")
        let ds = try ut.documentSigner()
        try fixture.pkd.trust(ut.csca)
        for (name, bytes) in [("zz.der", other.csca.derEncoded), ("ds.der", ds.certificate.derEncoded), ("ut.crl", try ut.crl(number: 4).derEncoded)] {
            _ = try fixture.importBytes(bytes, name)
        }

        let pem = try fixture.pkd.exportPEM(.cscas)
        let blocks = try PEM.decodeAll(Array(pem.utf8))
        #expect(blocks.map(\.der) == [ut.csca.derEncoded])
        let all = try PEM.decodeAll(Array(try fixture.pkd.exportPEM(.all).utf8))
        #expect(all.map(\.label) == ["CERTIFICATE", "CERTIFICATE", "X509 CRL"])

        let ldif = try fixture.pkd.exportLDIF(.all)
        #expect(ldif.hasPrefix("version: 1\n"))
        #expect(ldif.contains("o=csca,c=UT") && ldif.contains("o=dsc,c=UT") && ldif.contains("o=crl,c=UT"))
        #expect(!ldif.contains("c=ZZ"))
        #expect(ldif.split(separator: "\n").allSatisfy { $0.utf8.count <= 76 })
        let copy = try NPKDFixture()
        defer { copy.cleanUp() }
        let summary = try copy.importBytes(Array(ldif.utf8), "export.ldif")
        #expect(summary.certificatesAdded == ["csca": 1, "ds": 1])
        #expect(summary.crlsAdded == 1 && summary.crlsUnverified == 0)

        // The master list: the CSCA domain "LU" of the same data directory signs with its MLS.
        let authority = try CountrySigningCA(store: fixture.store, domain: "LU",
                                             keys: SoftwareKeyProvider(store: fixture.store, passphrase: Passphrase("export test")),
                                             clock: FixedClock(CountryPKI.now))
        _ = try authority.initialize(subject: DistinguishedName(parsing: "C=LU,O=Ministry,CN=CSCA LU"), key: .ec(.p256, parameters: .namedCurve),
                                     policy: Self.policy)
        #expect(throws: (any Error).self) { try fixture.pkd.exportMasterList(signer: AuthoritySigner(authority: authority)) }  // no MLS yet
        _ = try authority.issueListSigner(.masterList, subject: DistinguishedName(parsing: "C=LU,CN=MLS"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let (signed, included, skipped) = try fixture.pkd.exportMasterList(signer: AuthoritySigner(authority: authority))
        #expect(included == 1 && skipped.isEmpty)
        let read = try MasterListReader().read(signed.contentInfoDER(), additionalAnchors: [authority.activeAuthority().certificate])
        #expect(read.report.isValid, "\(read.report)")
        #expect(read.masterList.certificates == [ut.csca])
    }

    /// Per-country bundles: each country's file holds its trusted CSCA, DSCs and current CRL and nothing of another
    /// country or of what is not trusted; openssl (a reader nobody here wrote) reads each back.
    @Test func perCountryBundles() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let nz = try CountryPKI("NZ")
        let ut = try CountryPKI("UT")
        let zz = try CountryPKI("ZZ")
        let nzSigners = try (1...2).map { try nz.documentSigner($0).certificate }
        let utSigner = try ut.documentSigner().certificate
        _ = try fixture.pkd.trust(nz.csca)
        _ = try fixture.pkd.trust(ut.csca)
        var pem = ""
        for certificate in nzSigners + [utSigner, zz.csca, try zz.documentSigner().certificate] {
            pem += PEM.encode(certificate.derEncoded, label: "CERTIFICATE")
        }
        _ = try fixture.importBytes(Array(pem.utf8), "certificates.pem")
        // A DS is trusted once its CSCA's CRL is held and does not list it.
        let nzCRL = try nz.crl(number: 1)
        let utCRL = try ut.crl(number: 1)
        _ = try fixture.importBytes(nzCRL.derEncoded, "nz.crl")
        _ = try fixture.importBytes(utCRL.derEncoded, "ut.crl")

        let files = try fixture.pkd.exportBundles()
        #expect(Set(files.keys) == ["NZ.pem", "UT.pem", "all.pem", "all.ldif"])
        let blocks = { (name: String) throws -> [(label: String, der: [UInt8])] in try PEM.decodeAll(Array((files[name] ?? "").utf8)) }
        #expect(Set(try blocks("NZ.pem").filter { $0.label == "CERTIFICATE" }.map(\.der)) == Set([nz.csca.derEncoded] + nzSigners.map(\.derEncoded)))
        #expect(try blocks("NZ.pem").filter { $0.label == "X509 CRL" }.map(\.der) == [nzCRL.derEncoded])
        #expect(Set(try blocks("UT.pem").map(\.der)) == [ut.csca.derEncoded, utSigner.derEncoded, utCRL.derEncoded])
        #expect(try blocks("all.pem").count == 7)

        let directory = fixture.directory
        for (name, count) in [("NZ.pem", 3), ("UT.pem", 2)] {
            let path = directory.appendingPathComponent(name)
            try TestSupport.write(files[name] ?? "", path)
            try TestSupport.openssl(["crl2pkcs7", "-nocrl", "-certfile", path.path, "-outform", "PEM", "-out", path.path + ".p7"])
            let listed = try TestSupport.openssl(["pkcs7", "-in", path.path + ".p7", "-print_certs", "-noout"])
            #expect(listed.stdout.components(separatedBy: "subject=").count - 1 == count, "\(listed.stdout)")
        }
        let crlPath = directory.appendingPathComponent("NZ.pem")
        let crl = try TestSupport.openssl(["crl", "-in", crlPath.path, "-noout", "-issuer"])
        #expect(crl.stdout.contains("CSCA NZ"))
    }

    /// Deviation lists: the CSCA module encodes; the NPKD decodes, verifies and stores the deviations.
    @Test func deviationListsAreDecodedAndStored() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let authority = try CountrySigningCA(store: fixture.store, domain: "LU",
                                             keys: SoftwareKeyProvider(store: fixture.store, passphrase: Passphrase("deviation list test")),
                                             clock: FixedClock(CountryPKI.now))
        let csca = try authority.initialize(subject: DistinguishedName(parsing: "C=LU,O=Ministry,CN=CSCA LU"), key: .ec(.p256, parameters: .namedCurve),
                                            policy: Self.policy)
        _ = try authority.issueListSigner(.deviationList, subject: DistinguishedName(parsing: "C=LU,CN=DLS"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let list = DeviationList(deviations: [
            .init(documentType: "PP", documentSignerKeyIdentifier: "A1B2C3", firstIssued: Date(timeIntervalSince1970: 1_790_000_000),
                  lastIssued: Date(timeIntervalSince1970: 1_800_000_000), documentNumbers: ["C01X00T47", "C01X00T48"],
                  descriptions: [.init(deviationType: "LDS.DGHashWrong", description: "DG11 hash wrong")]),
            .init(documentType: "ID", descriptions: [.init(deviationType: "2.23.136.1.1.7.3.2")]),
        ])
        let signed = try authority.signDeviationList(list)
        let content = try DeviationListContent(derEncoded: Array(try #require(signed.encapContentInfo.eContent)))
        #expect(content.version == 0)
        #expect(content.deviations.count == 2)
        let decoded = content.deviationList.deviations.sorted { ($0.documentType ?? "") > ($1.documentType ?? "") }
        #expect(decoded.first?.documentSignerKeyIdentifier == "A1B2C3")
        #expect(decoded.first?.documentNumbers?.sorted() == ["C01X00T47", "C01X00T48"])
        #expect(decoded.first?.firstIssued == Date(timeIntervalSince1970: 1_790_000_000))
        #expect(decoded.first?.descriptions.first?.deviationType == "2.23.136.1.1.7.2.2")
        #expect(decoded.last?.descriptions.first?.deviationType == "2.23.136.1.1.7.3.2")

        let untrusted = try fixture.importBytes(signed.contentInfoDER(), "lu.dl")
        #expect(untrusted.format == .deviationList && untrusted.deviationLists == 1)
        #expect(try fixture.pkd.lists().first?.state == .untrusted)
        try fixture.pkd.trust(csca)
        #expect(try fixture.pkd.lists().first?.state == .trusted)
        #expect(try fixture.count("npkd_deviation") == 2)
        // A broken signature is refused.
        var broken = try signed.contentInfoDER()
        broken[broken.count - 8] ^= 0x40
        expectError(NPKDError(.signatureInvalid, "broken.dl: deviation list refused, nothing of it stored: signature: ecdsa-sha256 does not verify")) {
            try fixture.importBytes(broken, "broken.dl")
        }
    }

    /// Formats are told from the content, whatever the file is called.
    @Test func formatsAreDetectedFromContent() throws {
        let ut = try CountryPKI("UT")
        let mls = try ut.listSigner(.masterList)
        #expect(try ImportFormat.detect(ut.csca.derEncoded) == .certificate)
        #expect(try ImportFormat.detect(Array(ut.csca.pemEncoded.utf8)) == .pem)
        #expect(try ImportFormat.detect(ut.crl(number: 1).derEncoded) == .crl)
        #expect(try ImportFormat.detect(ut.crl(number: 1, revoked: [ut.csca]).derEncoded) == .crl)
        #expect(try ImportFormat.detect(ut.masterList([ut.csca], signer: mls)) == .masterList)
        #expect(try ImportFormat.detect(Array("version: 1\n\ndn: c=UT\n".utf8)) == .ldif)
        #expect(try ImportFormat.detect(TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl")) == .crl)
        expectError(NPKDError(.unknownFormat, "the content is not LDIF, PEM or DER (first byte 0x68)")) { try ImportFormat.detect(Array("hello".utf8)) }
        expectError(NPKDError(.unknownFormat, "the file is empty")) { try ImportFormat.detect([]) }
    }
}
