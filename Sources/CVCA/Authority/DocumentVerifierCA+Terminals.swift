import CVC
import Foundation
import PKICore
import Store

extension DocumentVerifierCA {
    /// Issues an inspection-system certificate from its request, under one of the DVCA's DV certificates.
    ///
    /// - The DV certificate is `documentVerifier` (a CHR), else the one the request's CAR names, else the newest
    ///   valid one under the domain's own country's CVCA, else the newest valid one. It must be valid today.
    /// - The requested key must use the chain's algorithm and domain parameters; a terminal whose holder has a
    ///   valid certificate from this DVCA sends successive requests, authenticated by that key.
    /// - The rights are `rights` (default: the policy's) ANDed with what the chain above grants (CVCA AND DV), so
    ///   they never exceed the DV's; the validity is the policy's, ending no later than the DV certificate.
    ///
    /// A refusal throws `CVCAError` with the TR-03129 result code after recording it; nothing is issued.
    public func issueTerminal(_ bytes: [UInt8], rights requested: [UInt8]? = nil, documentVerifier: String? = nil) throws -> CVIssuance {
        let (state, policy, issued) = try store.read { db -> (State, CVCAPolicy, [CVCertificate]) in
            (try self.state(db), try CVCARepository.policy(db, domain: domain),
             try CVCARepository.certificates(db, domain: domain, source: "issued", kind: "terminal").map { try CVCertificate(encoded: $0.der) })
        }
        let rights = try requested ?? policy.terminalRightBytes
        let today = try CVDate(clock.now())
        do {
            let request = try CVRequestIntake.decode(bytes)
            let dv = try issuingCertificate(for: request, named: documentVerifier, state: state, today: today)
            guard let row = state.key(chr: dv.chr) else {
                throw CVCAError(.notFound, "the key of the DV certificate \(dv.chr) is not in the store")
            }
            var pool = state.pool
            for certificate in issued { pool.add(certificate) }
            let chain = try state.pool.path(to: dv)
            guard let chainRights = chain.effectiveAuthorization else {
                throw CVCAError(.policyViolation, "the CHATs of the chain of \(dv.chr) do not combine, so no rights can be granted under it")
            }
            let chr = try CVRequestIntake.reference(request.chr)
            let holder = CVRequestIntake.holder(chr)
            let holderIsCertified = issued.contains { $0.chr.hasPrefix(holder) && $0.chr.count == holder.count + 5 && $0.body.expirationDate >= today }
            let validator = CVRequestValidator(
                domain: try CVRequestValidator.domain(of: dv, in: pool), authenticators: pool, outerSignatureRequired: holderIsCertified, clock: clock)
            let validation = try CVRequestIntake.validate(request, with: validator)
            var report = validation.report
            if let outer = validation.outerCertificate {
                // Only the terminal's own current key vouches for its next one.
                guard outer.role == .terminal, CVRequestIntake.holder(try CVRequestIntake.reference(outer.chr)) == holder else {
                    throw CVRequestIntake.notAccepted(request, "authenticator: \(outer.chr) (\(outer.role)) does not hold a certificate of \(holder)")
                }
                report.add("authenticator", .passed, "\(outer.chr), the terminal's current key")
            }
            let granted = try CVRequestIntake.grant(rights, within: chainRights)
            let expiration = min(try policy.terminalValidity.expiration(from: today), dv.body.expirationDate)
            let signer = try keys.signer(for: row.keyReference, domain: domain)
            let inherited = try pool.domainParameters(for: dv)
            let now = clock.now()
            let certificate = try store.write { db -> CVCertificate in
                try CVRequestIntake.checkSequence(request, db, domain: domain, issuer: "dvca")
                let certificate = try CVCertificateBuilder.certify(
                    request, rights: granted, effectiveDate: today, expirationDate: expiration, issuer: dv, issuerSigner: signer,
                    issuerDomainParameters: inherited)
                let requestID = try CVCARepository.insertRequest(
                    db, domain: domain, receiver: "dvca", chr: request.chr, outerCAR: request.outer?.car, result: .okCertAvailable,
                    detail: "terminal certificate under \(dv.chr)", der: bytes, now: now)
                try CVCARepository.insertCertificate(db, domain: domain, source: "issued", issuer: "dvca", kind: "terminal",
                                                     certificate: certificate, requestID: requestID, now: now)
                var details = [
                    "resultCode": TR03129ResultCode.okCertAvailable.rawValue, "car": dv.chr, "anchor": chain.anchor?.chr ?? "",
                    "chat": certificate.chat.description, "requestedRights": rights.hexString, "expiration": expiration.description,
                    "request": request.isAuthenticated ? "authenticated" : "plain",
                ]
                if let outer = request.outer { details["outerCAR"] = outer.car }
                try AuditTrail.append(db, domain: domain, action: "dvca.issue-terminal", subject: request.chr, details: details, now: now)
                return certificate
            }
            report.add("sequence number", .passed, "\(request.chr) was never certified before")
            report.add("rights", .passed, "\(certificate.chat) (asked \(rights.hexString), the chain grants \(chainRights.authorizationHex))")
            return CVIssuance(certificate: certificate, chain: chain.certificates + [certificate], resultCode: .okCertAvailable, report: report,
                              rights: granted)
        } catch let refusal as CVRequestIntake.Refusal {
            throw try CVRequestIntake.record(refusal, receiver: "dvca", domain: domain, bytes: bytes, store: store, now: clock.now())
        }
    }

    private func issuingCertificate(for request: CVCertificateRequest, named: String?, state: State, today: CVDate) throws -> CVCertificate {
        let chosen: CVCertificate?
        if let named {
            guard let certificate = state.own.last(where: { $0.chr == named }) else {
                throw CVCAError(.notFound, "this DVCA holds no DV certificate \(named)")
            }
            chosen = certificate
        } else if let car = request.car {
            guard let certificate = state.own.last(where: { $0.chr == car }) else {
                throw CVRequestIntake.notAccepted(request, "CAR: the request is addressed to \(car), which is not a DV certificate of this DVCA")
            }
            chosen = certificate
        } else {
            chosen = state.current(under: state.country, on: today) ?? state.own.last { $0.body.effectiveDate <= today && today <= $0.body.expirationDate }
        }
        guard let certificate = chosen else {
            throw CVCAError(.notFound, "this DVCA has no valid DV certificate yet; request one (`epki dvca request`) and import it")
        }
        guard certificate.body.effectiveDate <= today, today <= certificate.body.expirationDate else {
            throw CVCAError(.policyViolation, "the DV certificate \(certificate.chr) is not valid today (\(certificate.body.effectiveDate) to \(certificate.body.expirationDate)); request a new one")
        }
        return certificate
    }
}
