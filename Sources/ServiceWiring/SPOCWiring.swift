import CVC
import CVCA
import Foundation
import PKICore
import SPOC
import Store

/// The domain's CVCA and DVCA on the SPOC's seams: the SPOC imports neither, and neither imports it, so this
/// small layer above them is where they meet (the CLI, the benchmarks and the tests use it).
public struct SPOCWiring: NationalCertificateAuthority, SPOCDocumentVerifier {
    public let cvca: CountryVerifyingCA
    public let dvca: DocumentVerifierCA

    public init(store: EPKIStore, domain: String, keys: any KeyProvider) throws {
        cvca = try CountryVerifyingCA(store: store, domain: domain, keys: keys)
        dvca = try DocumentVerifierCA(store: store, domain: domain, keys: keys)
    }

    public func certify(_ request: [UInt8], callerID: String) -> SPOCCertification {
        let parsed = try? CVCertificateRequest(encoded: request)
        let chr = parsed?.chr
        if let chr, !chr.hasPrefix(callerID) {
            return SPOCCertification(result: .failureRequestNotAccepted, chr: chr,
                                     detail: "the request is for \(chr), a DV of another country than the caller \(callerID)")
        }
        do {
            let issuance = try cvca.signRequest(request)
            return SPOCCertification(result: .okCertAvailable, certificates: try answer(issuance.certificate), chr: issuance.certificate.chr,
                                     detail: "\(issuance.certificate.chr) issued under \(issuance.certificate.car), \(issuance.certificate.chat)")
        } catch let error as CVCAError {
            // Approved before, but the process stopped before the outbox was written: the certificate is sent, not issued twice.
            if error.resultCode == .failureRequestNotAccepted, let parsed, let issued = try? previouslyIssued(parsed) {
                return SPOCCertification(result: .okCertAvailable, certificates: (try? answer(issued)) ?? [], chr: issued.chr,
                                         detail: "\(issued.chr) was issued for this very request before; sent again")
            }
            return SPOCCertification(result: error.resultCode.map { SPOCResultCode(rawValue: $0.rawValue) } ?? .failureInternalError, chr: chr,
                                     detail: error.reason)
        } catch {
            return SPOCCertification(result: .failureInternalError, chr: chr, detail: "\(error)")
        }
    }

    /// The DV certificate first, then the CVCA certificates of its path by effective date (Doc 9303-12 §8.2).
    private func answer(_ certificate: CVCertificate) throws -> [[UInt8]] {
        let cvcas = try (cvca.certificates(source: .issued, kind: .cvca) + cvca.certificates(source: .issued, kind: .link)).map(\.certificate)
        let path = try CVCertificatePool(cvcas + [certificate]).path(to: certificate)
        let ca = path.certificates.filter { $0 != certificate }.sorted { $0.body.effectiveDate < $1.body.effectiveDate }
        return try [certificate.encoded] + ca.map { try $0.encoded }
    }

    private func previouslyIssued(_ request: CVCertificateRequest) throws -> CVCertificate? {
        let holder = String(request.chr.dropLast(5))
        return try cvca.certificates(source: .issued, kind: .documentVerifier, holder: holder).first {
            $0.certificate.chr == request.chr && $0.certificate.publicKey.isSameKey(as: request.publicKey)
        }?.certificate
    }

    public func countersign(_ request: [UInt8]) throws -> [UInt8] {
        try cvca.countersign(request)
    }

    public func caCertificates() throws -> [[UInt8]] {
        let today = try CVDate(Date())
        return try (cvca.certificates(source: .issued, kind: .cvca) + cvca.certificates(source: .issued, kind: .link))
            .filter { $0.certificate.body.expirationDate >= today }
            .map(\.certificate).sorted { ($0.body.effectiveDate, $0.isSelfSigned ? 0 : 1) < ($1.body.effectiveDate, $1.isSelfSigned ? 0 : 1) }
            .map { try $0.encoded }
    }

    public func receive(certificates: [[UInt8]], request: [UInt8]?, from country: String) throws -> String {
        let parsed = try certificates.map { try CVCertificate(encoded: $0) }
        var notes: [String] = []
        // Link certificates verify under a CVCA key registered before; self-signed ones stay the operator's decision.
        for certificate in parsed where certificate.role == .cvca && !certificate.isSelfSigned {
            let registration = try cvca.registerForeignCVCA(certificate)
            if registration.isNew { notes.append("registered link \(certificate.car) → \(certificate.chr)") }
        }
        for certificate in parsed where certificate.role == .cvca && certificate.isSelfSigned {
            if !(try cvca.foreignCVCAs().contains(certificate)) {
                notes.append("\(certificate.chr) is not registered (register it with `epki cvca register-foreign-cvca` after checking it)")
            }
        }
        if request != nil {
            guard let dv = parsed.first(where: { $0.role.isDocumentVerifier }) else {
                throw CVCAError(.certificateRefused, "the answer holds no DV certificate")
            }
            let imported = try dvca.importCertificate(dv)
            notes.insert("\(dv.chr) imported under \(imported.path.anchor?.chr ?? dv.car)\(imported.isNew ? "" : " (already imported)")", at: 0)
        }
        return notes.isEmpty ? "\(parsed.count) certificate(s), nothing new" : notes.joined(separator: "; ")
    }
}
