import CSCA
import Foundation
import NPKD
import PKICore
import Testing
import TestSupport

@Suite struct MasterListImportTests {
    /// The real ICAO master list: signature and signer chain verify, all 520 certificates are stored and linted,
    /// the non-conformant ones are named; without a trusted signer nothing becomes a trust anchor.
    @Test func theICAOMasterListImportsUntrustedWithoutATrustedSigner() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        let summary = try fixture.importBytes(ICAOVector.bytes(), "ICAO_ml.ml")
        #expect(summary.format == .masterList)
        #expect(summary.masterLists == 1)
        #expect(summary.anchorsAdded == 0)
        let authorities = try fixture.pkd.certificates(kinds: ["csca", "link"])
        // 520 in the list; the embedded UN CSCA is one of them or one more.
        #expect(authorities.count >= 520 && authorities.count <= 521, "\(authorities.count)")
        #expect(Set(authorities.map(\.country)).count >= 90)  // 95 as written; some countries spell C in lower case
        #expect(authorities.allSatisfy { $0.state != .trusted && $0.state != .nonConformantAccepted })
        #expect(authorities.allSatisfy { $0.anchor == nil })
        // Findings name the non-conformant ones: SHA-1 signatures (61 in the list) among them.
        let withErrors = authorities.filter { certificate in certificate.findings.contains { $0.severity == "error" } }
        #expect(withErrors.count > 61)
        #expect(authorities.filter { $0.findings.contains { $0.message.contains("SHA-1") } }.count == 61)
        let lists = try fixture.pkd.lists()
        #expect(lists.count == 1)
        #expect(lists.first?.state == .untrusted)
        #expect(lists.first?.stateReason.contains("not trusted") == true)
        #expect(lists.first?.signerSubject.contains("ICAO Master List Signer") == true)
        #expect(try fixture.auditActions() == ["npkd.import"])
        print("ICAO master list: \(summary)")
    }

    @Test func theICAOMasterListTrustedBySignerGivesAnchors() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        let summary = try fixture.importBytes(ICAOVector.bytes(), "ICAO_ml.ml", trustSigners: [ICAOVector.signer()])
        #expect(summary.anchorsAdded == 520)
        let authorities = try fixture.pkd.certificates(kinds: ["csca", "link"])
        let usable = authorities.filter { $0.state.isUsable }
        let expired = authorities.filter { $0.state == .expired }
        #expect(usable.count + expired.count + authorities.filter { $0.anchor == nil }.count >= 520)
        #expect(usable.count > 300, "\(usable.count) usable")
        // Non-conformant certificates are accepted and say so.
        #expect(usable.contains { $0.state == .nonConformantAccepted })
        #expect(usable.contains { $0.state == .trusted })
        #expect(try fixture.pkd.lists().first?.state == .trusted)
        #expect(try fixture.auditActions() == ["npkd.trust-signer", "npkd.import"])
        // The Costa Rica CSCA of the PKD samples is one of them.
        let costaRica = try Certificate(bytes: TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer"))
        let report = try fixture.pkd.explain(costaRica)
        #expect(report.check(named: NationalPKD.ExplainCheck.held)?.status == .passed)
        #expect(report.check(named: NationalPKD.ExplainCheck.anchor)?.detail.contains("master list") == true, "\(report)")
    }

    @Test func trustingTheSignerLaterTurnsTheListIntoAnchors() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        _ = try fixture.importBytes(ICAOVector.bytes(), "ICAO_ml.ml")
        #expect(try fixture.pkd.certificates(kinds: ["csca"], states: [.trusted]).isEmpty)
        try fixture.pkd.trustSigner(ICAOVector.signer())
        #expect(!(try fixture.pkd.certificates(kinds: ["csca"], states: [.trusted]).isEmpty))
        #expect(try fixture.pkd.lists().first?.state == .trusted)
        // Importing the same list again merges: nothing new.
        let again = try fixture.importBytes(ICAOVector.bytes(), "ICAO_ml-copy.ml")
        #expect(again.certificatesAddedTotal == 0)
        #expect(again.notes.contains { $0.contains("already imported") })
        try fixture.pkd.distrustSigner(fingerprint: HashAlgorithm.sha256.hash(ICAOVector.signer().encoded).hexString)
        #expect(try fixture.pkd.certificates(kinds: ["csca"], states: [.trusted]).isEmpty)
        #expect(try fixture.auditActions() == ["npkd.import", "npkd.trust-signer", "npkd.import", "npkd.distrust-signer"])
    }

    /// A master list whose signature is broken is refused whole: no certificate, no list, no audit entry.
    @Test func aMasterListWithABrokenSignatureIsRefusedAndLeavesNothing() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        let pki = try CountryPKI("UT")
        let mls = try pki.listSigner(.masterList)
        var bytes = try pki.masterList([pki.csca], signer: mls)
        // The ECDSA signature is the last OCTET STRING of the SignerInfo, at the end of the encoding.
        bytes[bytes.count - 10] ^= 0x01
        expectError(NPKDError(.signatureInvalid, "broken.ml: master list refused, nothing of it stored: CMS signature: ecdsa-sha256 does not verify")) {
            try fixture.importBytes(bytes, "broken.ml", trustSigners: [mls.certificate])
        }
        do {
            _ = try fixture.importBytes(bytes, "broken.ml")
        } catch let error as NPKDError {
            #expect(error.reason.contains("broken.ml") && error.reason.contains("CMS signature"), "\(error)")
        }
        #expect(try fixture.count("npkd_certificate") == 0)
        #expect(try fixture.count("npkd_list") == 0)
        #expect(try fixture.count("npkd_trusted_signer") == 0)
        #expect(try fixture.count("audit_entry") == 0)
    }

    /// A country's master list: the certificates it carries (CSCA and a link) are anchors once its signer is trusted;
    /// duplicates with the ICAO list are merged and keep both sources.
    @Test func aCountryMasterListMergesDuplicatesAndRecordsSources() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let old = try CountryPKI("UT")
        let (new, link) = try CountryPKI.rollover(from: old)
        let mls = try old.listSigner(.masterList)
        let first = try fixture.importBytes(old.masterList([old.csca, new.csca, link], signer: mls), "ut-1.ml", trustSigners: [old.csca])
        #expect(first.certificatesAdded["csca"] == 2 && first.certificatesAdded["link"] == 1 && first.certificatesAdded["mls"] == 1)
        #expect(first.anchorsAdded == 3)
        let second = try fixture.importBytes(old.masterList([old.csca, link], signer: mls), "ut-2.ml")
        #expect(second.certificatesAddedTotal == 0)
        #expect(second.duplicatesMerged >= 3)
        let held = try #require(try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(old.csca.encoded).hexString))
        #expect(try fixture.pkd.sources(of: held).count == 4)  // in each file as a list entry and as the embedded CSCA
        #expect(held.state == .trusted, "\(held.stateReason)")
    }
}
