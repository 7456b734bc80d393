import CVC
import Foundation
import PKICore
import Store

/// What the CVCA and the DVCA decide about a request before they sign anything, in the same order, each failure
/// with its own TR-03129 result code:
///
/// ```
/// 1. the request decodes strictly                                  else failure_syntax
/// 2. CVRequestValidator: CHR, domain parameters, inner signature,  else failure_syntax, failure_domain_parameters,
///    outer CAR registered, outer signature, outer key not expired       failure_inner_signature, failure_request_not_accepted,
///                                                                       failure_outer_signature, failure_expired
/// 3. the outer key may speak for the requested holder             else failure_request_not_accepted
/// 4. the CHR was never certified, its sequence number advances    else failure_request_not_accepted
/// ```
/// A refusal is recorded (the request, its code, an audit entry) and nothing else; the error carries the code.
enum CVRequestIntake {
    struct Refusal: Error, Sendable {
        let code: TR03129ResultCode
        let detail: String
        let chr: String?
        let outerCAR: String?
    }

    static func decode(_ bytes: [UInt8]) throws -> CVCertificateRequest {
        do {
            return try CVCertificateRequest(encoded: bytes)
        } catch {
            throw Refusal(code: .failureSyntax, detail: "the request cannot be read: \((error as? CVCAError)?.reason ?? "\(error)")",
                          chr: nil, outerCAR: nil)
        }
    }

    /// The validator's verdict; any failure becomes a refusal naming the check that failed.
    static func validate(_ request: CVCertificateRequest, with validator: CVRequestValidator) throws -> CVRequestValidation {
        let validation = validator.validate(request)
        guard validation.isAccepted else {
            let failed = validation.report.checks.first { $0.status == .failed && $0.name != "result" }
            throw Refusal(code: validation.resultCode, detail: failed.map { "\($0.name): \($0.detail)" } ?? validation.resultCode.rawValue,
                          chr: request.chr, outerCAR: request.outer?.car)
        }
        return validation
    }

    static func reference(_ chr: String) throws -> CertificationAuthorityReference {
        try CertificationAuthorityReference(encoded: Array(chr.utf8))
    }

    /// Country code and holder mnemonic: the part of a CHR that stays when the sequence number advances.
    static func holder(_ reference: CertificationAuthorityReference) -> String {
        reference.countryCode + reference.holderMnemonic
    }

    static func notAccepted(_ request: CVCertificateRequest, _ detail: String) -> Refusal {
        Refusal(code: .failureRequestNotAccepted, detail: detail, chr: request.chr, outerCAR: request.outer?.car)
    }

    /// Step 4: a CHR is certified once, and a holder's numeric sequence numbers only go up.
    static func checkSequence(_ request: CVCertificateRequest, _ db: Database, domain: String, issuer: String) throws {
        let reference = try Self.reference(request.chr)
        if let date = try CVCARepository.certifiedAt(db, domain: domain, issuer: issuer, chr: request.chr) {
            throw notAccepted(request, "sequence number: \(request.chr) was certified already (\(Time.iso8601(date))); a new key needs the next sequence number")
        }
        guard let number = Int(reference.sequenceNumber) else { return }
        let previous = try CVCARepository.certifiedCHRs(db, domain: domain, issuer: issuer, holderPrefix: holder(reference))
            .compactMap { Int($0.suffix(5)) }.max()
        if let previous, previous >= number {
            throw notAccepted(request, "sequence number: \(reference.sequenceNumber) does not follow \(String(format: "%05d", previous)), the last one certified for \(holder(reference))")
        }
    }

    /// The rights a certificate gets: those asked for (right-aligned, role bits cleared), ANDed with the issuer's.
    static func grant(_ requested: [UInt8], within chat: CertificateHolderAuthorizationTemplate) throws -> [UInt8] {
        let length = chat.relativeAuthorization.count
        guard requested.count <= length else {
            throw CVCAError(.policyViolation, "\(requested.count) bytes of rights do not fit a \(chat.terminalType) CHAT of \(length) byte(s)")
        }
        let padded = [UInt8](repeating: 0, count: length - requested.count) + requested
        guard padded[0] & 0xC0 == 0 else {
            throw CVCAError(.policyViolation, "the rights \(requested.hexString) use the role bits; give the rights only (the role follows from the issuer)")
        }
        return zip(padded, chat.relativeAuthorization).map { $0 & $1 }
    }

    /// Records a refusal (the request with its code, and an audit entry) and returns the error to throw.
    static func record(_ refusal: Refusal, receiver: String, domain: String, bytes: [UInt8], store: EPKIStore, now: Date) throws -> CVCAError {
        try store.write { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            try CVCARepository.insertRequest(db, domain: domain, receiver: receiver, chr: refusal.chr, outerCAR: refusal.outerCAR,
                                             result: refusal.code, detail: refusal.detail, der: bytes, now: now)
            var details = ["resultCode": refusal.code.rawValue, "reason": refusal.detail]
            if let outer = refusal.outerCAR { details["outerCAR"] = outer }
            try AuditTrail.append(db, domain: domain, action: "\(receiver).request-refused", subject: refusal.chr ?? "(unreadable request)",
                                  details: details, now: now)
        }
        return CVCAError(.refused(refusal.code), "\(refusal.code): \(refusal.chr.map { "request \($0)" } ?? "request"): \(refusal.detail)")
    }
}
