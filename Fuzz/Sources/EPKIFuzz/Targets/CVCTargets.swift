import CVC
import Foundation
import PKICore

/// BSI TR-03110 card-verifiable certificates and requests: what foreign DVs send through the SPOCs, what a chip
/// receives in Terminal Authentication.
enum CVCTargets {
    static let all: [FuzzTarget] = [certificate, request]

    /// A CVCA of brainpoolP256r1, and a DV request and certificate under it, for seeds and signature checks.
    struct Chain: Sendable {
        let cvca: CVCertificate
        let cvcaKey: SoftwareSigner
        let dvKey: SoftwareSigner
        let request: CVCertificateRequest
        let dv: CVCertificate

        init() throws {
            cvcaKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
            let start = try CVDate(year: 2026, month: 1, day: 1)
            cvca = try CVCertificateBuilder.selfSignedCVCA(
                signer: cvcaKey, algorithm: .ecdsaSHA256, chr: try CertificationAuthorityReference(encoded: Array("UTCVCA00001".utf8)),
                rights: [0x03], effectiveDate: start, expirationDate: try CVDate(year: 2029, month: 1, day: 1))
            dvKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
            request = try CVCertificateRequest.create(
                chr: try CertificationAuthorityReference(encoded: Array("UTDVIS00001".utf8)), car: nil, signer: dvKey, algorithm: .ecdsaSHA256)
            dv = try CVCertificateBuilder.documentVerifier(
                publicKey: request.publicKey, chr: try CertificationAuthorityReference(encoded: Array("UTDVIS00001".utf8)), role: .domesticDV,
                rights: [0x03], effectiveDate: start, expirationDate: try CVDate(year: 2026, month: 4, day: 1), issuer: cvca, issuerSigner: cvcaKey)
        }
    }

    static let chain: Chain? = try? Chain()

    static let certificate = FuzzTarget("cv-certificate", "CV certificate: CVCertificate(encoded:) and (bodyAndSignature:), chain check, EF.CVCA", seeds: {
        let chain = try Chain()
        return [("cvca.cvcert", try chain.cvca.encoded), ("dv.cvcert", try chain.dv.encoded)]
    }) { bytes in
        _ = try? EFCVCA(encoded: bytes)
        for candidate in [try? CVCertificate(encoded: bytes), try? CVCertificate(bodyAndSignature: bytes)] {
            guard let certificate = candidate else { continue }
            _ = certificate.description
            _ = certificate.chat.description
            _ = certificate.role.description
            _ = certificate.body.effectiveDate.start
            _ = certificate.body.expirationDate.end
            _ = certificate.publicKey.domainParameters
            _ = try? certificate.bodyAndSignature
            _ = try? certificate.isSelfSignatureValid()
            if let chain {
                var pool = CVCertificatePool([chain.cvca])
                _ = CVChainVerifier(clock: FixedClock(SeedPKI.now)).verify(certificate, pool: pool)
                pool.add(certificate)
                _ = try? pool.path(to: certificate)
                _ = try? certificate.isSignatureValid(issuerKey: chain.cvca.publicKey)
            }
        }
    }

    static let request = FuzzTarget("cv-request", "CV request: CVCertificateRequest(encoded:), CVRequestValidator (the CVCA's checks)", seeds: {
        let chain = try Chain()
        let authenticated = try chain.request.authenticated(by: chain.cvcaKey, certificate: chain.cvca)
        return [("request.cvreq", try chain.request.encoded), ("request-authenticated.cvreq", try authenticated.encoded)]
    }) { bytes in
        if let request = try? CVCertificateRequest(encoded: bytes) {
            _ = request.description
            _ = try? request.innerEncoded
            _ = try? request.isInnerSignatureValid()
            if let chain { _ = try? request.isOuterSignatureValid(key: chain.cvca.publicKey) }
        }
        guard let chain, let parameters = chain.cvca.publicKey.domainParameters else { return }
        let validator = CVRequestValidator(domain: .ec(parameters), authenticators: CVCertificatePool([chain.cvca, chain.dv]),
                                           clock: FixedClock(SeedPKI.now))
        let validation = validator.validate(bytes)
        _ = validation.report.checks.count
    }
}
