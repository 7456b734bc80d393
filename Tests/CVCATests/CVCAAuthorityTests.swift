import CVC
import CVCA
import Foundation
import PKICore
import Store
import Testing
import TestSupport

/// The CVCA and DVCA on the store: the domestic and foreign flows, link certificates, rights and policy, each
/// chain checked by epki's verifier and by OpenPACE's cvc-print.
@Suite struct CVCAAuthorityTests {
    /// CVCA init → DVCA request → CVCA signs → DVCA imports → IS request → DVCA issues → the chain verifies.
    @Test func domesticFlow() throws {
        let fixture = try CVCAAuthorityFixture(start: CVCAAuthorityFixture.recentStart)
        defer { fixture.remove() }
        let cvca = try fixture.cvca("UT")
        let root = try cvca.initialize(country: "UT", key: CVCAAuthorityFixture.brainpool256)
        #expect(root.chr == "UTCVCA00001" && root.isSelfSigned)
        #expect(root.chat.authorizationHex == "C3")
        #expect(root.publicKey.domainParameters?.displayName == "brainpoolP256r1")
        #expect(root.publicKey.algorithm == .ecdsaSHA256)
        // The default periods (36, 3 and 1 months, the last day included); the known dates are in defaultValidityPeriods.
        #expect(root.body.effectiveDate == (try fixture.day()))
        #expect(root.body.expirationDate == (try fixture.day().adding(months: 36).adding(days: -1)))
        #expect(throws: CVCAError.self) { try cvca.initialize(country: "UT", key: CVCAAuthorityFixture.brainpool256) }

        let dvca = try fixture.dvca("UT")
        #expect(try dvca.initialize(country: "UT", mnemonic: "DVIS").description == "UTDVIS00001")
        let dvRequest = try dvca.request()
        #expect(dvRequest.request.chr == "UTDVIS00001")
        #expect(dvRequest.request.car == "UTCVCA00001")
        #expect(!dvRequest.request.isAuthenticated)
        #expect(dvRequest.request.publicKey.domainParameters?.displayName == "brainpoolP256r1")

        let dv = try cvca.signRequest(dvRequest.request.encoded)
        #expect(dv.resultCode == .okCertAvailable)
        #expect(dv.certificate.role == .domesticDV)
        #expect(dv.certificate.chat.authorizationHex == "83")
        #expect(dv.certificate.car == "UTCVCA00001")
        #expect(!dv.certificate.publicKey.hasDomainParameters)
        #expect(dv.certificate.body.expirationDate == (try fixture.day().adding(months: 3).adding(days: -1)))
        #expect(dv.chain.map(\.chr) == ["UTCVCA00001", "UTDVIS00001"])

        let imported = try dvca.importCertificate(dv.certificate)
        #expect(imported.isNew && imported.report.isValid)
        #expect(try !dvca.importCertificate(dv.certificate).isNew)

        let (_, isRequest) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00001", car: "UTDVIS00001")
        let terminal = try dvca.issueTerminal(isRequest.encoded)
        #expect(terminal.certificate.role == .terminal)
        #expect(terminal.certificate.chat.authorizationHex == "03")
        #expect(terminal.certificate.body.expirationDate == (try fixture.day().adding(months: 1).adding(days: -1)))
        #expect(terminal.chain.map(\.chr) == ["UTCVCA00001", "UTDVIS00001", "UTBCIS00001"])

        let report = CVChainVerifier(clock: fixture.clock(days: 2)).verify(path: CVCertificatePath(terminal.chain))
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "effective authorization")?.detail == "id-IS 03 (terminal; read DG3, read DG4)")
        let (verified, output) = try fixture.cvcPrintVerifies(terminal.certificate, trust: [root, dv.certificate])
        #expect(verified, "\(output)")
        #expect(output.contains("Read fingerprint") && output.contains("Read iris"))

        #expect(try cvca.efCVCA().references == ["UTCVCA00001"])
        #expect(try cvca.efCVCA().encoded.count == 36)
        #expect(try cvca.requests().map(\.resultCode) == [.okCertAvailable])
        #expect(try dvca.requests().map(\.chr) == ["UTBCIS00001"])
        #expect(try cvca.certificates(source: .issued).map(\.kind) == [.cvca, .documentVerifier, .terminal])
        let entries = try fixture.store.auditEntries(domain: "UT")
        #expect(entries.map(\.action) == ["cvca.init", "dvca.init", "dvca.request", "cvca.sign-request", "dvca.import", "dvca.issue-terminal"])
        #expect(try fixture.store.verifyAudit(domain: "UT").isIntact)
    }

    /// The default validity periods on a known date: from 1 November 2026 the CVCA ends on 31 October 2029, a DV
    /// on 31 January 2027 and an inspection system on 30 November 2026 (whole GMT days, the last one included).
    @Test func defaultValidityPeriods() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let (cvca, dvca, dv) = try fixture.domesticDomain("UT")
        let root = try cvca.currentKey().certificate
        #expect(root.body.effectiveDate.description == "2026-11-01")
        #expect(root.body.expirationDate.description == "2029-10-31")
        #expect(dv.body.effectiveDate.description == "2026-11-01")
        #expect(dv.body.expirationDate.description == "2027-01-31")
        let (_, request) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00001", car: "UTDVIS00001")
        let terminal = try dvca.issueTerminal(request.encoded).certificate
        #expect(terminal.body.effectiveDate.description == "2026-11-01")
        #expect(terminal.body.expirationDate.description == "2026-11-30")
    }

    /// The same flow on RSA-PSS keys: the DV's and the terminal's keys follow the CVCA's size and scheme.
    @Test func rsaPSSFlow() throws {
        let fixture = try CVCAAuthorityFixture(start: CVCAAuthorityFixture.recentStart)
        defer { fixture.remove() }
        let cvca = try fixture.cvca("UT")
        let root = try cvca.initialize(country: "UT", key: .rsa(bits: 2048))
        #expect(root.publicKey.algorithm == .rsaPSSSHA256)
        let dvca = try fixture.dvca("UT")
        _ = try dvca.initialize(country: "UT", mnemonic: "DVIS")
        let request = try dvca.request()
        #expect(request.request.publicKey.summary() == "RSA 2048, id-TA-RSA-PSS-SHA-256")
        let dv = try cvca.signRequest(request.request.encoded)
        _ = try dvca.importCertificate(dv.certificate)
        let terminalSigner = SoftwareSigner(key: try PrivateKey.generate(.rsa(bits: 2048)))
        let terminalRequest = try CVCertificateRequest.create(
            chr: CVCAAuthorityFixture.reference("UTBCIS00001"), signer: terminalSigner, algorithm: .rsaPSSSHA256)
        let terminal = try dvca.issueTerminal(terminalRequest.encoded)
        #expect(CVChainVerifier(clock: fixture.clock()).verify(path: CVCertificatePath(terminal.chain)).isValid)
        let (verified, output) = try fixture.cvcPrintVerifies(terminal.certificate, trust: [root, dv.certificate])
        #expect(verified, "\(output)")
        // An EC key under the RSA chain is refused with the domain-parameters code.
        let (_, ec) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00002")
        let refused = #expect(throws: CVCAError.self) { try dvca.issueTerminal(ec.encoded) }
        #expect(refused?.resultCode == .failureDomainParameters)
    }

    /// Country XX's DV asks our CVCA (UT): the initial request authenticated by XX's CVCA registered with us, the
    /// successive one by the DV's current key; XX's inspection systems then read UT's passports.
    @Test func foreignDocumentVerifier() throws {
        let fixture = try CVCAAuthorityFixture(start: CVCAAuthorityFixture.recentStart)
        defer { fixture.remove() }
        let ut = try fixture.cvca("UT")
        let utRoot = try ut.initialize(country: "UT", key: CVCAAuthorityFixture.brainpool256)
        let xx = try fixture.cvca("XX")
        let xxRoot = try xx.initialize(country: "XX", key: CVCAAuthorityFixture.brainpool256)
        let xxDVCA = try fixture.dvca("XX")
        _ = try xxDVCA.initialize(country: "XX", mnemonic: "DVIS")

        // The SPOCs exchanged the CVCA certificates; each operator registers the other's.
        #expect(try ut.registerForeignCVCA(xxRoot).isNew)
        #expect(try !ut.registerForeignCVCA(xxRoot).isNew)
        #expect(try xx.registerForeignCVCA(utRoot).isNew)
        #expect(throws: CVCAError.self) { try ut.registerForeignCVCA(utRoot) }

        // Without XX's CVCA vouching for it, the initial request is refused.
        let plain = try xxDVCA.request(to: "UTCVCA00001")
        #expect(!plain.request.isAuthenticated)
        let refused = #expect(throws: CVCAError.self) { try ut.signRequest(plain.request.encoded) }
        #expect(refused?.resultCode == .failureOuterSignature)

        let initial = try xxDVCA.request(to: "UTCVCA00001", authenticateWithNationalCVCA: true)
        #expect(initial.request.outer?.car == "XXCVCA00001")
        #expect(initial.request.car == "UTCVCA00001")
        let first = try ut.signRequest(initial.request.encoded)
        #expect(first.certificate.role == .foreignDV)
        #expect(first.certificate.chat.authorizationHex == "43")
        #expect(first.report.check(named: "authenticator")?.status == .passed)
        let firstImport = try xxDVCA.importCertificate(first.certificate)
        #expect(firstImport.path.certificates.map(\.chr) == ["UTCVCA00001", initial.request.chr])

        // Successive: authenticated by the current DV key (the one UT certified), not by the CVCA.
        let successive = try xxDVCA.request(to: "UTCVCA00001")
        #expect(successive.request.outer?.car == initial.request.chr)
        let second = try ut.signRequest(successive.request.encoded)
        #expect(second.certificate.role == .foreignDV)
        _ = try xxDVCA.importCertificate(second.certificate)
        #expect(try ut.requests().map(\.resultCode) == [.failureOuterSignature, .okCertAvailable, .okCertAvailable])

        // XX's CVCA cannot vouch for another country's DV.
        let stranger = SoftwareSigner(key: try PrivateKey.generate(CVCAAuthorityFixture.brainpool256))
        let yyRequest = try CVCertificateRequest.create(chr: CVCAAuthorityFixture.reference("YYDVIS00001"), signer: stranger, algorithm: .ecdsaSHA256)
            .authenticated(by: fixture.keys.signer(for: xx.currentKey().keyReference), certificate: xxRoot)
        let wrongCountry = #expect(throws: CVCAError.self) { try ut.signRequest(yyRequest.encoded) }
        #expect(wrongCountry?.resultCode == .failureRequestNotAccepted)

        // An inspection system of XX under the UT chain.
        let (_, isRequest) = try CVCAAuthorityFixture.terminalRequest("XXBCIS00001", car: second.certificate.chr)
        let terminal = try xxDVCA.issueTerminal(isRequest.encoded)
        #expect(terminal.chain.map(\.chr) == ["UTCVCA00001", second.certificate.chr, "XXBCIS00001"])
        #expect(terminal.certificate.chat.authorizationHex == "03")
        let report = CVChainVerifier(clock: fixture.clock(days: 1)).verify(path: CVCertificatePath(terminal.chain))
        #expect(report.isValid, "\(report)")
        let (verified, output) = try fixture.cvcPrintVerifies(terminal.certificate, trust: [utRoot, second.certificate])
        #expect(verified, "\(output)")
        #expect(try xxDVCA.chains().map { $0.certificates.map(\.chr) } == [["UTCVCA00001", second.certificate.chr]])
        for domain in ["UT", "XX"] { #expect(try fixture.store.verifyAudit(domain: domain).isIntact) }
    }

    /// Key rollover: the link certificate (with a change of curve and algorithm), EF.CVCA with both trust points,
    /// and DV certificates under the new key verifying through the link.
    @Test func linkCertificateAfterRollover() throws {
        let fixture = try CVCAAuthorityFixture(start: CVCAAuthorityFixture.recentStart)
        defer { fixture.remove() }
        let (cvca, _, _) = try fixture.domesticDomain("UT")
        let old = try cvca.currentKey().certificate
        let later = try fixture.cvca("UT", days: 10)
        let (selfSigned, link) = try later.link(key: .ec(.brainpoolP384r1, parameters: .namedCurve))
        #expect(selfSigned.chr == "UTCVCA00002" && link.chr == "UTCVCA00002")
        #expect(link.car == "UTCVCA00001")
        #expect(link.role == .cvca && link.chat.authorizationHex == "C3")
        #expect(link.publicKey.algorithm == .ecdsaSHA384)
        #expect(link.publicKey.domainParameters?.displayName == "brainpoolP384r1")
        #expect(try link.isSignatureValid(issuerKey: old.publicKey))
        #expect(try later.efCVCA().references == ["UTCVCA00002", "UTCVCA00001"])
        #expect(try later.cvcaKeys().map(\.chr) == ["UTCVCA00001", "UTCVCA00002"])
        #expect(try fixture.store.auditEntries(domain: "UT").last?.action == "cvca.link")

        // The DV's next key follows the new CVCA key's curve; its request is successive.
        let laterDVCA = try fixture.dvca("UT", days: 10)
        let next = try laterDVCA.request()
        #expect(next.request.car == "UTCVCA00002")
        #expect(next.request.outer?.car == "UTDVIS00001")
        #expect(next.request.publicKey.domainParameters?.displayName == "brainpoolP384r1")
        let dv2 = try later.signRequest(next.request.encoded)
        #expect(dv2.certificate.car == "UTCVCA00002")
        _ = try laterDVCA.importCertificate(dv2.certificate)

        // Through the link: the old trust point → link → DV, by epki and by OpenPACE.
        let clock = fixture.clock(days: 11)
        let viaLink = try CVCertificatePool([old, link]).path(to: dv2.certificate)
        #expect(viaLink.certificates.map(\.chr) == ["UTCVCA00001", "UTCVCA00002", "UTDVIS00002"])
        let report = CVChainVerifier(clock: clock).verify(path: viaLink)
        #expect(report.isValid, "\(report)")
        let (verified, output) = try fixture.cvcPrintVerifies(dv2.certificate, trust: [old, link])
        #expect(verified, "\(output)")

        // An inspection system under the new DV key, also through the link.
        let laterRequest = try CVCertificateRequest.create(
            chr: CVCAAuthorityFixture.reference("UTBCIS00001"), car: CVCAAuthorityFixture.reference("UTDVIS00002"),
            signer: SoftwareSigner(key: PrivateKey.generate(.ec(.brainpoolP384r1, parameters: .namedCurve))), algorithm: .ecdsaSHA384)
        let terminal = try laterDVCA.issueTerminal(laterRequest.encoded)
        let terminalPath = CVCertificatePath([old, link, dv2.certificate, terminal.certificate])
        #expect(CVChainVerifier(clock: clock).verify(path: terminalPath).isValid)
        let (terminalVerified, terminalOutput) = try fixture.cvcPrintVerifies(terminal.certificate, trust: [old, link, dv2.certificate])
        #expect(terminalVerified, "\(terminalOutput)")

        // A request still addressed to the old key is signed by it while it is valid.
        let addressedToOld = try laterDVCA.request(to: "UTCVCA00001")
        #expect(addressedToOld.request.publicKey.domainParameters?.displayName == "brainpoolP256r1")
        let underOld = try later.signRequest(addressedToOld.request.encoded)
        #expect(underOld.certificate.car == "UTCVCA00001")
    }

    /// Rights are the AND with the issuer's: a DV never gets more than the CVCA, a terminal never more than the DV.
    @Test func rightsNeverExceedTheIssuers() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        // A CVCA that may delegate DG3 only.
        let (cvca, dvca, dv) = try fixture.domesticDomain("UT", rights: [0x01])
        #expect(try cvca.currentKey().certificate.chat.authorizationHex == "C1")
        #expect(dv.chat.authorizationHex == "81")
        let (_, asked) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00001")
        let terminal = try dvca.issueTerminal(asked.encoded, rights: [0x03])
        #expect(terminal.certificate.chat.authorizationHex == "01")
        #expect(terminal.rights == [0x01])

        // A DV given DG4 only by the operator: its terminals get DG4 at most.
        let other = try CVCAAuthorityFixture()
        defer { other.remove() }
        let full = try other.cvca("ZZ")
        _ = try full.initialize(country: "ZZ", key: CVCAAuthorityFixture.brainpool256)
        let zzDVCA = try other.dvca("ZZ")
        _ = try zzDVCA.initialize(country: "ZZ", mnemonic: "DVIS")
        let narrow = try full.signRequest(zzDVCA.request().request.encoded, rights: [0x02])
        #expect(narrow.certificate.chat.authorizationHex == "82")
        _ = try zzDVCA.importCertificate(narrow.certificate)
        let (_, zzRequest) = try CVCAAuthorityFixture.terminalRequest("ZZBCIS00001")
        let zzTerminal = try zzDVCA.issueTerminal(zzRequest.encoded, rights: [0x03])
        #expect(zzTerminal.certificate.chat.authorizationHex == "02")
        let path = CVCertificatePath(zzTerminal.chain)
        #expect(path.effectiveAuthorization?.inspectionSystemRights == .readDG4)
        // Role bits in the rights are refused, not silently used.
        #expect(throws: (any Error).self) { try full.signRequest(zzDVCA.request().request.encoded, rights: [0xC3]) }
    }

    /// The operator's validity policy per role, audited; the EU limits; a DV never outlives its CVCA.
    @Test func validityPolicy() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let cvca = try fixture.cvca("UT")
        var policy = CVCAPolicy()
        policy.cvcaValidity = .months(2)
        _ = try cvca.initialize(country: "UT", key: CVCAAuthorityFixture.brainpool256, policy: policy)
        #expect(try cvca.currentKey().certificate.body.expirationDate.description == "2026-12-31")

        policy.documentVerifierValidity = .days(45)
        policy.terminalValidity = .days(14)
        try cvca.setPolicy(policy)
        #expect(try cvca.policy() == policy)
        let entry = try fixture.store.auditEntries(domain: "UT").last
        #expect(entry?.action == "cvca.policy")
        #expect(entry?.details["policy"]?.contains("\"documentVerifierValidity\":\"45d\"") == true)
        #expect(entry?.details["previous"]?.contains("\"documentVerifierValidity\":\"3m\"") == true)

        var tooLong = policy
        tooLong.documentVerifierValidity = .months(4)
        #expect(throws: CVCAError.self) { try cvca.setPolicy(tooLong) }
        tooLong = policy
        tooLong.terminalValidity = .days(31)
        #expect(throws: CVCAError.self) { try cvca.setPolicy(tooLong) }
        tooLong = policy
        tooLong.cvcaValidity = .months(37)
        #expect(throws: CVCAError.self) { try cvca.setPolicy(tooLong) }
        #expect(try ValidityPeriod(parsing: "36m") == .months(36))
        #expect(try ValidityPeriod(parsing: "30d") == .days(30))
        #expect(throws: CVCAError.self) { try ValidityPeriod(parsing: "soon") }

        let dvca = try fixture.dvca("UT")
        _ = try dvca.initialize(country: "UT", mnemonic: "DVIS")
        let dv = try cvca.signRequest(dvca.request().request.encoded)
        #expect(dv.certificate.body.expirationDate.description == "2026-12-15")
        _ = try dvca.importCertificate(dv.certificate)
        let (_, request) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00001")
        #expect(try dvca.issueTerminal(request.encoded).certificate.body.expirationDate.description == "2026-11-14")

        // Seven weeks later a DV certificate would outlive the CVCA's: it ends with it.
        let late = try fixture.cvca("UT", days: 49)
        let lateDVCA = try fixture.dvca("UT", days: 49)
        let clamped = try late.signRequest(lateDVCA.request(initial: true).request.encoded)
        #expect(clamped.certificate.body.expirationDate.description == "2026-12-31")
    }

    /// Foreign CVCA link certificates are registered only when they verify under a CVCA registered before.
    @Test func registeringForeignLinkCertificates() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let xx = try fixture.cvca("XX")
        let xxRoot = try xx.initialize(country: "XX", key: CVCAAuthorityFixture.brainpool256)
        let (_, xxLink) = try xx.link()
        let ut = try fixture.cvca("UT")
        _ = try ut.initialize(country: "UT", key: CVCAAuthorityFixture.brainpool256)
        // The link alone does not verify: XX's first key is not registered yet.
        #expect(throws: CVCAError.self) { try ut.registerForeignCVCA(xxLink) }
        _ = try ut.registerForeignCVCA(xxRoot)
        let registered = try ut.registerForeignCVCA(xxLink)
        #expect(registered.isNew && registered.report?.isValid == true)
        // A second link for the same key pair of references, with another validity: refused, not stored twice.
        let twin = try CVCertificateBuilder.link(
            newKey: fixture.keys.signer(for: xx.currentKey().keyReference).publicKey, newAlgorithm: .ecdsaSHA256,
            newCHR: CVCAAuthorityFixture.reference("XXCVCA00002"), effectiveDate: xxLink.body.effectiveDate,
            expirationDate: xxLink.body.expirationDate.adding(days: -1), previous: xxRoot,
            previousSigner: fixture.keys.signer(for: xx.cvcaKeys()[0].keyReference))
        #expect(throws: CVCAError.self) { try ut.registerForeignCVCA(twin) }
        var forged = xxLink
        forged.signature[4] ^= 0x01
        forged.body.chr = "XXCVCA00003"
        #expect(throws: CVCAError.self) { try ut.registerForeignCVCA(forged) }
        let (_, _, dv) = try fixture.domesticDomain("ZZ")
        #expect(throws: CVCAError.self) { try ut.registerForeignCVCA(dv) }
        #expect(try ut.foreignCVCAs().map(\.chr) == ["XXCVCA00001", "XXCVCA00002"])
        #expect(try fixture.store.auditEntries(domain: "UT").filter { $0.action == "cvca.register-foreign" }.count == 2)
    }
}
