import CVC
import CVCA
import Foundation
import PKICore

/// A CVCA → domestic DV → inspection system chain built with epki's own builder, for the tests.
struct CVTestChain {
    let cvcaSigner: SoftwareSigner
    let dvSigner: SoftwareSigner
    let terminalSigner: SoftwareSigner
    let cvca: CVCertificate
    let dv: CVCertificate
    let terminal: CVCertificate
    let algorithm: TerminalAuthenticationAlgorithm

    var pool: CVCertificatePool { CVCertificatePool([cvca, dv]) }

    /// The fixed first day of the chains that epki's own logic is tested on (with a `FixedClock`).
    static var effective: CVDate { get throws { try CVDate(year: 2026, month: 11, day: 1) } }
    /// The first day of chains that OpenPACE's cvc-print checks against the machine's clock: two weeks before
    /// today (GMT), so that a terminal certificate of one month made from it, even days later, is valid today.
    static var recent: CVDate { get throws { try CVDate(Date().addingTimeInterval(-14 * 86_400)) } }
    /// A day within every certificate's validity.
    static var today: FixedClock { get throws { FixedClock(try effective.start.addingTimeInterval(86_400 * 3)) } }

    static func make(
        _ specification: KeySpecification, algorithm: TerminalAuthenticationAlgorithm, country: String = "ZZ",
        dvRole: CertificateHolderAuthorizationTemplate.Role = .domesticDV, effective: CVDate? = nil
    ) throws -> CVTestChain {
        let effective = try effective ?? Self.effective
        let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let terminalSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: cvcaSigner, algorithm: algorithm, chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "CVCA", sequenceNumber: "00001"),
            rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 36))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: algorithm, includeDomainParameters: true),
            chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "DVIS", sequenceNumber: "00001"), role: dvRole,
            rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(terminalSigner.publicKey, algorithm: algorithm, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "ISTERM", sequenceNumber: "00001"),
            rights: [0x01], effectiveDate: effective, expirationDate: try effective.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: cvca.publicKey.domainParameters)
        return CVTestChain(
            cvcaSigner: cvcaSigner, dvSigner: dvSigner, terminalSigner: terminalSigner, cvca: cvca, dv: dv, terminal: terminal,
            algorithm: algorithm)
    }

    /// Chains are slow to make with RSA keys; each kind is made once per test run.
    static let brainpool: Result<CVTestChain, any Error> = Result { try make(.ec(.brainpoolP256r1, parameters: .namedCurve), algorithm: .ecdsaSHA256) }
    static let rsaPSS: Result<CVTestChain, any Error> = Result { try make(.rsa(bits: 2048), algorithm: .rsaPSSSHA256) }

    /// A new chain of `kind` ("brainpool" or "rsa-pss") that starts on `recent`, for the peers that use today's date.
    static func recentChain(_ kind: String) throws -> CVTestChain {
        kind == "brainpool"
            ? try make(.ec(.brainpoolP256r1, parameters: .namedCurve), algorithm: .ecdsaSHA256, effective: recent)
            : try make(.rsa(bits: 2048), algorithm: .rsaPSSSHA256, effective: recent)
    }
}
