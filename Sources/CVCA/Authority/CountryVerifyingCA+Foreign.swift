import CVC
import Foundation
import PKICore
import Store

extension CountryVerifyingCA {
    /// What registering a foreign CVCA certificate did.
    public struct Registration: Sendable {
        public let certificate: CVCertificate
        /// False when the very certificate was registered before (nothing was written).
        public let isNew: Bool
        /// For a link certificate: its check against the CVCA key registered before it.
        public let report: VerificationReport?
    }

    /// Registers a foreign CVCA's certificate (the operator's trust decision, audited): a self-signed one, whose
    /// self-signature must hold, or a link certificate, which must verify under a CVCA key of the same country
    /// registered before. Registered CVCAs vouch for their DVs' initial requests to this CVCA, and the DVCA
    /// verifies the certificates they return against them. A domain without a CVCA of its own may register its
    /// national CVCA this way.
    public func registerForeignCVCA(_ certificate: CVCertificate) throws -> Registration {
        let chr = certificate.chr
        guard certificate.role == .cvca else {
            throw CVCAError(.certificateRefused, "\(chr) is a \(certificate.role) certificate, not a CVCA certificate")
        }
        let reference = try CVRequestIntake.reference(chr)
        let (own, registered) = try store.read { db -> ([CVCertificate], [CVCertificate]) in
            guard try EPKIStore.domain(db, name: domain) != nil else { return ([], []) }
            return (try Self.state(db, domain: domain)?.certificates ?? [],
                    try CVCARepository.certificates(db, domain: domain, source: "foreign").map { try CVCertificate(encoded: $0.der) })
        }
        if own.contains(where: { $0.chr == chr }) {
            throw CVCAError(.certificateRefused, "\(chr) is this domain's own CVCA")
        }
        if registered.contains(certificate) {
            return Registration(certificate: certificate, isNew: false, report: nil)
        }
        if registered.contains(where: { $0.chr == chr && $0.car == certificate.car }) {
            throw CVCAError(.certificateRefused, "another certificate \(chr) issued by \(certificate.car) is registered already; the two cannot both be genuine")
        }
        var report: VerificationReport?
        if certificate.isSelfSigned {
            guard !certificate.publicKey.isEC || certificate.publicKey.hasDomainParameters else {
                throw CVCAError(.certificateRefused, "\(chr): a self-signed CVCA certificate must carry its domain parameters")
            }
            guard (try? certificate.isSelfSignatureValid()) == true else {
                throw CVCAError(.certificateRefused, "\(chr): the self-signature does not verify")
            }
        } else {
            let issuer = try CVRequestIntake.reference(certificate.car)
            guard issuer.countryCode == reference.countryCode else {
                throw CVCAError(.certificateRefused, "\(chr): a link certificate stays within one country, but its CAR is \(certificate.car)")
            }
            let verification = CVChainVerifier(clock: clock).verify(certificate, pool: CVCertificatePool(registered + [certificate]))
            guard verification.isValid else {
                let failed = verification.checks.first { $0.status == .failed }
                throw CVCAError(.certificateRefused, "\(chr): the link certificate does not verify under a registered CVCA of \(reference.countryCode): \(failed.map { "\($0.name): \($0.detail)" } ?? "no check passed")")
            }
            report = verification
        }
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            try CVCARepository.insertCertificate(db, domain: domain, source: "foreign", issuer: nil,
                                                 kind: certificate.isSelfSigned ? "cvca" : "link", certificate: certificate, now: now)
            try AuditTrail.append(db, domain: domain, action: "cvca.register-foreign", subject: chr, details: [
                "car": certificate.car, "country": reference.countryCode, "chat": certificate.chat.description,
                "publicKey": certificate.publicKey.summary(), "expiration": certificate.body.expirationDate.description,
                "sha256": try HashAlgorithm.sha256.hash(certificate.encoded).hexString,
            ], now: now)
        }
        return Registration(certificate: certificate, isNew: true, report: report)
    }

    /// The foreign CVCA certificates registered in the domain, oldest first.
    public func foreignCVCAs() throws -> [CVCertificate] {
        try certificates(source: .foreign).map(\.certificate)
    }
}

extension CountryVerifyingCA {
    /// Adds this CVCA's outer signature to an initial request of one of its country's DVs that goes to a foreign
    /// CVCA (TR-03129 RequestForeignCertificate; TR-03139 Table 2: the national CVCA vouches for the DV's first
    /// request abroad). The request must decode, be a DV of this CVCA's country, and carry a valid inner signature;
    /// a request already authenticated (a successive one, signed with the DV's current key) is returned unchanged.
    /// Audited; a refusal throws with its TR-03129 code and writes nothing.
    public func countersign(_ bytes: [UInt8]) throws -> [UInt8] {
        let state = try store.read { db in try self.state(db) }
        let request: CVCertificateRequest
        do { request = try CVCertificateRequest(encoded: bytes) } catch {
            throw CVCAError(.refused(.failureSyntax), "the request cannot be read: \((error as? CVCAError)?.reason ?? "\(error)")")
        }
        if request.isAuthenticated { return bytes }
        let holder = try CVRequestIntake.reference(request.chr)
        guard holder.countryCode == state.country else {
            throw CVCAError(.refused(.failureRequestNotAccepted), "\(request.chr) is not a DV of \(state.country); this CVCA vouches only for its own country's DVs")
        }
        let pool = CVCertificatePool(state.certificates)
        // A request for a foreign CVCA carries its key's domain parameters; ours serve when it leaves them out.
        let inherited = (try? pool.domainParameters(for: state.current.certificate)) ?? nil
        guard (try? request.isInnerSignatureValid()) == true || (try? request.isInnerSignatureValid(inheriting: inherited)) == true else {
            throw CVCAError(.refused(.failureInnerSignature), "\(request.chr): the inner signature does not verify with the key the request carries")
        }
        let authenticated = try request.authenticated(by: keys.signer(for: state.current.keyReference, domain: domain), certificate: state.current.certificate)
        let now = clock.now()
        try store.write { db in
            try AuditTrail.append(db, domain: domain, action: "cvca.countersign", subject: request.chr, details: [
                "car": request.car ?? "", "outerCAR": state.current.chr,
            ], now: now)
        }
        return try authenticated.encoded
    }
}
