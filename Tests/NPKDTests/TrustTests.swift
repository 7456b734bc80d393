import CSCA
import Foundation
import ICAOProfile
import NPKD
import PKICore
import Testing
import TestSupport

@Suite struct TrustTests {
    typealias Check = NationalPKD.ExplainCheck

    /// The Costa Rica CRL of the ICAO PKD samples, imported after its CSCA, is that CSCA's latest CRL.
    @Test func theCostaRicaCRLIsTheLatestCRLOfItsCSCA() throws {
        let fixture = try NPKDFixture(clock: ICAOVector.clock)
        defer { fixture.cleanUp() }
        let csca = try Certificate(bytes: TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer"))
        let crlBytes = try TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl")
        // The CRL first: its signer is unknown, so it applies to nothing, and explain says so.
        let early = try fixture.importBytes(crlBytes, "CR_18.crl")
        #expect(early.format == .crl && early.crlsUnverified == 1)
        let unapplied = try fixture.pkd.explain(try CertificateRevocationList(bytes: crlBytes))
        #expect(unapplied.check(named: Check.issuer)?.status == .failed)
        #expect(unapplied.check(named: Check.issuer)?.detail.contains("applies to nothing") == true, "\(unapplied)")
        #expect(try NPKDTrustSource(fixture.pkd).latestCRL(issuedBy: csca) == nil)

        // Then the CSCA (bilateral, confirmed): the CRL held now verifies and applies.
        try fixture.pkd.trust(csca, note: "received from Costa Rica")
        let latest = try #require(try NPKDTrustSource(fixture.pkd).latestCRL(issuedBy: csca))
        #expect(latest.crlNumber?.value == 18)
        #expect(try fixture.pkd.crls(country: "CR").first?.status == "current")
        let applied = try fixture.pkd.explain(try CertificateRevocationList(bytes: crlBytes))
        #expect(applied.check(named: Check.crl)?.status == .passed, "\(applied)")

        // Importing it again is a duplicate; a fresh store importing CSCA then CRL gets the same answer.
        #expect(try fixture.importBytes(crlBytes, "CR_18-again.crl").duplicatesMerged == 1)
        let other = try NPKDFixture(clock: ICAOVector.clock)
        defer { other.cleanUp() }
        _ = try other.importBytes(ICAOVector.bytes(), "ICAO.ml", trustSigners: [ICAOVector.signer()])
        let summary = try other.importBytes(crlBytes, "CR_18.crl")
        #expect(summary.crlsAdded == 1 && summary.crlsUnverified == 0)
        #expect(try NPKDTrustSource(other.pkd).latestCRL(issuedBy: csca)?.crlNumber?.value == 18)
        #expect(try other.pkd.crls(country: "CR").first?.status == "current")
    }

    /// explain for trusted, untrusted, revoked and expired certificates, step by step; the stored states agree.
    @Test func explainSaysWhy() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let good = try ut.documentSigner(1)
        let revoked = try ut.documentSigner(2)
        let expired = try ut.expiredDocumentSigner()
        let foreign = try CountryPKI("ZZ")
        let foreignDS = try foreign.documentSigner()
        try fixture.pkd.trust(ut.csca)
        for (index, certificate) in [good.certificate, revoked.certificate, expired.certificate, foreign.csca, foreignDS.certificate].enumerated() {
            _ = try fixture.importBytes(Array(certificate.pemEncoded.utf8), "cert-\(index).pem")
        }
        // No CRL yet: even the good DS is not trusted.
        let noCRL = try fixture.pkd.explain(good.certificate)
        #expect(noCRL.check(named: Check.crl)?.status == .failed)
        #expect(noCRL.check(named: Check.crl)?.detail.contains("latest CRL") == true)
        #expect(noCRL.check(named: Check.state)?.detail.hasPrefix("untrusted") == true)

        _ = try fixture.importBytes(ut.crl(number: 1, revoked: [revoked.certificate]).derEncoded, "ut-1.crl")

        let trusted = try fixture.pkd.explain(good.certificate)
        #expect(trusted.isValid, "\(trusted)")
        #expect(trusted.check(named: Check.issuer)?.status == .passed)
        #expect(trusted.check(named: Check.issuerTrusted)?.detail.contains("confirmed bilaterally") == true)
        #expect(trusted.check(named: Check.revocation)?.status == .passed)
        #expect(trusted.check(named: Check.state)?.detail.hasPrefix("trusted") == true)

        let revokedReport = try fixture.pkd.explain(revoked.certificate)
        #expect(!revokedReport.isValid)
        #expect(revokedReport.check(named: Check.revocation)?.status == .failed)
        #expect(revokedReport.check(named: Check.state)?.detail.hasPrefix("revoked") == true)

        let expiredReport = try fixture.pkd.explain(expired.certificate)
        #expect(expiredReport.check(named: Check.validity)?.status == .failed)
        #expect(expiredReport.check(named: Check.state)?.detail.hasPrefix("expired") == true)

        let untrusted = try fixture.pkd.explain(foreignDS.certificate)
        #expect(untrusted.check(named: Check.issuer)?.status == .passed)
        #expect(untrusted.check(named: Check.issuerTrusted)?.status == .failed)
        #expect(untrusted.check(named: Check.state)?.detail.hasPrefix("untrusted") == true)
        let foreignCSCA = try fixture.pkd.explain(foreign.csca)
        #expect(foreignCSCA.check(named: Check.anchor)?.detail.contains("not a trust anchor") == true)

        // A DS no one holds the CSCA of.
        let stranger = try CountryPKI("YY").documentSigner()
        let unknown = try fixture.pkd.explain(stranger.certificate)
        #expect(unknown.check(named: Check.held)?.status == .notChecked)
        #expect(unknown.check(named: Check.issuer)?.detail.contains("is held") == true)

        // The stored states say the same.
        func state(_ certificate: Certificate) throws -> TrustState? {
            try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(certificate.encoded).hexString)?.state
        }
        #expect(try state(good.certificate) == .trusted)
        #expect(try state(revoked.certificate) == .revoked)
        #expect(try state(expired.certificate) == .expired)
        #expect(try state(foreignDS.certificate) == .untrusted)
        #expect(try state(ut.csca) == .trusted)
        #expect(try state(foreign.csca) == .untrusted)
        #expect(try fixture.auditActions().filter { $0 == "npkd.trust" }.count == 1)
    }

    /// A CRL held as unverified is tried again when an import brings a CA certificate, and only then: a DS imported
    /// meanwhile leaves it as it was, the CSCA imported as a plain file makes it apply.
    @Test func aCRLHeldAsUnverifiedAppliesWhenAnImportBringsItsCSCA() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let ds = try ut.documentSigner()
        let early = try fixture.importBytes(ut.crl(number: 3, revoked: [ds.certificate]).derEncoded, "ut-3.crl")
        #expect(early.crlsUnverified == 1)
        let appliedNote = "received earlier now verifies"
        let dsImport = try fixture.importBytes(ds.certificate.derEncoded, "ds.der")
        #expect(!dsImport.notes.contains { $0.contains(appliedNote) }, "\(dsImport.notes)")
        #expect(try fixture.pkd.crls(country: "UT").map(\.status) == ["unverified"])
        let cscaImport = try fixture.importBytes(ut.csca.derEncoded, "csca.der")
        #expect(cscaImport.notes.contains { $0.contains(appliedNote) }, "\(cscaImport.notes)")
        #expect(try fixture.pkd.crls(country: "UT").map(\.status) == ["current"])
        // Applied once: a later import of anything finds nothing left to apply.
        let again = try fixture.importBytes(try ut.documentSigner(2).certificate.derEncoded, "ds-2.der")
        #expect(!again.notes.contains { $0.contains(appliedNote) })
    }

    /// A CRL signed by an unknown CA is applied to nothing, and explain says so for the DS it names.
    @Test func aCRLFromAnUnknownCAIsNotApplied() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let ds = try ut.documentSigner()
        let impostor = try CountryPKI("UT")  // same name, another key
        try fixture.pkd.trust(ut.csca)
        _ = try fixture.importBytes(ds.certificate.derEncoded, "ds.der")
        let summary = try fixture.importBytes(impostor.crl(number: 7, revoked: [ds.certificate]).derEncoded, "impostor.crl")
        #expect(summary.crlsUnverified == 1)
        #expect(summary.notes.contains { $0.contains("applied to nothing") })
        let report = try fixture.pkd.explain(ds.certificate)
        #expect(report.check(named: Check.revocation) == nil)
        #expect(report.check(named: Check.crl)?.detail.contains("signed by an unknown CA, so they apply to nothing") == true, "\(report)")
        #expect(try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(ds.certificate.encoded).hexString)?.state == .untrusted)
        let revocation = try fixture.pkd.revocation(issuer: ut.csca.subjectKeyIdentifier?.hexString ?? "", serial: ds.certificate.serialNumberHex)
        #expect(revocation.status == .unknown)
    }

    /// A link certificate extends the chain: a DS of the new CSCA key is trusted through the old, confirmed CSCA.
    @Test func linkCertificatesExtendTheChain() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let old = try CountryPKI("UT")
        let (new, link) = try CountryPKI.rollover(from: old)
        let ds = try new.documentSigner()
        try fixture.pkd.trust(old.csca)
        for (name, bytes) in [("link.der", link.derEncoded), ("new.der", new.csca.derEncoded), ("ds.der", ds.certificate.derEncoded),
                              ("new.crl", try new.crl(number: 1).derEncoded)] {
            _ = try fixture.importBytes(bytes, name)
        }
        let report = try fixture.pkd.explain(ds.certificate)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: Check.issuerTrusted)?.detail.contains("link certificate") == true, "\(report)")
        #expect(try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(new.csca.encoded).hexString)?.state == .trusted)
        // Withdrawing the old anchor withdraws what hung on it.
        _ = try fixture.pkd.distrust(fingerprint: HashAlgorithm.sha256.hash(old.csca.encoded).hexString, note: "test")
        #expect(try fixture.pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(ds.certificate.encoded).hexString)?.state == .untrusted)
        #expect(try fixture.auditActions().contains("npkd.distrust"))
    }

    /// CRL entries are linted while they are indexed: a forbidden entry extension is a finding of the CRL.
    @Test func crlEntryFindingsAreRecordedWhileIndexing() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        try fixture.pkd.trust(ut.csca)
        // reasonCode keyCompromise (ENUMERATED 1) and invalidityDate: tolerated and forbidden respectively.
        let extensions = Extensions([Extension(oid: .X509Extension.reasonCode, critical: false, value: [0x0A, 0x01, 0x01][...]),
                                     Extension(oid: .X509Extension.invalidityDate, critical: false,
                                               value: Array("\u{18}\u{0F}20270901000000Z".utf8)[...])])
        let entries = [RevokedCertificate(serialNumber: [0x42][...], revocationDate: try Time(CountryPKI.now), extensions: extensions)]
        let crl = try CRLBuilder(issuer: ut.csca.subject, thisUpdate: CountryPKI.now, nextUpdate: CountryPKI.now.addingTimeInterval(CountryPKI.day),
                                 authorityKeyIdentifier: ut.csca.subjectKeyIdentifier ?? [], crlNumber: CRLNumber(1)).sign(entries: entries, with: ut.cscaSigner)
        _ = try fixture.importBytes(crl.derEncoded, "reasons.crl")
        let held = try #require(try fixture.pkd.crls().first)
        #expect(held.status == "current" && held.entries == 1)
        #expect(held.findings.contains { $0.rule == "9303-12 Table 10: entry reasonCode" && $0.severity == "warning" }, "\(held.findings)")
        #expect(held.findings.contains { $0.rule == "9303-12 Table 10: entry invalidityDate" && $0.severity == "error" }, "\(held.findings)")
        // The same findings as the CSCA module's linter over the whole CRL.
        let linted = Set(ProfileLinter.lint(crl).map(\.rule))
        #expect(Set(held.findings.map(\.rule)) == linted)
    }

    /// Only CSCA and link certificates can be confirmed as anchors.
    @Test func aDocumentSignerCannotBeAnAnchor() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ds = try CountryPKI("UT").documentSigner()
        expectError(NPKDError(.badRequest, "is a DS certificate: only CSCA and link certificates are trust anchors")) { try fixture.pkd.trust(ds.certificate) }
        #expect(try fixture.count("npkd_certificate") == 0)
    }

    /// The trust source serves passive authentication: trusted issuers only; revocation by index.
    @Test func theTrustSourceAnswersFromTheStore() throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let ds = try ut.documentSigner()
        let source = NPKDTrustSource(fixture.pkd)
        _ = try fixture.importBytes(ut.csca.derEncoded, "csca.der")
        #expect(try source.issuerCandidates(of: ds.certificate).isEmpty)  // held but not trusted
        try fixture.pkd.trust(ut.csca)
        #expect(try source.issuerCandidates(of: ds.certificate) == [ut.csca])
        if case .unknown = source.revocationStatus(of: ds.certificate, issuedBy: ut.csca) {} else { Issue.record("expected unknown without a CRL") }
        _ = try fixture.importBytes(ut.crl(number: 1).derEncoded, "1.crl")
        if case .notRevoked(let number, _) = source.revocationStatus(of: ds.certificate, issuedBy: ut.csca) {
            #expect(number?.value == 1)
        } else {
            Issue.record("expected not revoked")
        }
        _ = try fixture.importBytes(ut.crl(number: 2, revoked: [ds.certificate]).derEncoded, "2.crl")
        if case .revoked = source.revocationStatus(of: ds.certificate, issuedBy: ut.csca) {} else { Issue.record("expected revoked") }
        // An older CRL arriving late does not undo the newer one.
        let late = try fixture.importBytes(ut.crl(number: 1, thisUpdate: CountryPKI.now.addingTimeInterval(-3 * CountryPKI.day)).derEncoded, "late.crl")
        #expect(late.notes.contains { $0.contains("older") })
        if case .revoked = source.revocationStatus(of: ds.certificate, issuedBy: ut.csca) {} else { Issue.record("expected still revoked") }
        #expect(try fixture.pkd.crls().filter { $0.status == "current" }.count == 1)
    }
}
