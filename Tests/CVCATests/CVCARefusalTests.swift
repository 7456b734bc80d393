import CVC
import CVCA
import Foundation
import PKICore
import Store
import Testing
import TestSupport

/// Requests the CVCA and the DVCA must refuse: each with its own TR-03129 result code, in the error and in the
/// audit entry, the request recorded with its code, nothing issued, and the audit trail intact afterwards.
@Suite struct CVCARefusalTests {
    /// Expects a refusal with `code`; returns the error.
    @discardableResult
    static func expectRefusal(_ code: TR03129ResultCode, _ body: () throws -> CVIssuance, sourceLocation: SourceLocation = #_sourceLocation) -> CVCAError? {
        do {
            let issued = try body()
            Issue.record("expected \(code), but \(issued.certificate.chr) was issued", sourceLocation: sourceLocation)
            return nil
        } catch let error as CVCAError {
            #expect(error.resultCode == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.code == .refused(code), sourceLocation: sourceLocation)
            #expect(error.reason.hasPrefix(code.rawValue + ": "), "\(error.reason)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func documentVerifierRequestsRefusedEachWithItsCode() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let (cvca, dvca, dv) = try fixture.domesticDomain("UT")
        let dvSigner = try fixture.keys.signer(for: dvca.dvKeys()[0].keyReference)
        let issuedBefore = try cvca.certificates().count
        let auditBefore = try fixture.store.auditEntries(domain: "UT").count
        let newKey = SoftwareSigner(key: try PrivateKey.generate(CVCAAuthorityFixture.brainpool256))
        let next = try CVCAAuthorityFixture.reference("UTDVIS00002")
        let successive = try CVCertificateRequest.create(chr: next, car: CVCAAuthorityFixture.reference("UTCVCA00001"), signer: newKey, algorithm: .ecdsaSHA256)
            .authenticated(by: dvSigner, certificate: dv)

        // Tampered outer signature.
        var tampered = successive
        tampered.outer?.signature[7] ^= 0x01
        Self.expectRefusal(.failureOuterSignature) { try cvca.signRequest(tampered.encoded) }

        // The DV key that authenticates it has expired (its certificate ended after three months).
        let fourMonthsLater = try fixture.cvca("UT", days: 123)
        let expired = Self.expectRefusal(.failureExpired) { try fourMonthsLater.signRequest(successive.encoded) }
        #expect(expired?.reason.contains("UTDVIS00001") == true)

        // An outer CAR nobody registered.
        let stranger = SoftwareSigner(key: try PrivateKey.generate(CVCAAuthorityFixture.brainpool256))
        let unknown = try successive.authenticated(by: stranger, car: "UTDVXX00001", algorithm: .ecdsaSHA256)
        Self.expectRefusal(.failureRequestNotAccepted) { try cvca.signRequest(unknown.encoded) }

        // Domain parameters of another curve.
        let p256 = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let wrongCurve = try CVCertificateRequest.create(chr: next, signer: p256, algorithm: .ecdsaSHA256).authenticated(by: dvSigner, certificate: dv)
        Self.expectRefusal(.failureDomainParameters) { try cvca.signRequest(wrongCurve.encoded) }

        // A bad inner signature (the outer one made afterwards, so only the inner one is wrong).
        var badInner = try CVCertificateRequest.create(chr: next, signer: newKey, algorithm: .ecdsaSHA256)
        badInner.innerSignature[3] ^= 0x80
        badInner = try badInner.authenticated(by: dvSigner, certificate: dv)
        Self.expectRefusal(.failureInnerSignature) { try cvca.signRequest(badInner.encoded) }

        // Bytes that are no request.
        Self.expectRefusal(.failureSyntax) { try cvca.signRequest([0x7F, 0x21, 0x03, 0x01, 0x02]) }

        // A CHR certified before, even when properly authenticated.
        let again = try CVCertificateRequest.create(chr: CVCAAuthorityFixture.reference("UTDVIS00001"), signer: newKey, algorithm: .ecdsaSHA256)
            .authenticated(by: dvSigner, certificate: dv)
        let twice = Self.expectRefusal(.failureRequestNotAccepted) { try cvca.signRequest(again.encoded) }
        #expect(twice?.reason.contains("certified already") == true)

        // A successive request without its outer signature.
        let unsigned = try CVCertificateRequest.create(chr: next, signer: newKey, algorithm: .ecdsaSHA256)
        Self.expectRefusal(.failureOuterSignature) { try cvca.signRequest(unsigned.encoded) }

        // Addressed to a CVCA that is not this one.
        let elsewhere = try CVCertificateRequest.create(chr: next, car: CVCAAuthorityFixture.reference("XXCVCA00001"), signer: newKey, algorithm: .ecdsaSHA256)
            .authenticated(by: dvSigner, certificate: dv)
        Self.expectRefusal(.failureRequestNotAccepted) { try cvca.signRequest(elsewhere.encoded) }

        // Nothing was issued; each refusal is a recorded request and an audit entry with its code.
        #expect(try cvca.certificates().count == issuedBefore)
        let codes: [TR03129ResultCode] = [.failureOuterSignature, .failureExpired, .failureRequestNotAccepted, .failureDomainParameters,
                                          .failureInnerSignature, .failureSyntax, .failureRequestNotAccepted, .failureOuterSignature,
                                          .failureRequestNotAccepted]
        #expect(try cvca.requests().map(\.resultCode) == [.okCertAvailable] + codes)
        let entries = try fixture.store.auditEntries(domain: "UT").dropFirst(auditBefore)
        #expect(entries.map(\.action) == Array(repeating: "cvca.request-refused", count: codes.count))
        #expect(entries.map { $0.details["resultCode"] } == codes.map(\.rawValue))
        #expect(try fixture.store.verifyAudit(domain: "UT").isIntact)

        // The same successive request, untampered and in time, is then accepted.
        #expect(try cvca.signRequest(successive.encoded).certificate.chr == "UTDVIS00002")
    }

    @Test func inspectionSystemRequestsRefusedEachWithItsCode() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let (_, dvca, _) = try fixture.domesticDomain("UT")
        let (terminalSigner, first) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00001")
        let issued = try dvca.issueTerminal(first.encoded)

        let (_, p256) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00002", curve: .ec(.p256, parameters: .namedCurve))
        Self.expectRefusal(.failureDomainParameters) { try dvca.issueTerminal(p256.encoded) }
        // The terminal holds a valid certificate: its next request must be authenticated with that key.
        let (_, plainNext) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00002")
        Self.expectRefusal(.failureOuterSignature) { try dvca.issueTerminal(plainNext.encoded) }
        var tampered = try plainNext.authenticated(by: terminalSigner, certificate: issued.certificate)
        tampered.outer?.signature[1] ^= 0x01
        Self.expectRefusal(.failureOuterSignature) { try dvca.issueTerminal(tampered.encoded) }
        // A request naming a DV this DVCA does not hold.
        let (_, elsewhere) = try CVCAAuthorityFixture.terminalRequest("UTBCIS00003", car: "UTDVXX00001")
        Self.expectRefusal(.failureRequestNotAccepted) { try dvca.issueTerminal(elsewhere.encoded) }
        // A sequence number that goes back.
        let backwards = try CVCAAuthorityFixture.terminalRequest("UTBCIS00000").1.authenticated(by: terminalSigner, certificate: issued.certificate)
        let refused = Self.expectRefusal(.failureRequestNotAccepted) { try dvca.issueTerminal(backwards.encoded) }
        #expect(refused?.reason.contains("does not follow 00001") == true)

        #expect(try dvca.certificates(source: .issued).filter { $0.kind == .terminal }.count == 1)
        #expect(try dvca.requests().map(\.resultCode) == [.okCertAvailable, .failureDomainParameters, .failureOuterSignature,
                                                          .failureOuterSignature, .failureRequestNotAccepted, .failureRequestNotAccepted])
        #expect(try fixture.store.verifyAudit(domain: "UT").isIntact)

        let successive = try plainNext.authenticated(by: terminalSigner, certificate: issued.certificate)
        #expect(try dvca.issueTerminal(successive.encoded).certificate.chr == "UTBCIS00002")
    }

    /// Importing what this DVCA did not ask for, or what does not verify, is refused and changes nothing.
    @Test func importsThatDoNotFit() throws {
        let fixture = try CVCAAuthorityFixture()
        defer { fixture.remove() }
        let (cvca, dvca, _) = try fixture.domesticDomain("UT")
        // A DV certificate for a key this DVCA never asked about (another domain's DVCA).
        let xx = try fixture.cvca("XX")
        _ = try cvca.registerForeignCVCA(xx.initialize(country: "XX", key: CVCAAuthorityFixture.brainpool256))
        _ = try xx.registerForeignCVCA(cvca.currentKey().certificate)
        let other = try fixture.dvca("XX")
        _ = try other.initialize(country: "XX", mnemonic: "DVIS")
        let foreign = try cvca.signRequest(other.request(to: "UTCVCA00001", authenticateWithNationalCVCA: true).request.encoded)
        #expect(throws: CVCAError.self) { try dvca.importCertificate(foreign.certificate) }
        // A damaged signature.
        let next = try dvca.request()
        let renewed = try cvca.signRequest(next.request.encoded)
        var broken = renewed.certificate
        broken.signature[9] ^= 0x01
        #expect(throws: CVCAError.self) { try dvca.importCertificate(broken) }
        // Another DVCA's certificate.
        #expect(throws: CVCAError.self) { try other.importCertificate(renewed.certificate) }
        #expect(try dvca.dvKeys().compactMap(\.certificate).map(\.chr) == ["UTDVIS00001"])
        _ = try dvca.importCertificate(renewed.certificate)
        #expect(try dvca.dvKeys().compactMap(\.certificate).map(\.chr) == ["UTDVIS00001", "UTDVIS00002"])
        // A second, different certificate for the same CHR from the same CVCA (made here outside the CVCA).
        let twin = try CVCertificateBuilder.certify(
            next.request, rights: [0x01], effectiveDate: renewed.certificate.body.effectiveDate,
            expirationDate: renewed.certificate.body.expirationDate, issuer: cvca.currentKey().certificate,
            issuerSigner: fixture.keys.signer(for: cvca.currentKey().keyReference))
        let refused = #expect(throws: CVCAError.self) { try dvca.importCertificate(twin) }
        #expect(refused?.reason.contains("imported already") == true)
    }
}
