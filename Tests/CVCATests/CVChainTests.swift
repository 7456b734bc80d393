import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// Chains epki builds: brainpoolP256r1 ECDSA and RSA-PSS, links, effective rights, and what makes them fail.
@Suite struct CVChainTests {
    static let kinds = ["brainpool", "rsa-pss"]

    static func chain(_ kind: String) throws -> CVTestChain {
        try (kind == "brainpool" ? CVTestChain.brainpool : CVTestChain.rsaPSS).get()
    }

    @Test(arguments: kinds)
    func builtChainVerifies(_ kind: String) throws {
        let chain = try Self.chain(kind)
        #expect(try chain.cvca.isSelfSignatureValid())
        #expect(chain.cvca.publicKey.hasDomainParameters == (kind == "brainpool"))
        #expect(!chain.dv.publicKey.hasDomainParameters)
        #expect(!chain.terminal.publicKey.hasDomainParameters)
        #expect(chain.cvca.chat.authorizationHex == "C3")
        #expect(chain.dv.chat.authorizationHex == "83")
        #expect(chain.terminal.chat.authorizationHex == "01")
        let report = CVChainVerifier(clock: try CVTestChain.today).verify(chain.terminal, pool: chain.pool)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "effective authorization")?.detail == "id-IS 01 (terminal; read DG3)")
        for certificate in [chain.cvca, chain.dv, chain.terminal] {
            let bytes = try certificate.encoded
            #expect(try CVCertificate(encoded: bytes) == certificate)
        }
    }

    @Test func ecdsaSignaturesArePlainRAndS() throws {
        let chain = try Self.chain("brainpool")
        #expect(chain.cvca.signature.count == 64)
        #expect(chain.dv.signature.count == 64)
        // The same bytes through PKICore's DER form verify with the CVCA's key.
        let der = try ECDSASignature(plain: chain.dv.signature).derEncoded
        #expect(try chain.cvcaSigner.publicKey.isValidSignature(der, for: chain.dv.body.encoded, algorithm: .ecdsa(.sha256)))
    }

    @Test func rsaPSSSignaturesVerifyWithOpenSSLDirectly() throws {
        let chain = try Self.chain("rsa-pss")
        #expect(chain.dv.signature.count == 256)
        #expect(try chain.cvcaSigner.publicKey.isValidSignature(chain.dv.signature, for: chain.dv.body.encoded, algorithm: .rsaPSS(.sha256)))
        #expect(try !chain.cvcaSigner.publicKey.isValidSignature(chain.dv.signature, for: chain.dv.body.encoded, algorithm: .rsaPKCS1v15(.sha256)))
    }

    @Test(arguments: kinds)
    func tamperedSignatureFails(_ kind: String) throws {
        let chain = try Self.chain(kind)
        var dv = chain.dv
        dv.signature[dv.signature.count / 2] ^= 0x01
        let report = CVChainVerifier(clock: try CVTestChain.today).verify(chain.terminal, pool: CVCertificatePool([chain.cvca, dv]))
        #expect(!report.isValid)
        #expect(report.check(named: "signature ZZDVIS00001")?.status == .failed)
        #expect(report.check(named: "signature ZZISTERM00001")?.status == .passed)
    }

    @Test func tamperedBodyFails() throws {
        let chain = try Self.chain("brainpool")
        var terminal = chain.terminal
        terminal.body.chat = .inspectionSystem(role: .terminal, rights: [.readDG3, .readDG4])
        let report = CVChainVerifier(clock: try CVTestChain.today).verify(terminal, pool: chain.pool)
        #expect(report.check(named: "signature ZZISTERM00001")?.status == .failed)
        // Rights granted by the terminal certificate beyond the DV's are cut by the AND anyway.
        #expect(report.check(named: "effective authorization")?.detail == "id-IS 03 (terminal; read DG3, read DG4)")
    }

    @Test func effectiveAuthorizationIsTheAndOfTheChain() throws {
        let chain = try Self.chain("brainpool")
        // A DV with DG3 only under a DG3+DG4 CVCA: a terminal asking for both gets DG3.
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: chain.dv.publicKey, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVIS", sequenceNumber: "00002"),
            role: .foreignDV, rights: [0x01], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective.adding(months: 3),
            issuer: chain.cvca, issuerSigner: chain.cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: chain.terminal.publicKey, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "ISTERM", sequenceNumber: "00002"),
            rights: [0x03], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective.adding(months: 1), issuer: dv,
            issuerSigner: chain.dvSigner)
        let path = try CVCertificatePool([chain.cvca, dv]).path(to: terminal)
        #expect(path.effectiveAuthorization?.authorizationHex == "01")
        #expect(path.effectiveAuthorization?.role == .terminal)
        #expect(path.effectiveAuthorization?.inspectionSystemRights == [.readDG3])
        #expect(dv.chat.authorizationHex == "41")
        #expect(CVChainVerifier(clock: try CVTestChain.today).verify(path: path).isValid)
    }

    @Test func expiredTerminalAndNotYetValidAreRefused() throws {
        let chain = try Self.chain("brainpool")
        let afterTerminal = FixedClock(try CVTestChain.effective.adding(months: 2).start)
        let expired = CVChainVerifier(clock: afterTerminal).verify(chain.terminal, pool: chain.pool)
        #expect(!expired.isValid)
        #expect(expired.check(named: "validity ZZISTERM00001")?.status == .failed)
        #expect(expired.check(named: "validity ZZDVIS00001")?.status == .passed)
        // The last day is still valid (whole days, inclusive).
        let lastDay = FixedClock(chain.terminal.body.expirationDate.start.addingTimeInterval(86_399))
        #expect(CVChainVerifier(clock: lastDay).verify(chain.terminal, pool: chain.pool).isValid)
        let before = FixedClock(try CVTestChain.effective.adding(days: -1).start)
        #expect(CVChainVerifier(clock: before).verify(chain.terminal, pool: chain.pool).check(named: "validity ZZISTERM00001")?.status == .failed)
    }

    @Test func unknownCARAndWrongHierarchyAreRefused() throws {
        let chain = try Self.chain("brainpool")
        let missingDV = CVChainVerifier(clock: try CVTestChain.today).verify(chain.terminal, pool: CVCertificatePool([chain.cvca]))
        #expect(!missingDV.isValid)
        #expect(missingDV.check(named: "chain")?.detail.contains("ZZDVIS00001") == true)
        // A terminal cannot certify anything; a DV cannot be certified by a DV.
        #expect(throws: CVCAError.self) {
            try CVCertificateBuilder.terminal(
                publicKey: chain.terminal.publicKey, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "X", sequenceNumber: "00001"),
                rights: [1], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective, issuer: chain.terminal, issuerSigner: chain.terminalSigner)
        }
        #expect(throws: CVCAError.self) {
            try CVCertificateBuilder.documentVerifier(
                publicKey: chain.terminal.publicKey, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "X", sequenceNumber: "00001"),
                role: .domesticDV, rights: [1], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective, issuer: chain.dv,
                issuerSigner: chain.dvSigner)
        }
        // The wrong key for the issuer certificate.
        #expect(throws: CVCAError.self) {
            try CVCertificateBuilder.documentVerifier(
                publicKey: chain.dv.publicKey, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVIS", sequenceNumber: "00003"),
                role: .domesticDV, rights: [3], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective, issuer: chain.cvca,
                issuerSigner: chain.dvSigner)
        }
    }

    @Test func wrongDomainParametersAreRefused() throws {
        let chain = try Self.chain("brainpool")
        let other = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let p256Key = try CVPublicKey(other.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: true)
        expectError(CVCAError(.domainParameters, "the key's domain parameters (P-256) are not the CVCA's (brainpoolP256r1)")) {
            try CVCertificateBuilder.documentVerifier(
                publicKey: p256Key, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVP", sequenceNumber: "00001"),
                role: .domesticDV, rights: [3], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective, issuer: chain.cvca,
                issuerSigner: chain.cvcaSigner)
        }
        // A DV certificate that carries other parameters than the CVCA's fails verification.
        var body = chain.dv.body
        body.publicKey = p256Key
        let forged = try CVCertificateBuilder.sign(body, with: chain.cvcaSigner, algorithm: .ecdsaSHA256)
        let report = CVChainVerifier(clock: try CVTestChain.today).verify(forged, pool: CVCertificatePool([chain.cvca]))
        #expect(report.check(named: "domain parameters ZZDVIS00001")?.status == .failed)
        #expect(!report.isValid)
    }

    @Test(arguments: kinds)
    func linkCertificateExtendsTheChain(_ kind: String) throws {
        let chain = try Self.chain(kind)
        let spec: KeySpecification = kind == "brainpool" ? .ec(.brainpoolP384r1, parameters: .namedCurve) : .rsa(bits: 2048)
        let newSigner = SoftwareSigner(key: try PrivateKey.generate(spec))
        let newAlgorithm: TerminalAuthenticationAlgorithm = kind == "brainpool" ? .ecdsaSHA384 : .rsaV1_5SHA256
        let newCHR = try CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "CVCA", sequenceNumber: "00001").successor()
        let linkDate = try CVTestChain.effective.adding(months: 30)
        let link = try CVCertificateBuilder.link(
            newKey: newSigner.publicKey, newAlgorithm: newAlgorithm, newCHR: newCHR, effectiveDate: linkDate,
            expirationDate: try linkDate.adding(months: 36), previous: chain.cvca, previousSigner: chain.cvcaSigner)
        #expect(link.car == "ZZCVCA00001")
        #expect(link.chr == "ZZCVCA00002")
        #expect(link.role == .cvca)
        #expect(link.chat == chain.cvca.chat)
        // The link is signed with the old key and scheme; the new key brings its own (changed) algorithm.
        #expect(try link.isSignatureValid(issuerKey: chain.cvca.publicKey))
        #expect(link.publicKey.algorithm == newAlgorithm)

        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(spec))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: newAlgorithm, includeDomainParameters: true),
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVIS", sequenceNumber: "00010"), role: .domesticDV,
            rights: [3], effectiveDate: linkDate, expirationDate: try linkDate.adding(months: 3), issuer: link, issuerSigner: newSigner)
        // The old CVCA has expired by then: as a superseded trust point it only certifies the link.
        let clock = FixedClock(try linkDate.adding(months: 7).start)
        let report = CVChainVerifier(clock: FixedClock(try linkDate.adding(days: 1).start)).verify(dv, pool: CVCertificatePool([chain.cvca, link]))
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "chain")?.detail == "ZZCVCA00001 → ZZCVCA00002 → ZZDVIS00010")
        #expect(report.check(named: "validity ZZCVCA00001")?.status == .passed)
        let late = CVChainVerifier(clock: clock).verify(link, pool: CVCertificatePool([chain.cvca]))
        #expect(late.check(named: "validity ZZCVCA00002")?.status == .passed)
        #expect(late.check(named: "validity ZZCVCA00001")?.status == .notChecked)
        #expect(late.isValid, "\(late)")
        if kind == "brainpool" {
            #expect(report.check(named: "domain parameters ZZDVIS00010")?.detail == "brainpoolP384r1, inherited from the CVCA")
        }
    }

    @Test func sha1IsNeverUsedToSign() throws {
        let signer = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        #expect(throws: PKIError.self) {
            try CVCertificateBuilder.selfSignedCVCA(
                signer: signer, algorithm: .ecdsaSHA1, chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "CVCA", sequenceNumber: "00009"),
                rights: [3], effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective)
        }
    }
}
