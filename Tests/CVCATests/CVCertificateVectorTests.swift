import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// Every CV certificate and request among the public vectors parses, re-encodes byte for byte and verifies.
@Suite struct CVCertificateVectorTests {
    static let certificates = [
        "openpace/DECVCAEPASS00102.cvcert", "openpace/DECVCAeID00102.cvcert", "openpace/DECVCAeSign00102.cvcert",
        "ejbca-cert-cvc/C_CZCVCADCZ000.cvcert", "ejbca-cert-cvc/GO_CVCA_RSA2008.cvcert", "ejbca-cert-cvc/absp.cvcert",
        "vsmartcard/zzst-signature-terminal/ZZSTCVCA00001.cvcert", "vsmartcard/zzst-signature-terminal/ZZSTDVCA00001.cvcert",
        "vsmartcard/zzst-signature-terminal/ZZSTTERM00001.cvcert", "vsmartcard/eac-worked-example-ecdh/cvca.cvcert",
        "vsmartcard/eac-worked-example-ecdh/dvca.cvcert", "vsmartcard/eac-worked-example-ecdh/at.cvcert",
    ]

    static func certificate(_ path: String) throws -> CVCertificate {
        try CVCertificate(encoded: TestSupport.vector(path))
    }

    @Test(arguments: certificates)
    func parsesAndReencodesByteForByte(_ path: String) throws {
        let bytes = try TestSupport.vector(path)
        let certificate = try CVCertificate(encoded: bytes)
        #expect(try certificate.encoded == bytes)
        // Rebuilt from its parts, not from the input, it still gives the same bytes.
        let rebuilt = CVCertificate(
            body: CertificateBody(
                car: certificate.car, publicKey: certificate.publicKey, chr: certificate.chr, chat: certificate.chat,
                effectiveDate: certificate.body.effectiveDate, expirationDate: certificate.body.expirationDate,
                extensions: certificate.body.extensions),
            signature: certificate.signature)
        #expect(try rebuilt.encoded == bytes)
    }

    @Test(arguments: [
        ("openpace/DECVCAEPASS00102.cvcert", "DECVCAEPASS00102", "id-IS C1 (CVCA; read DG3)", "brainpoolP256r1", "2010-10-18", "2013-10-18"),
        ("openpace/DECVCAeID00102.cvcert", "DECVCAeID00102", nil, "brainpoolP256r1", nil, nil),
        ("openpace/DECVCAeSign00102.cvcert", "DECVCAeSign00102", nil, "brainpoolP256r1", nil, nil),
        ("ejbca-cert-cvc/C_CZCVCADCZ000.cvcert", "CZCVCADCZ000", "id-IS C3 (CVCA; read DG3, read DG4)", "P-256", "2008-06-03", "2010-06-03"),
        ("vsmartcard/zzst-signature-terminal/ZZSTCVCA00001.cvcert", "ZZSTCVCA00001", "id-ST FF (CVCA)", "unnamed 192-bit curve", "2015-01-13", "2016-01-13"),
        ("vsmartcard/eac-worked-example-ecdh/cvca.cvcert", "DECVCAAT00001", "id-IS C3 (CVCA; read DG3, read DG4)", "brainpoolP512r1", "2010-09-30", "2011-09-25"),
    ] as [(String, String, String?, String, String?, String?)])
    func selfSignedECCVCAsVerifyWithTheirOwnKey(_ path: String, _ chr: String, _ chat: String?, _ curve: String, _ from: String?, _ to: String?) throws {
        let certificate = try Self.certificate(path)
        #expect(certificate.isSelfSigned)
        #expect(certificate.chr == chr)
        #expect(certificate.role == .cvca)
        if let chat { #expect(certificate.chat.description == chat) }
        #expect(certificate.publicKey.domainParameters?.displayName == curve)
        if let from { #expect(certificate.body.effectiveDate.description == from) }
        if let to { #expect(certificate.body.expirationDate.description == to) }
        #expect(try certificate.isSelfSignatureValid())
    }

    @Test func decvcaTerminalTypesFollowTheirApplications() throws {
        #expect(try Self.certificate("openpace/DECVCAEPASS00102.cvcert").chat.terminalType == .inspectionSystem)
        #expect(try Self.certificate("openpace/DECVCAeID00102.cvcert").chat.terminalType == .authenticationTerminal)
        #expect(try Self.certificate("openpace/DECVCAeSign00102.cvcert").chat.terminalType == .signatureTerminal)
        let epass = try Self.certificate("openpace/DECVCAEPASS00102.cvcert")
        #expect(epass.chat.inspectionSystemRights == [.readDG3])
        #expect(epass.publicKey.algorithm == .ecdsaSHA256)
    }

    @Test func rsaSHA1CVCAVerifies() throws {
        let certificate = try Self.certificate("ejbca-cert-cvc/GO_CVCA_RSA2008.cvcert")
        #expect(certificate.chr == "GO_CV_RSA2008")
        #expect(certificate.publicKey.algorithm == .rsaV1_5SHA1)
        guard case .rsa(let modulus, let exponent) = certificate.publicKey.key else {
            Issue.record("not an RSA key")
            return
        }
        #expect(modulus.count * 8 == 1024)
        #expect(exponent == [0x11])
        #expect(certificate.chat.description == "id-IS C3 (CVCA; read DG3, read DG4)")
        #expect(try certificate.isSelfSignatureValid())
        // A CHR like GO_CV_RSA2008 is read, though it is not a well-formed reference for epki to issue.
        #expect(throws: CVCAError.self) { try CertificationAuthorityReference(encoded: Array(certificate.chr.utf8)) }
    }

    @Test func zzstSignatureTerminalChainVerifies() throws {
        let cvca = try Self.certificate("vsmartcard/zzst-signature-terminal/ZZSTCVCA00001.cvcert")
        let dv = try Self.certificate("vsmartcard/zzst-signature-terminal/ZZSTDVCA00001.cvcert")
        let terminal = try Self.certificate("vsmartcard/zzst-signature-terminal/ZZSTTERM00001.cvcert")
        #expect(!dv.publicKey.hasDomainParameters)
        #expect(!terminal.publicKey.hasDomainParameters)
        let report = CVChainVerifier(clock: FixedClock(try CVDate(year: 2015, month: 1, day: 15).start))
            .verify(terminal, pool: CVCertificatePool([cvca, dv]))
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "signature ZZSTTERM00001")?.status == .passed)
        #expect(report.check(named: "domain parameters ZZSTDVCA00001")?.status == .passed)
        // FF & 7F & 3F: the terminal keeps its own rights, role terminal.
        #expect(report.check(named: "effective authorization")?.detail == "id-ST 3F (terminal)")
    }

    @Test func eacWorkedExampleChainVerifies() throws {
        let cvca = try Self.certificate("vsmartcard/eac-worked-example-ecdh/cvca.cvcert")
        let dv = try Self.certificate("vsmartcard/eac-worked-example-ecdh/dvca.cvcert")
        let terminal = try Self.certificate("vsmartcard/eac-worked-example-ecdh/at.cvcert")
        #expect(dv.chat.authorizationHex == "801FFFFF10")
        #expect(terminal.chat.authorizationHex == "0000000110")
        #expect(cvca.publicKey.algorithm == .ecdsaSHA512)
        let path = try CVCertificatePool([cvca, dv]).path(to: terminal)
        #expect(path.certificates.map(\.chr) == ["DECVCAAT00001", "DETESTDVDE019", "DETESTATDE019"])
        // The worked example's CVCA is id-IS (C3) above id-AT DV and terminal certificates: the signatures
        // verify, the rights do not combine.
        #expect(cvca.chat.terminalType == .inspectionSystem)
        #expect(dv.chat.terminalType == .authenticationTerminal)
        #expect(path.effectiveAuthorization == nil)
        let report = CVChainVerifier(clock: FixedClock(try CVDate(year: 2010, month: 10, day: 1).start)).verify(path: path)
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "CHAT DETESTATDE019")?.status == .warning)
        #expect(report.check(named: "effective authorization")?.status == .notChecked)
        // The terminal key in the vectors matches its certificate.
        let key = try PrivateKey(encoded: TestSupport.vector("vsmartcard/eac-worked-example-ecdh/at_key.pkcs8"), passphrase: nil, allowUnencrypted: true)
        let cvKey = try CVPublicKey(key.publicKey, algorithm: terminal.publicKey.algorithm, includeDomainParameters: false)
        #expect(cvKey.isSameKey(as: terminal.publicKey))
    }

    @Test func theSameChainsFailOnceExpired() throws {
        let cvca = try Self.certificate("vsmartcard/eac-worked-example-ecdh/cvca.cvcert")
        let dv = try Self.certificate("vsmartcard/eac-worked-example-ecdh/dvca.cvcert")
        let terminal = try Self.certificate("vsmartcard/eac-worked-example-ecdh/at.cvcert")
        let report = CVChainVerifier(clock: FixedClock(try CVDate(year: 2026, month: 1, day: 1).start))
            .verify(terminal, pool: CVCertificatePool([cvca, dv]))
        #expect(!report.isValid)
        #expect(report.check(named: "validity DETESTATDE019")?.status == .failed)
        #expect(report.check(named: "signature DETESTATDE019")?.status == .passed)
    }

    @Test func abspISCertificateParsesWithoutItsDV() throws {
        let certificate = try Self.certificate("ejbca-cert-cvc/absp.cvcert")
        #expect(certificate.chr == "SEABSP00001")
        #expect(certificate.car == "SEDVDPK00001")
        #expect(certificate.role == .terminal)
        #expect(certificate.chat.inspectionSystemRights == [.readDG3, .readDG4])
        #expect(certificate.publicKey.algorithm == .rsaV1_5SHA256)
        #expect(certificate.body.effectiveDate.description == "2008-08-26")
        #expect(certificate.body.expirationDate.description == "2008-09-25")
        // Its issuer (SEDVDPK00001) is not among the vectors: the chain stops with an unknown CAR.
        let report = CVChainVerifier().verify(certificate, pool: CVCertificatePool())
        #expect(!report.isValid)
        #expect(report.check(named: "chain")?.detail.contains("SEDVDPK00001") == true)
    }

    @Test func abspRequestBothSignaturesVerify() throws {
        let bytes = try TestSupport.vector("ejbca-cert-cvc/absp.req")
        let request = try CVCertificateRequest(encoded: bytes)
        #expect(try request.encoded == bytes)
        #expect(request.isAuthenticated)
        #expect(request.chr == "SEABSP00002")
        #expect(request.car == "SEDVDPK00001")
        #expect(request.outer?.car == "SEABSP00001")
        #expect(try request.isInnerSignatureValid())
        let previous = try Self.certificate("ejbca-cert-cvc/absp.cvcert")
        #expect(try request.isOuterSignatureValid(key: previous.publicKey))
        // The outer signature covers 7F21 ‖ 42, not the whole 67 content: the bytes after the 67 header minus 5F37.
        let signed = try request.outerSignedBytes(car: "SEABSP00001")
        #expect(Array(bytes[4..<(4 + signed.count)]) == signed)
    }

    @Test func abspRequestPassesTheValidatorWithItsRegisteredKey() throws {
        let bytes = try TestSupport.vector("ejbca-cert-cvc/absp.req")
        let previous = try Self.certificate("ejbca-cert-cvc/absp.cvcert")
        let duringValidity = FixedClock(try CVDate(year: 2008, month: 9, day: 1).start)
        let validator = CVRequestValidator(domain: .rsa, authenticators: CVCertificatePool([previous]), outerSignatureRequired: true, clock: duringValidity)
        let validation = validator.validate(bytes)
        #expect(validation.resultCode == .okCertAvailable, "\(validation.report)")
        #expect(validation.outerCertificate?.chr == "SEABSP00001")
        // A month later the IS certificate that authenticates it has expired.
        var later = validator
        later.clock = FixedClock(try CVDate(year: 2008, month: 10, day: 1).start)
        #expect(later.validate(bytes).resultCode == .failureExpired)
    }

    @Test func bareRSAPublicKeyObjectParses() throws {
        let bytes = try TestSupport.vector("ejbca-cert-cvc/PUBLIC_KEY_RSA1024.cvc")
        let key = try CVPublicKey(encoded: bytes)
        #expect(key.algorithm == .rsaV1_5SHA1)
        #expect(try key.encoded == bytes)
        #expect(try key.publicKey().description == "RSA 1024")
    }
}
