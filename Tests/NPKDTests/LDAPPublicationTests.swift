import Foundation
import NPKD
import PKICore
import Testing
import TestSupport

/// `publish` to a real slapd of the test's own, read back with ldapsearch; `sync` from one filled by another store.
/// The NPKD decides trust at the fixed `CountryPKI.now`; slapd and ldapsearch check no validity dates.
@Suite struct LDAPPublicationTests {
    /// A trusted NZ CSCA with two Document Signers, its CRL and a master list from its trusted signer; an untrusted ZZ
    /// CSCA with a Document Signer of its own, which must not be published.
    struct Scene {
        let fixture: NPKDFixture
        let slapd: PrivateSlapd
        let nz: CountryPKI
        let ds1: CountryPKI.Signer
        let ds2: CountryPKI.Signer
        let crl: CertificateRevocationList
        let masterList: [UInt8]
        let target: NationalPKD.DirectoryTarget

        init() throws {
            fixture = try NPKDFixture()
            slapd = try PrivateSlapd.start()
            nz = try CountryPKI("NZ")
            ds1 = try nz.documentSigner(1)
            ds2 = try nz.documentSigner(2)
            crl = try nz.crl(number: 3)
            let mls = try nz.listSigner(.masterList)
            masterList = try nz.masterList([nz.csca], signer: mls)
            _ = try fixture.importBytes(masterList, "nz.ml", trustSigners: [nz.csca])
            let zz = try CountryPKI("ZZ")
            for (name, bytes) in [("ds1.der", ds1.certificate.derEncoded), ("ds2.der", ds2.certificate.derEncoded),
                                  ("nz.crl", crl.derEncoded), ("zz.der", zz.csca.derEncoded),
                                  ("zzds.der", try zz.documentSigner().certificate.derEncoded)] {
                _ = try fixture.importBytes(bytes, name)
            }
            let password = try TestSupport.read(URL(fileURLWithPath: slapd.passwordFile))
            target = NationalPKD.DirectoryTarget(url: slapd.url, base: PrivateSlapd.suffix, bindDN: PrivateSlapd.rootDN, password: password)
            try fixture.pkd.prepareDirectory(target)
        }

        func tearDown() {
            slapd.stop()
            fixture.cleanUp()
        }
    }

    static func entries(_ slapd: PrivateSlapd, branch: String) throws -> [PrivateSlapd.Entry] {
        try slapd.search(filter: "(objectClass=pkdDownload)").filter { $0.dn.lowercased().contains(",o=\(branch),") }
    }

    @Test func publicationReadBackWithLdapsearchEqualsTheTrustedSet() throws {
        let scene = try Scene()
        defer { scene.tearDown() }
        let report = try scene.fixture.pkd.publish(to: scene.target)
        #expect(report.removed.isEmpty && report.modified.isEmpty && report.refused.isEmpty, "\(report)")

        let trusted = try scene.fixture.pkd.certificates(kinds: ["csca", "link", "ds"], states: [.trusted, .nonConformantAccepted])
        #expect(trusted.count == 3)  // the NZ CSCA and its two DSCs; nothing of ZZ
        let published = try Self.entries(scene.slapd, branch: "csca") + Self.entries(scene.slapd, branch: "dsc")
        #expect(Set(published.flatMap { $0.values("userCertificate") }) == Set(trusted.map(\.der)))
        #expect(published.count == 3)
        // Each certificate entry in the PKD's shape: subject and serial in its name and attributes, a pkdVersion.
        let ds1 = try #require(published.first { $0.values("userCertificate") == [scene.ds1.certificate.derEncoded] })
        #expect(ds1.dn.hasSuffix(",o=dsc,c=NZ,dc=data,\(PrivateSlapd.suffix)"))
        #expect(ds1.text("sn") == [scene.ds1.certificate.serialNumberHex])
        #expect(ds1.text("pkdVersion") == ["1"])
        #expect(Set(ds1.text("objectClass")) == ["top", "person", "organizationalPerson", "inetOrgPerson", "pkdDownload"])

        let crls = try Self.entries(scene.slapd, branch: "crl")
        #expect(crls.map { $0.values("certificateRevocationList") } == [[scene.crl.derEncoded]])
        let lists = try Self.entries(scene.slapd, branch: "ml")
        #expect(lists.map { $0.values("pkdMasterListContent") } == [[scene.masterList]])

        // A second publication with nothing changed writes nothing, and the directory verifies.
        let again = try scene.fixture.pkd.publish(to: scene.target)
        #expect(again.isInSync, "\(again)")
        #expect(try scene.fixture.pkd.publish(to: scene.target, dryRun: true).isInSync)
    }

    @Test func aSecondPublicationAfterACRLImportChangesOnlyThatCRLsEntry() throws {
        let scene = try Scene()
        defer { scene.tearDown() }
        _ = try scene.fixture.pkd.publish(to: scene.target)
        // entryCSN: slapd's own stamp of every change to an entry, read with the operational attributes.
        let before = Dictionary(try scene.slapd.search(attributes: ["*", "+"]).map { ($0.dn, $0.text("entryCSN")) }) { $1 }

        let newer = try scene.nz.crl(number: 4, thisUpdate: CountryPKI.now.addingTimeInterval(-3600))
        _ = try scene.fixture.importBytes(newer.derEncoded, "nz-4.crl")
        #expect(try !scene.fixture.pkd.publish(to: scene.target, dryRun: true).isInSync)
        let report = try scene.fixture.pkd.publish(to: scene.target)
        #expect(report.added.isEmpty && report.removed.isEmpty && report.modified.count == 1, "\(report)")

        let after = try scene.slapd.search(attributes: ["*", "+"])
        #expect(after.count == before.count)
        let changed = after.filter { before[$0.dn] != $0.text("entryCSN") }
        #expect(changed.count == 1)
        #expect(changed.first?.values("certificateRevocationList") == [newer.derEncoded])
        #expect(changed.first?.text("pkdVersion") == ["2"])
        #expect(after.filter { $0.text("pkdVersion") == ["2"] }.count == 1)
        #expect(try scene.fixture.pkd.publish(to: scene.target, dryRun: true).isInSync)
    }

    @Test func aRevokedDocumentSignerLeavesTheDirectory() throws {
        let scene = try Scene()
        defer { scene.tearDown() }
        _ = try scene.fixture.pkd.publish(to: scene.target)
        #expect(try Self.entries(scene.slapd, branch: "dsc").count == 2)

        let revoking = try scene.nz.crl(number: 5, revoked: [scene.ds1.certificate], thisUpdate: CountryPKI.now.addingTimeInterval(-3600))
        _ = try scene.fixture.importBytes(revoking.derEncoded, "nz-5.crl")
        let report = try scene.fixture.pkd.publish(to: scene.target)
        #expect(report.removed.count == 1 && report.modified.count == 1 && report.added.isEmpty, "\(report)")

        let signers = try Self.entries(scene.slapd, branch: "dsc")
        #expect(signers.flatMap { $0.values("userCertificate") } == [scene.ds2.certificate.derEncoded])
        #expect(try Self.entries(scene.slapd, branch: "crl").flatMap { $0.values("certificateRevocationList") } == [revoking.derEncoded])

        // verify names an entry someone else added (not trusted) and one someone removed (missing).
        try scene.slapd.add(ldif: """
            dn: cn=stray,o=dsc,c=NZ,dc=data,\(PrivateSlapd.suffix)
            objectClass: top
            objectClass: person
            cn: stray
            sn: 1

            """)
        let differences = try scene.fixture.pkd.publish(to: scene.target, dryRun: true)
        #expect(differences.removed == ["cn=stray,o=dsc,c=NZ,dc=data,\(PrivateSlapd.suffix)"], "\(differences)")
        #expect(try scene.fixture.pkd.publish(to: scene.target).removed.count == 1)
        #expect(try scene.fixture.pkd.publish(to: scene.target, dryRun: true).isInSync)
    }

    /// Two certificates with one subject and one serial (a CSCA that re-issued a DSC with its serial): each is named by
    /// its fingerprint, so neither overwrites the other.
    @Test func certificatesSharingSubjectAndSerialAreNamedByFingerprint() throws {
        let scene = try Scene()
        defer { scene.tearDown() }
        let original = scene.ds1.certificate
        let twin = try CertificateBuilder(
            serialNumber: Array(original.serialNumber), issuer: original.issuer, subject: original.subject, notBefore: original.notBefore,
            notAfter: original.notAfter.addingTimeInterval(-CountryPKI.day), subjectPublicKeyInfo: original.tbsCertificate.subjectPublicKeyInfo,
            extensions: original.extensions
        ).sign(with: scene.nz.cscaSigner)
        _ = try scene.fixture.importBytes(twin.derEncoded, "twin.der")
        let report = try scene.fixture.pkd.publish(to: scene.target)
        #expect(report.refused.isEmpty, "\(report)")
        let signers = try Self.entries(scene.slapd, branch: "dsc")
        #expect(Set(signers.flatMap { $0.values("userCertificate") }) == [original.derEncoded, twin.derEncoded, scene.ds2.certificate.derEncoded])
        let named = signers.filter { $0.values("userCertificate") != [scene.ds2.certificate.derEncoded] }
        for entry in named {
            let fingerprint = try HashAlgorithm.sha256.hash(entry.values("userCertificate")[0]).hexString
            #expect(entry.dn.lowercased().hasPrefix("cn=\(fingerprint.lowercased())+sn="), "\(entry.dn)")
        }
    }

    /// A directory filled by another store's publication (400 DSCs under two CSCAs): sync imports it all, trusted
    /// once the CSCAs are; a second sync adds nothing.
    @Test func syncImportsAnUpstreamDirectory() throws {
        let upstream = try NPKDFixture()
        defer { upstream.cleanUp() }
        let slapd = try PrivateSlapd.start()
        defer { slapd.stop() }
        let password = try TestSupport.read(URL(fileURLWithPath: slapd.passwordFile))
        let target = NationalPKD.DirectoryTarget(url: slapd.url, base: PrivateSlapd.suffix, bindDN: PrivateSlapd.rootDN, password: password)

        var countries: [CountryPKI] = []
        var signers: [Certificate] = []
        for code in ["NZ", "UT"] {
            let pki = try CountryPKI(code)
            _ = try upstream.pkd.trust(pki.csca)
            countries.append(pki)
            var pem = ""
            for index in 1...200 {
                let certificate = try pki.documentSigner(index).certificate
                signers.append(certificate)
                pem += PEM.encode(certificate.derEncoded, label: "CERTIFICATE")
            }
            _ = try upstream.importBytes(Array(pem.utf8), "\(code)-signers.pem")
            _ = try upstream.importBytes(try pki.crl(number: 1).derEncoded, "\(code).crl")
        }
        try upstream.pkd.prepareDirectory(target)
        let published = try upstream.pkd.publish(to: target)
        #expect(published.counts["dsc"] == 400 && published.refused.isEmpty, "\(published)")

        let local = try NPKDFixture()
        defer { local.cleanUp() }
        for pki in countries { _ = try local.pkd.trust(pki.csca) }
        let (summary, entries) = try local.pkd.sync(from: target)
        #expect(entries == 404, "\(summary)")  // 400 DSCs, 2 CSCAs, 2 CRLs
        #expect(summary.certificatesAdded["ds"] == 400 && summary.crlsAdded == 2, "\(summary)")
        let held = try local.pkd.certificates(kinds: ["ds"], states: [.trusted])
        #expect(Set(held.map(\.der)) == Set(signers.map(\.derEncoded)))

        let again = try local.pkd.sync(from: target).summary
        #expect(again.certificatesAddedTotal == 0 && again.crlsAdded == 0, "\(again)")
    }
}
