import CSCA
import Foundation
import NPKD
import PKICore
import Testing
import TestSupport

/// LDIF in the ICAO PKD download shapes (standards.md §4.3), written here the way the PKD writes them.
enum PKDLDIF {
    static let base = "dc=data,dc=download,dc=pkd,dc=icao,dc=int"

    /// Folds at 76 columns, continuation lines starting with one space.
    static func fold(_ line: String) -> String {
        var out = ""
        var rest = Substring(line)
        var first = true
        while !rest.isEmpty {
            let width = first ? 76 : 75
            out += (first ? "" : " ") + rest.prefix(width) + "\n"
            rest = rest.dropFirst(width)
            first = false
        }
        return out
    }

    /// The DN the PKD writes in `cn`, RFC 4514 order, escaped for use inside the entry's own DN.
    static func ldapName(_ name: DistinguishedName) -> String {
        name.rdns.reversed().map { $0.attributes.map(\.description).joined(separator: "+") }.joined(separator: ",")
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "=", with: "\\=")
            .replacingOccurrences(of: "+", with: "\\+")
    }

    static func header() -> String {
        "version: 1\n\ndn: \(base)\nobjectClass: top\nobjectClass: domain\ndc: data\n\n"
    }

    /// A 001/003 DSC entry, `dn::` in base64 when asked (as the PKD does for non-ASCII names).
    static func certificateEntry(_ certificate: Certificate, country: String, version: Int, base64DN: Bool = false,
                                 nonConformant: Bool = false) -> String {
        let root = nonConformant ? base.replacingOccurrences(of: "dc=data", with: "dc=nc-data") : base
        let dn = "cn=\(escape(ldapName(certificate.subject)))+sn=\(certificate.serialNumberHex),o=dsc,c=\(country),\(root)"
        var text = base64DN ? fold("dn:: \(Data(dn.utf8).base64EncodedString())") : fold("dn: \(dn)")
        text += "pkdVersion: \(version)\n"
        text += fold("userCertificate;binary:: \(Data(certificate.derEncoded).base64EncodedString())")
        text += "sn: \(certificate.serialNumberHex)\n"
        text += fold("cn: \(ldapName(certificate.subject))")
        text += "objectClass: inetOrgPerson\nobjectClass: pkdDownload\nobjectClass: organizationalPerson\nobjectClass: person\nobjectClass: top\n"
        if nonConformant {
            text += "pkdConformanceCode: ERR:DSC.KU.1\npkdConformanceText: Key usage not critical\npkdConformancePolicy: 9303-12 Table 6\n"
        }
        return text + "\n"
    }

    static func crlEntry(_ crl: CertificateRevocationList, country: String, version: Int) -> String {
        let dn = "cn=\(escape(ldapName(crl.issuer))),o=crl,c=\(country),\(base)"
        return fold("dn: \(dn)") + "pkdVersion: \(version)\n" + fold("certificateRevocationList;binary:: \(Data(crl.derEncoded).base64EncodedString())")
            + "objectClass: cRLDistributionPoint\nobjectClass: pkdDownload\nobjectClass: top\n\n"
    }

    static func masterListEntry(_ bytes: [UInt8], signer: Certificate, country: String, version: Int, binarySpelling: Bool) -> String {
        let dn = "cn=\(escape(ldapName(signer.issuer))),o=ml,c=\(country),\(base)"
        let attribute = binarySpelling ? "pkdMasterListContent;binary::" : "pkdMasterListContent::"
        return fold("dn: \(dn)") + "pkdVersion: \(version)\nsn: 1\n" + fold("cn: \(ldapName(signer.issuer))")
            + "objectClass: pkdMasterList\nobjectClass: pkdDownload\nobjectClass: person\nobjectClass: top\n"
            + fold("\(attribute) \(Data(bytes).base64EncodedString())") + "\n"
    }
}

@Suite struct LDIFImportTests {
    @Test func readerFoldsLinesDecodesBase64AndCountsLines() throws {
        let text = "version: 1\n\n# a comment\n#  folded\ndn: cn=a\n b,o=dsc\nsn:: MTIz\ncn: x\n\ndn:: Yz1OWg==\nobjectClass: top\n"
        var reader = LDIFReader(bytes: Array(text.utf8))
        let first = try #require(try reader.next())
        #expect(first.dn == "cn=ab,o=dsc")
        #expect(first.line == 5)
        #expect(first.first("sn")?.text == "123" && first.first("sn")?.wasBase64 == true)
        #expect(first.first("sn")?.line == 7)
        let second = try #require(try reader.next())
        #expect(second.dn == "c=NZ" && second.index == 2)
        #expect(try reader.next() == nil)
        #expect(reader.version == 1)

        var broken = LDIFReader(bytes: Array("dn: c=NZ\nuserCertificate;binary:: AAA\n".utf8))
        expectError(NPKDError(.malformedLDIF, "line 2, entry 1 (c=NZ): the base64 value of userCertificate;binary is not valid base64")) { try broken.next() }
        var noColon = LDIFReader(bytes: Array("dn: c=NZ\nthis line has none\n".utf8))
        do {
            _ = try noColon.next()
            Issue.record("expected an error")
        } catch let error as NPKDError {
            #expect(error.reason.hasPrefix("line 2, entry 1 (c=NZ):"), "\(error)")
        }
    }

    /// 001 (DSCs and CRLs: folded, dn:: base64, +sn=), 002 (master lists, both attribute spellings) and 003 (nc-data)
    /// collections import; ICAO's conformance notes are kept.
    @Test func theThreeCollectionsImport() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let nz = try CountryPKI("NZ")
        let fr = try CountryPKI("FR")
        let mls = try nz.listSigner(.masterList)
        let frMLS = try fr.listSigner(.masterList)
        let ds1 = try nz.documentSigner(1, name: "Identity Services Passport DS, Wellington")
        let ds2 = try nz.documentSigner(2, name: "Dokumentensigner Zürich")  // non-ASCII: the PKD writes dn:: in base64
        let ds3 = try fr.documentSigner(1)
        let ncDS = try nz.documentSigner(3)

        // 002: the NZ master list with the real spelling, FR's with ";binary".
        let ml002 = PKDLDIF.header()
            + PKDLDIF.masterListEntry(try nz.masterList([nz.csca], signer: mls), signer: mls.certificate, country: "NZ", version: 70, binarySpelling: false)
            + PKDLDIF.masterListEntry(try fr.masterList([fr.csca], signer: frMLS), signer: frMLS.certificate, country: "FR", version: 71, binarySpelling: true)
        let summary002 = try fixture.pkd.importFile(atPath: fixture.write(Array(ml002.utf8), "icaopkd-002-complete-000071.ldif"),
                                                    options: ImportOptions(trustSigners: [mls.certificate, frMLS.certificate]))
        #expect(summary002.masterLists == 2)
        #expect(summary002.anchorsAdded == 2)
        #expect(summary002.pkdVersions["002"] == 71)

        // 001: DSCs and CRLs.
        let ldif001 = PKDLDIF.header()
            + "dn: c=NZ,\(PKDLDIF.base)\nobjectClass: top\nobjectClass: country\nc: NZ\n\n"
            + "dn: o=dsc,c=NZ,\(PKDLDIF.base)\nobjectClass: top\nobjectClass: organization\no: dsc\n\n"
            + PKDLDIF.certificateEntry(ds1.certificate, country: "NZ", version: 1150)
            + PKDLDIF.certificateEntry(ds2.certificate, country: "NZ", version: 1151, base64DN: true)
            + PKDLDIF.certificateEntry(ds3.certificate, country: "FR", version: 1152)
            + PKDLDIF.crlEntry(try nz.crl(number: 3, revoked: [ds1.certificate]), country: "NZ", version: 1153)
            + PKDLDIF.crlEntry(try fr.crl(number: 1), country: "FR", version: 1154)
        #expect(ldif001.contains("\n "))  // folded
        #expect(ldif001.contains("dn:: "))
        #expect(ldif001.contains("+sn="))
        let summary001 = try fixture.pkd.importFile(atPath: fixture.write(Array(ldif001.utf8), "icaopkd-001-complete-001154.ldif"))
        #expect(summary001.certificatesAdded["ds"] == 3)
        #expect(summary001.crlsAdded == 2 && summary001.crlEntries == 1)
        #expect(summary001.pkdVersions["001"] == 1154)
        #expect(!summary001.isDelta)

        // 003: the non-conformant branch, as a delta.
        let ldif003 = PKDLDIF.header() + PKDLDIF.certificateEntry(ncDS.certificate, country: "NZ", version: 90, nonConformant: true)
            + "dn: cn=old,o=dsc,c=NZ,dc=nc-data,dc=download,dc=pkd,dc=icao,dc=int\nchangetype: delete\n\n"
        let summary003 = try fixture.pkd.importFile(atPath: fixture.write(Array(ldif003.utf8), "icaopkd-003-delta-000090.ldif"))
        #expect(summary003.isDelta)
        #expect(summary003.nonConformant == 1)

        func held(_ certificate: Certificate) throws -> NPKDCertificate? {
            try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(certificate.encoded).hexString)
        }
        #expect(try held(ds1.certificate)?.state == .revoked)
        #expect(try held(ds2.certificate)?.state == .trusted)
        #expect(try held(ds2.certificate)?.subject.contains("Zürich") == true)
        #expect(try held(ds3.certificate)?.state == .trusted)
        let nc = try #require(try held(ncDS.certificate))
        #expect(nc.state == .nonConformantAccepted, "\(nc.stateReason)")
        #expect(nc.pkdConformance?.contains("ERR:DSC.KU.1") == true)
        #expect(try fixture.pkd.status().pkdVersions == ["001": 1154, "002": 71, "003": 90])
    }

    /// The real ICAO master list inside a 002 entry imports like the file itself.
    @Test func theICAOMasterListInsideLDIF() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        let signer = try ICAOVector.signer()
        let ldif = PKDLDIF.header() + PKDLDIF.masterListEntry(try ICAOVector.bytes(), signer: signer, country: "UN", version: 284, binarySpelling: false)
        let summary = try fixture.pkd.importFile(atPath: fixture.write(Array(ldif.utf8), "icaopkd-002-complete-000284.ldif"),
                                                 options: ImportOptions(trustSigners: [signer]))
        #expect(summary.masterLists == 1 && summary.anchorsAdded == 520)
    }

    /// An LDIF file cut off in the middle of an entry is refused whole, naming the line; nothing is left behind.
    @Test func aTruncatedLDIFIsRefusedWholeWithTheLine() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let nz = try CountryPKI("NZ")
        var text = PKDLDIF.header()
        for index in 1...3 { text += PKDLDIF.certificateEntry(try nz.documentSigner(index).certificate, country: "NZ", version: index) }
        let lastEntry = PKDLDIF.certificateEntry(try nz.documentSigner(4).certificate, country: "NZ", version: 4)
        let linesBefore = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        // Cut inside the folded base64 of the fourth certificate (dn on two lines, pkdVersion, then the value from line 4).
        let cut = lastEntry.split(separator: "\n", omittingEmptySubsequences: false).prefix(6).joined(separator: "\n") + "\n"
        text += cut
        let path = try fixture.write(Array(text.utf8), "icaopkd-001-delta-000004.ldif")
        do {
            _ = try fixture.pkd.importFile(atPath: path)
            Issue.record("a truncated file was accepted")
        } catch let error as NPKDError {
            #expect(error.reason.hasPrefix("icaopkd-001-delta-000004.ldif: line \(linesBefore + 4), entry 5"), "\(error)")
        }
        #expect(try fixture.count("npkd_certificate") == 0)
        #expect(try fixture.count("npkd_pkd_version") == 0)
        #expect(try fixture.count("audit_entry") == 0)
        // A record that breaks the syntax names its line too.
        let bad = PKDLDIF.header() + "dn: c=NZ,\(PKDLDIF.base)\nobjectClass top\n"
        do {
            _ = try fixture.importBytes(Array(bad.utf8), "bad.ldif")
            Issue.record("accepted")
        } catch let error as NPKDError {
            #expect(error.reason.contains("line 9"), "\(error)")
        }
    }

    /// Escaped DNs with `+sn=`: the reader splits RDNs and undoes the escapes.
    @Test func escapedDistinguishedNames() throws {
        let record = "dn: cn=OU\\=Identity Services Passport CA\\,OU\\=Passports\\,O\\=Government of New Zealand\\,C\\=NZ+sn=42E575AF,o=dsc,c=NZ,\(PKDLDIF.base)\nsn: 42E575AF\n\n"
        var reader = LDIFReader(bytes: Array(record.utf8))
        let parsed = try #require(try reader.next())
        #expect(parsed.dn.hasPrefix("cn=OU\\=Identity"))
        // Imported as a container-less entry without a binary value: nothing to store, no error.
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let summary = try fixture.importBytes(Array((PKDLDIF.header() + record).utf8), "names.ldif")
        #expect(summary.ldifRecords == 2 && summary.certificatesAddedTotal == 0)
    }
}
