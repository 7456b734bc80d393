import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// Plain and authenticated requests made by epki, and the TR-03129 result code for each way a request fails.
@Suite struct CVRequestTests {
    static func reference(_ text: String) throws -> CertificationAuthorityReference {
        try CertificationAuthorityReference(encoded: Array(text.utf8))
    }

    static func validator(_ chain: CVTestChain, required: Bool = false, clock: (any PKIClock)? = nil) throws -> CVRequestValidator {
        CVRequestValidator(
            domain: try CVRequestValidator.domain(of: chain.cvca, in: chain.pool), authenticators: chain.pool,
            outerSignatureRequired: required, clock: try clock ?? CVTestChain.today)
    }

    @Test(arguments: ["brainpool", "rsa-pss"])
    func plainRequestCarriesDomainParametersAndVerifies(_ kind: String) throws {
        let chain = try CVChainTests.chain(kind)
        let request = try CVCertificateRequest.create(
            chr: Self.reference("ZZDVIS00002"), car: Self.reference("ZZCVCA00001"), signer: chain.dvSigner, algorithm: chain.algorithm)
        #expect(!request.isAuthenticated)
        #expect(request.publicKey.hasDomainParameters == (kind == "brainpool"))
        #expect(try request.isInnerSignatureValid())
        let bytes = try request.encoded
        #expect(bytes.prefix(2) == [0x7F, 0x21])
        let decoded = try CVCertificateRequest(encoded: bytes)
        #expect(decoded == request)
        #expect(try Self.validator(chain).validate(bytes).resultCode == .okCertAvailable)
    }

    @Test(arguments: ["brainpool", "rsa-pss"])
    func authenticatedRequestHasBothSignatures(_ kind: String) throws {
        let chain = try CVChainTests.chain(kind)
        let newKey = SoftwareSigner(key: try PrivateKey.generate(kind == "brainpool" ? .ec(.brainpoolP256r1, parameters: .explicit) : .rsa(bits: 2048)))
        let request = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), car: Self.reference("ZZCVCA00001"), signer: newKey, algorithm: chain.algorithm)
            .authenticated(by: chain.dvSigner, certificate: chain.dv)
        let bytes = try request.encoded
        #expect(bytes.first == 0x67)
        let decoded = try CVCertificateRequest(encoded: bytes)
        #expect(try decoded.encoded == bytes)
        #expect(decoded.outer?.car == "ZZDVIS00001")
        #expect(try decoded.isInnerSignatureValid())
        #expect(try decoded.isOuterSignatureValid(key: chain.dv.publicKey, inheriting: chain.cvca.publicKey.domainParameters))
        let validation = try Self.validator(chain, required: true).validate(bytes)
        #expect(validation.resultCode == .okCertAvailable, "\(validation.report)")
        #expect(validation.outerCertificate == chain.dv)
    }

    /// The four refusals of the issue, each with its own code, plus the others the validator knows.
    @Test func eachFailureHasItsOwnResultCode() throws {
        let chain = try CVChainTests.chain("brainpool")
        let newKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let plain = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), signer: newKey, algorithm: .ecdsaSHA256)
        let authenticated = try plain.authenticated(by: chain.dvSigner, certificate: chain.dv)
        let validator = try Self.validator(chain, required: true)
        #expect(validator.validate(try authenticated.encoded).resultCode == .okCertAvailable)

        // Tampered outer signature.
        var tampered = authenticated
        tampered.outer?.signature[5] ^= 0x40
        #expect(validator.validate(try tampered.encoded).resultCode == .failureOuterSignature)

        // Outer CAR nobody registered.
        let stranger = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let unknown = try plain.authenticated(by: stranger, car: "ZZDVXX00001", algorithm: .ecdsaSHA256)
        #expect(validator.validate(try unknown.encoded).resultCode == .failureRequestNotAccepted)

        // The DV certificate that authenticates it has expired.
        var expiredValidator = validator
        expiredValidator.clock = FixedClock(try CVTestChain.effective.adding(months: 4).start)
        let expired = expiredValidator.validate(try authenticated.encoded)
        #expect(expired.resultCode == .failureExpired)
        #expect(expired.report.check(named: "outer certificate validity")?.status == .failed)

        // Domain parameters of another curve.
        let p256 = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let wrongCurve = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), signer: p256, algorithm: .ecdsaSHA256)
            .authenticated(by: chain.dvSigner, certificate: chain.dv)
        #expect(validator.validate(try wrongCurve.encoded).resultCode == .failureDomainParameters)

        // Domain parameters left out (a request must carry them).
        var stripped = plain
        stripped.body.publicKey = plain.publicKey.withoutDomainParameters
        stripped.innerSignature = try ECDSASignature(derEncoded: newKey.sign(stripped.body.encoded, algorithm: .ecdsa(.sha256))).plain(coordinateLength: 32)
        #expect(validator.validate(try stripped.authenticated(by: chain.dvSigner, certificate: chain.dv).encoded).resultCode == .failureDomainParameters)

        // An RSA key for an EC chain.
        let rsaChain = try CVChainTests.chain("rsa-pss")
        let rsaRequest = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), signer: rsaChain.dvSigner, algorithm: .rsaPSSSHA256)
        #expect(validator.validate(try rsaRequest.encoded).resultCode == .failureDomainParameters)

        // Inner signature by another key.
        var wrongInner = plain
        wrongInner.innerSignature = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), signer: stranger, algorithm: .ecdsaSHA256).innerSignature
        #expect(validator.validate(try wrongInner.authenticated(by: chain.dvSigner, certificate: chain.dv).encoded).resultCode == .failureInnerSignature)

        // An outer signature is required for a successive request.
        #expect(validator.validate(try plain.encoded).resultCode == .failureOuterSignature)

        // Not a request at all, and a CHR epki will not issue.
        #expect(validator.validate([0x7F, 0x21, 0x03, 0x01, 0x02]).resultCode == .failureSyntax)
        var badCHR = plain
        badCHR.body.chr = "zz_dv"
        badCHR.innerSignature = try ECDSASignature(derEncoded: newKey.sign(badCHR.body.encoded, algorithm: .ecdsa(.sha256))).plain(coordinateLength: 32)
        #expect(validator.validate(try badCHR.encoded).resultCode == .failureSyntax)
    }

    @Test func nationalCVCAAuthenticatesAForeignDVsInitialRequest() throws {
        // Country YY's CVCA, registered with ZZ, vouches for its DV's first request to ZZ.
        let zz = try CVChainTests.chain("brainpool")
        let yy = try CVTestChain.make(.ec(.brainpoolP256r1, parameters: .namedCurve), algorithm: .ecdsaSHA256, country: "YY")
        let request = try CVCertificateRequest.create(chr: Self.reference("YYDVIS00001"), car: Self.reference("ZZCVCA00001"), signer: yy.dvSigner, algorithm: .ecdsaSHA256)
            .authenticated(by: yy.cvcaSigner, certificate: yy.cvca)
        let validator = CVRequestValidator(
            domain: try CVRequestValidator.domain(of: zz.cvca, in: zz.pool), authenticators: CVCertificatePool([yy.cvca]),
            outerSignatureRequired: true, clock: try CVTestChain.today)
        let validation = validator.validate(try request.encoded)
        #expect(validation.resultCode == .okCertAvailable, "\(validation.report)")
        // ZZ's CVCA issues the foreign DV certificate from it.
        guard let accepted = validation.request else { return }
        let certificate = try CVCertificateBuilder.documentVerifier(
            publicKey: accepted.publicKey, chr: Self.reference(accepted.chr), role: .foreignDV, rights: [0x01],
            effectiveDate: try CVTestChain.effective, expirationDate: try CVTestChain.effective.adding(months: 3), issuer: zz.cvca, issuerSigner: zz.cvcaSigner)
        #expect(certificate.chat.authorizationHex == "41")
        #expect(CVChainVerifier(clock: try CVTestChain.today).verify(certificate, pool: zz.pool).isValid)
    }

    @Test func certifyIssuesDVAndTerminalCertificatesFromRequests() throws {
        let chain = try CVChainTests.chain("brainpool")
        let effective = try CVTestChain.effective
        let dvKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .explicit)))
        let dvRequest = try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00005"), car: Self.reference("ZZCVCA00001"), signer: dvKey, algorithm: .ecdsaSHA256)
        let dv = try CVCertificateBuilder.certify(
            dvRequest, role: .domesticDV, rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 3),
            issuer: chain.cvca, issuerSigner: chain.cvcaSigner)
        #expect(dv.role == .domesticDV)
        #expect(dv.chr == "ZZDVIS00005")
        #expect(!dv.publicKey.hasDomainParameters)
        let terminalKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let terminalRequest = try CVCertificateRequest.create(chr: Self.reference("ZZISTERM00005"), signer: terminalKey, algorithm: .ecdsaSHA256)
        let dvPool = CVCertificatePool([chain.cvca, dv])
        let validator = CVRequestValidator(domain: try CVRequestValidator.domain(of: dv, in: dvPool), authenticators: dvPool, clock: try CVTestChain.today)
        #expect(validator.validate(try terminalRequest.encoded).isAccepted)
        let terminal = try CVCertificateBuilder.certify(
            terminalRequest, rights: [0x02], effectiveDate: effective, expirationDate: try effective.adding(months: 1), issuer: dv,
            issuerSigner: dvKey, issuerDomainParameters: try dvPool.domainParameters(for: dv))
        #expect(terminal.role == .terminal)
        let report = CVChainVerifier(clock: try CVTestChain.today).verify(terminal, pool: dvPool)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "effective authorization")?.detail == "id-IS 02 (terminal; read DG4)")
        // A link certificate that keeps the curve may leave the parameters out; the chain still verifies.
        let newCVCA = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let link = try CVCertificateBuilder.link(
            newKey: newCVCA.publicKey, newAlgorithm: .ecdsaSHA256, newCHR: Self.reference("ZZCVCA00002"), effectiveDate: effective,
            expirationDate: try effective.adding(months: 36), previous: chain.cvca, previousSigner: chain.cvcaSigner, includeDomainParameters: false)
        #expect(!link.publicKey.hasDomainParameters)
        let dv2 = try CVCertificateBuilder.certify(
            dvRequest, rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 3), issuer: link,
            issuerSigner: newCVCA, issuerDomainParameters: chain.cvca.publicKey.domainParameters)
        #expect(CVChainVerifier(clock: try CVTestChain.today).verify(dv2, pool: CVCertificatePool([chain.cvca, link])).isValid)
    }

    @Test func requestKeyMustFitItsAlgorithm() throws {
        let chain = try CVChainTests.chain("brainpool")
        #expect(throws: CVCAError.self) {
            try CVCertificateRequest.create(chr: Self.reference("ZZDVIS00002"), signer: chain.dvSigner, algorithm: .rsaPSSSHA256)
        }
    }
}
