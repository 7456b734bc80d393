import CVC
import Foundation
import PKICore
import Store

extension CountryVerifyingCA {
    /// Issues a DV certificate from a request (TR-03110-3 C.2, TR-03129 §4), domestic or foreign.
    ///
    /// - The request's CAR, when it has one, must name a key of this CVCA that is still valid; that key signs.
    ///   Without a CAR the current key signs. The requested key must use that key's algorithm and domain parameters.
    /// - A DV of this CVCA's country is domestic; any other is foreign, and its requests are always authenticated:
    ///   an initial one by its country's CVCA registered here, a successive one by a DV key this CVCA certified.
    ///   A domestic DV's successive request (the holder has a valid certificate) is authenticated by that key; its
    ///   initial one may be plain, or authenticated by this CVCA.
    /// - The rights are `rights` (default: the policy's) ANDed with the CVCA's; the validity is the policy's,
    ///   ending no later than the CVCA certificate.
    ///
    /// A refusal throws `CVCAError` with the TR-03129 result code as its code (`error.resultCode`) after recording
    /// the request, its code and an audit entry; nothing is issued.
    public func signRequest(_ bytes: [UInt8], rights requested: [UInt8]? = nil) throws -> CVIssuance {
        // Only the requesting holder's own DV certificates matter (its current key authenticates a successive
        // request): reading every DV certificate ever issued made each request slower than the last.
        let holderName = (try? CVCertificateRequest(encoded: bytes)).flatMap { try? CVRequestIntake.reference($0.chr) }.map(CVRequestIntake.holder)
        let (state, policy, pool) = try store.read { db -> (State, CVCAPolicy, CVCertificatePool) in
            let state = try self.state(db)
            var pool = CVCertificatePool(try Self.knownCVCACertificates(db, domain: domain))
            for row in try CVCARepository.certificates(db, domain: domain, source: "issued", kind: "dv", holder: holderName ?? "") {
                pool.add(try CVCertificate(encoded: row.der))
            }
            return (state, try CVCARepository.policy(db, domain: domain), pool)
        }
        let rights = try requested ?? policy.documentVerifierRightBytes
        do {
            let request = try CVRequestIntake.decode(bytes)
            let today = try CVDate(clock.now())
            let issuer = try signingKey(for: request, state: state, today: today)
            let chr = try CVRequestIntake.reference(request.chr)
            let isForeign = chr.countryCode != state.country
            let holder = CVRequestIntake.holder(chr)
            let holderIsCertified = pool.certificates.contains {
                $0.role.isDocumentVerifier && $0.chr.hasPrefix(holder) && $0.chr.count == holder.count + 5 && $0.body.expirationDate >= today
            }
            let validator = CVRequestValidator(
                domain: try CVRequestValidator.domain(of: issuer.certificate, in: pool), authenticators: pool,
                outerSignatureRequired: isForeign || holderIsCertified, clock: clock)
            let validation = try CVRequestIntake.validate(request, with: validator)
            var report = validation.report
            if let outer = validation.outerCertificate {
                try checkAuthenticator(outer, of: request, holder: chr, state: state)
                report.add("authenticator", .passed, "\(outer.chr) (\(outer.role)) may authenticate requests of \(holder)")
            }
            let role: CertificateHolderAuthorizationTemplate.Role = isForeign ? .foreignDV : .domesticDV
            let granted = try CVRequestIntake.grant(rights, within: issuer.certificate.chat)
            let expiration = min(try policy.documentVerifierValidity.expiration(from: today), issuer.certificate.body.expirationDate)
            let signer = try keys.signer(for: issuer.keyReference, domain: domain)
            let now = clock.now()
            let certificate = try store.write { db -> CVCertificate in
                try CVRequestIntake.checkSequence(request, db, domain: domain, issuer: "cvca")
                let certificate = try CVCertificateBuilder.certify(
                    request, role: role, rights: granted, effectiveDate: today, expirationDate: expiration, issuer: issuer.certificate,
                    issuerSigner: signer)
                let requestID = try CVCARepository.insertRequest(
                    db, domain: domain, receiver: "cvca", chr: request.chr, outerCAR: request.outer?.car, result: .okCertAvailable,
                    detail: "\(role) certificate under \(issuer.chr)", der: bytes, now: now)
                try CVCARepository.insertCertificate(db, domain: domain, source: "issued", issuer: "cvca", kind: "dv", certificate: certificate,
                                                     requestID: requestID, now: now)
                var details = [
                    "resultCode": TR03129ResultCode.okCertAvailable.rawValue, "car": issuer.chr, "role": role.description,
                    "chat": certificate.chat.description, "requestedRights": rights.hexString,
                    "expiration": expiration.description, "request": request.isAuthenticated ? "authenticated" : "plain",
                ]
                if let outer = request.outer { details["outerCAR"] = outer.car }
                try AuditTrail.append(db, domain: domain, action: "cvca.sign-request", subject: request.chr, details: details, now: now)
                return certificate
            }
            report.add("sequence number", .passed, "\(request.chr) was never certified before")
            report.add("rights", .passed, "\(certificate.chat) (asked \(rights.hexString), the CVCA holds \(issuer.certificate.chat.authorizationHex))")
            let path = try CVCertificatePool(state.certificates + [certificate]).path(to: certificate)
            return CVIssuance(certificate: certificate, chain: path.certificates, resultCode: .okCertAvailable, report: report, rights: granted)
        } catch let refusal as CVRequestIntake.Refusal {
            throw try CVRequestIntake.record(refusal, receiver: "cvca", domain: domain, bytes: bytes, store: store, now: clock.now())
        }
    }

    /// The CVCA key the request asks for (its CAR), or the current one.
    private func signingKey(for request: CVCertificateRequest, state: State, today: CVDate) throws -> Key {
        guard let car = request.car else { return state.current }
        guard let key = state.key(chr: car) else {
            throw CVRequestIntake.notAccepted(request, "CAR: the request is addressed to \(car), which is not a key of this CVCA (\(state.keys.map(\.chr).joined(separator: ", ")))")
        }
        guard key.certificate.body.expirationDate >= today else {
            throw CVRequestIntake.notAccepted(request, "CAR: the CVCA key \(car) expired on \(key.certificate.body.expirationDate); address the request to \(state.current.chr)")
        }
        return key
    }

    /// Who may authenticate whose request: a DV its own next key; a CVCA (this one, or a registered foreign one)
    /// the DVs of its country.
    private func checkAuthenticator(_ outer: CVCertificate, of request: CVCertificateRequest, holder: CertificationAuthorityReference, state: State) throws {
        let signer = try CVRequestIntake.reference(outer.chr)
        switch outer.role {
        case .domesticDV, .foreignDV:
            guard CVRequestIntake.holder(signer) == CVRequestIntake.holder(holder) else {
                throw CVRequestIntake.notAccepted(request, "authenticator: \(outer.chr) is another DV's key; a successive request is signed by the holder's own current key")
            }
        case .cvca:
            guard signer.countryCode == holder.countryCode else {
                throw CVRequestIntake.notAccepted(request, "authenticator: the CVCA \(outer.chr) vouches for DVs of \(signer.countryCode), not of \(holder.countryCode)")
            }
        case .terminal:
            throw CVRequestIntake.notAccepted(request, "authenticator: \(outer.chr) is a terminal")
        }
    }
}
