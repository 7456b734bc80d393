import Foundation
import NPKD
import PKICore
import Testing
import TestSupport

/// ICAO PKD delta files (RFC 2849 change records): `delete` withdraws what an entry brought, `modify` replaces it,
/// and the pkdVersion sequence is checked against what was applied.
extension PKDLDIF {
    static func certificateDN(_ certificate: Certificate, country: String) -> String {
        "cn=\(escape(ldapName(certificate.subject)))+sn=\(certificate.serialNumberHex),o=dsc,c=\(country),\(base)"
    }

    static func crlDN(_ crl: CertificateRevocationList, country: String) -> String {
        "cn=\(escape(ldapName(crl.issuer))),o=crl,c=\(country),\(base)"
    }

    static func delete(_ dn: String) -> String {
        fold("dn: \(dn)") + "changetype: delete\n\n"
    }

    /// A modify record replacing an entry's CRL and its pkdVersion, as ICAO's deltas write it.
    static func replaceCRL(_ crl: CertificateRevocationList, country: String, version: Int) -> String {
        fold("dn: \(crlDN(crl, country: country))") + "changetype: modify\n" + "replace: certificateRevocationList;binary\n"
            + fold("certificateRevocationList;binary:: \(Data(crl.derEncoded).base64EncodedString())") + "-\n"
            + "replace: pkdVersion\npkdVersion: \(version)\n-\n\n"
    }

    /// A content entry as a change record: `changetype: add` after its (possibly folded) dn.
    static func add(_ entry: String) -> String {
        var lines = entry.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var afterDN = 1
        while afterDN < lines.count, lines[afterDN].hasPrefix(" ") { afterDN += 1 }
        lines.insert("changetype: add", at: afterDN)
        return lines.joined(separator: "\n")
    }
}

@Suite struct DeltaImportTests {
    /// The complete collection 001 at version 100: two NZ Document Signers and the CRL of the NZ CSCA, which is trusted.
    struct Collection {
        let fixture: NPKDFixture
        let nz: CountryPKI
        let ds1: CountryPKI.Signer
        let ds2: CountryPKI.Signer
        let crl: CertificateRevocationList

        init(revoking: [Certificate] = []) throws {
            fixture = try NPKDFixture()
            nz = try CountryPKI("NZ")
            ds1 = try nz.documentSigner(1)
            ds2 = try nz.documentSigner(2)
            crl = try nz.crl(number: 3, revoked: revoking)
            _ = try fixture.pkd.trust(nz.csca)
        }

        func importComplete() throws -> ImportSummary {
            let text = PKDLDIF.header() + PKDLDIF.certificateEntry(ds1.certificate, country: "NZ", version: 98)
                + PKDLDIF.certificateEntry(ds2.certificate, country: "NZ", version: 99) + PKDLDIF.crlEntry(crl, country: "NZ", version: 100)
            return try fixture.importBytes(Array(text.utf8), "icaopkd-001-complete-000100.ldif")
        }

        func held(_ certificate: Certificate) throws -> NPKDCertificate {
            try #require(try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(certificate.encoded).hexString))
        }
    }

    /// A delta deleting a DSC's entry: the DSC is no longer trusted (kept, with why), the other stays trusted; a later
    /// delta adding it again lists it again.
    @Test func aDeltaDeletesADocumentSigner() throws {
        let c = try Collection()
        defer { c.fixture.cleanUp() }
        _ = try c.importComplete()
        #expect(try c.held(c.ds1.certificate).state == .trusted)

        // The dn spelled as a directory may: other case, dn:: in base64.
        let dn = PKDLDIF.certificateDN(c.ds1.certificate, country: "NZ").replacingOccurrences(of: "o=dsc", with: "O=DSC")
        let delta = PKDLDIF.header() + PKDLDIF.fold("dn:: \(Data(dn.utf8).base64EncodedString())") + "changetype: delete\n\n"
        let summary = try c.fixture.importBytes(Array(delta.utf8), "icaopkd-001-delta-000101.ldif")
        #expect(summary.isDelta && summary.certificatesWithdrawn == 1 && summary.pkdVersionGaps.isEmpty, "\(summary)")
        let withdrawn = try c.held(c.ds1.certificate)
        #expect(withdrawn.state == .untrusted)
        #expect(withdrawn.stateReason.contains("withdrawn") && withdrawn.stateReason.contains("icaopkd-001-delta-000101.ldif"), "\(withdrawn.stateReason)")
        #expect(withdrawn.withdrawn != nil)
        #expect(try c.held(c.ds2.certificate).state == .trusted)
        #expect(try c.fixture.pkd.status().pkdVersions["001"] == 101)
        let audit = try #require(try c.fixture.pkd.auditEntries().last)
        #expect(audit.action == "npkd.import" && audit.details["certificatesWithdrawn"] == "1")

        // Deleting an entry nothing came from withdraws nothing, and says so.
        let unknown = PKDLDIF.header() + PKDLDIF.delete("cn=CN\\=Nobody\\,C\\=NZ+sn=0BADC0DE,o=dsc,c=NZ,\(PKDLDIF.base)")
            + PKDLDIF.add(PKDLDIF.certificateEntry(c.ds1.certificate, country: "NZ", version: 102))
        let again = try c.fixture.importBytes(Array(unknown.utf8), "icaopkd-001-delta-000102.ldif")
        #expect(again.certificatesWithdrawn == 0 && again.notes.contains { $0.contains("nothing withdrawn") }, "\(again.notes)")
        // The same delta added the DSC's entry back: the PKD lists it again.
        #expect(again.duplicatesMerged == 1)
        let relisted = try c.held(c.ds1.certificate)
        #expect(relisted.state == .trusted && relisted.withdrawn == nil, "\(relisted.stateReason)")

        // A DSC held only from a loose file is not the PKD's to withdraw: its entry names nothing the PKD brought.
        let loose = try c.nz.documentSigner(3)
        _ = try c.fixture.importBytes(loose.certificate.derEncoded, "ds3.der")
        let deletion = PKDLDIF.header() + PKDLDIF.delete(PKDLDIF.certificateDN(loose.certificate, country: "NZ"))
        let unlisted = try c.fixture.importBytes(Array(deletion.utf8), "icaopkd-001-delta-000103.ldif")
        #expect(unlisted.certificatesWithdrawn == 0)
        #expect(try c.held(loose.certificate).state == .trusted)
    }

    /// A delta replacing a CRL (modify/replace): the new CRL decides, the old one applies to nothing; a delta deleting the
    /// CRL leaves the CSCA without one, so its DSCs are no longer trusted.
    @Test func aDeltaModifiesACRL() throws {
        let c = try Collection(revoking: [])
        defer { c.fixture.cleanUp() }
        // CRL 3 revokes DS 1 in the complete collection.
        let first = try c.nz.crl(number: 3, revoked: [c.ds1.certificate])
        let text = PKDLDIF.header() + PKDLDIF.certificateEntry(c.ds1.certificate, country: "NZ", version: 98)
            + PKDLDIF.certificateEntry(c.ds2.certificate, country: "NZ", version: 99) + PKDLDIF.crlEntry(first, country: "NZ", version: 100)
        _ = try c.fixture.importBytes(Array(text.utf8), "icaopkd-001-complete-000100.ldif")
        #expect(try c.held(c.ds1.certificate).state == .revoked)
        #expect(try c.held(c.ds2.certificate).state == .trusted)

        // CRL 4 replaces it and revokes DS 2 instead.
        let second = try c.nz.crl(number: 4, revoked: [c.ds2.certificate])
        let delta = PKDLDIF.header() + PKDLDIF.replaceCRL(second, country: "NZ", version: 101)
        let summary = try c.fixture.importBytes(Array(delta.utf8), "icaopkd-001-delta-000101.ldif")
        #expect(summary.crlsWithdrawn == 1 && summary.crlsAdded == 1 && summary.crlEntries == 1, "\(summary)")
        #expect(try c.held(c.ds1.certificate).state == .trusted)
        #expect(try c.held(c.ds2.certificate).state == .revoked)
        let crls = try c.fixture.pkd.crls(country: "NZ")
        #expect(crls.map(\.status).sorted() == ["current", "withdrawn"], "\(crls.map(\.status))")
        #expect(crls.first { $0.status == "current" }?.crlNumber == "04")
        #expect(try c.fixture.pkd.status().pkdVersions["001"] == 101)

        // The entry deleted: no CRL of the CSCA is held any more, so neither DSC is trusted (a DS needs its CSCA's CRL).
        let deletion = PKDLDIF.header() + PKDLDIF.delete(PKDLDIF.crlDN(second, country: "NZ"))
        let deleted = try c.fixture.importBytes(Array(deletion.utf8), "icaopkd-001-delta-000102.ldif")
        #expect(deleted.crlsWithdrawn == 1)
        for signer in [c.ds1, c.ds2] {
            let held = try c.held(signer.certificate)
            #expect(held.state == .untrusted && held.stateReason.contains("no CRL"), "\(held.stateReason)")
        }
        #expect(try c.fixture.pkd.status().currentCRLs == 0)
    }

    /// A delta that skips versions is applied and the gap reported (summary, notes, audit trail).
    @Test func aDeltaWithAPKDVersionGapIsAppliedAndReported() throws {
        let c = try Collection()
        defer { c.fixture.cleanUp() }
        _ = try c.importComplete()
        let ds3 = try c.nz.documentSigner(3)
        let delta = PKDLDIF.header() + PKDLDIF.add(PKDLDIF.certificateEntry(ds3.certificate, country: "NZ", version: 103))
        let summary = try c.fixture.importBytes(Array(delta.utf8), "icaopkd-001-delta-000103.ldif")
        #expect(summary.certificatesAdded["ds"] == 1)
        #expect(summary.pkdVersionGaps == ["collection 001: version 100 held, this delta starts at 103; 101–102 missing"], "\(summary.pkdVersionGaps)")
        #expect(summary.notes.contains { $0.hasPrefix("pkdVersion gap:") })
        #expect(summary.description.contains("pkdVersion gap"))
        #expect(try c.fixture.pkd.status().pkdVersions["001"] == 103)
        let audit = try #require(try c.fixture.pkd.auditEntries().last)
        #expect(audit.details["pkdVersionGaps"]?.contains("101–102 missing") == true, "\(audit.details)")
        #expect(try c.held(ds3.certificate).state == .trusted)
    }

    /// A delta not newer than what was applied is refused whole, by its file name before reading it, or by its content.
    @Test func aDeltaOlderThanWhatWasAppliedIsRefused() throws {
        let c = try Collection()
        defer { c.fixture.cleanUp() }
        _ = try c.importComplete()
        let ds3 = try c.nz.documentSigner(3)
        let auditBefore = try c.fixture.auditActions().count
        let certificatesBefore = try c.fixture.count("npkd_certificate")

        let old = PKDLDIF.header() + PKDLDIF.add(PKDLDIF.certificateEntry(ds3.certificate, country: "NZ", version: 100))
            + PKDLDIF.delete(PKDLDIF.certificateDN(c.ds1.certificate, country: "NZ"))
        expectError(NPKDError(.staleDelta, "icaopkd-001-delta-000100.ldif: delta of collection 001 at pkdVersion 100 is not newer than version 100")) {
            try c.fixture.importBytes(Array(old.utf8), "icaopkd-001-delta-000100.ldif")
        }
        // Named otherwise, the pkdVersions inside tell: refused at the end, everything rolled back.
        expectError(NPKDError(.staleDelta, "collection 001 at pkdVersion 100 is not newer than version 100 already applied")) {
            try c.fixture.importBytes(Array(old.utf8), "nz-update-delta.ldif")
        }
        #expect(try c.fixture.count("npkd_certificate") == certificatesBefore)
        #expect(try c.fixture.auditActions().count == auditBefore)
        #expect(try c.held(c.ds1.certificate).state == .trusted)
        #expect(try c.fixture.pkd.status().pkdVersions["001"] == 100)
    }

    /// A modify record whose operation runs into another attribute without its '-' line is refused, naming the line.
    @Test func aModifyWithoutItsSeparatorNamesTheLine() throws {
        let c = try Collection()
        defer { c.fixture.cleanUp() }
        _ = try c.importComplete()
        let crl = try c.nz.crl(number: 4)
        let record = "dn: \(PKDLDIF.crlDN(crl, country: "NZ"))\nchangetype: modify\nreplace: certificateRevocationList;binary\n"
            + "certificateRevocationList;binary:: \(Data(crl.derEncoded).base64EncodedString())\npkdVersion: 101\n\n"
        let text = PKDLDIF.header() + record
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.hasPrefix("pkdVersion: 101") }) + 1
        expectError(NPKDError(.malformedLDIF, "line \(line), entry 2: 'pkdVersion' inside the replace of 'certificateRevocationList;binary'")) {
            try c.fixture.importBytes(Array(text.utf8), "icaopkd-001-delta-000101.ldif")
        }
        #expect(try c.fixture.pkd.crls(country: "NZ").map(\.status) == ["current"])
    }
}
