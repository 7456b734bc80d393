import CVC
import Foundation
import PKICore
import Store

extension SinglePointOfContact {
    /// Registers (or updates) a national DV operator: its holder name, its TLS client certificate (pinned by SHA-256,
    /// which must chain to `root`) and the URL its callbacks go to. Audited.
    @discardableResult
    public func registerNationalDV(holder: String, certificate: [UInt8], root: [UInt8], callbackURL: String?) throws -> NationalDV {
        let reference: CertificationAuthorityReference
        do { reference = try CertificationAuthorityReference(encoded: Array((holder + "00001").utf8)) } catch {
            throw SPOCError(.invalidInput, "'\(holder)' is not a DV holder name (country code and mnemonic, e.g. CZDVB)")
        }
        let identity = try identity()
        guard reference.countryCode == identity.country else {
            throw SPOCError(.invalidInput, "\(holder) is not a DV of \(identity.country); the TR-03129 service is for this country's DVs")
        }
        let leaf: Certificate
        let anchor: Certificate
        do {
            leaf = try Certificate(bytes: certificate)
            anchor = try Certificate(bytes: root)
        } catch {
            throw SPOCError(.invalidInput, "the DV's TLS certificate or its root cannot be read: \(error)")
        }
        guard (try? leaf.isSignatureValid(issuerKey: anchor.publicKey)) == true else {
            throw SPOCError(.invalidInput, "\(leaf.subject) is not issued by \(anchor.subject)")
        }
        if let callbackURL {
            guard let url = URL(string: callbackURL), url.scheme?.lowercased() == "https", url.host != nil else {
                throw SPOCError(.invalidInput, "the callback URL '\(callbackURL)' is not an https URL")
            }
        }
        let dv = NationalDV(holder: holder, certificateFingerprint: try HashAlgorithm.sha256.hash(certificate).hexString, root: root,
                            callbackURL: callbackURL, registeredAt: clock.now())
        let now = clock.now()
        try store.write { db in
            try SPOCRepository.upsertNationalDV(db, domain: domain, dv)
            try AuditTrail.append(db, domain: domain, action: "spoc.register-dv", subject: holder, details: [
                "certificateSHA256": dv.certificateFingerprint, "certificate": leaf.subject.description, "callback": callbackURL ?? "",
            ], now: now)
        }
        return dv
    }

    public func nationalDVs() throws -> [NationalDV] {
        try store.read { db in try SPOCRepository.nationalDVs(db, domain: domain) }
    }

    /// The national DV whose TLS client certificate this is: pinned, chaining to its registered root, valid now.
    public func authenticateNationalDV(_ leafDER: [UInt8]) throws -> NationalDV {
        let fingerprint = try HashAlgorithm.sha256.hash(leafDER).hexString
        guard let dv = try nationalDVs().first(where: { $0.certificateFingerprint == fingerprint }) else {
            throw SPOCError(.unauthorized, "the client certificate (SHA-256 \(fingerprint.prefix(16))…) is no registered DV's")
        }
        let leaf = try Certificate(bytes: leafDER)
        let root = try Certificate(bytes: dv.root)
        let now = clock.now()
        for certificate in [leaf, root] where !(certificate.notBefore <= now && now <= certificate.notAfter) {
            throw SPOCError(.unauthorized, "\(certificate.subject) is not valid now (\(Time.iso8601(certificate.notBefore)) – \(Time.iso8601(certificate.notAfter)))")
        }
        guard (try? leaf.isSignatureValid(issuerKey: root.publicKey)) == true else {
            throw SPOCError(.unauthorized, "\(leaf.subject) does not verify under the root registered for \(dv.holder)")
        }
        return dv
    }

    /// Answers a national DV's request to the CVCA service (TR-03129 §4): its own requests go to our CVCA, its
    /// requests for a foreign CVCA are countersigned by our CVCA (initial ones) and forwarded through the SPOC.
    public func handleNational(_ request: TR03129Request, from dv: NationalDV, authority: any NationalCertificateAuthority,
                               client: SPOCClient?) async -> TR03129Response {
        let operation = "TR-03129 \(request.operation)"
        func answer(_ code: String, _ certificates: [[UInt8]] = [], _ detail: String) -> TR03129Response {
            try? log(.inbound, dv.holder, operation, request.messageID, code, detail)
            return TR03129Response(operation: request.operation, returnCode: code, certificates: certificates)
        }
        func ownDV(_ bytes: [UInt8]) -> String? {
            guard let chr = (try? CVCertificateRequest(encoded: bytes))?.chr else { return "failure_syntax" }
            return chr.hasPrefix(dv.holder) ? nil : "failure_request_not_accepted"
        }
        switch request {
        case .getCACertificates:
            do {
                let certificates = try authority.caCertificates()
                return answer("ok_cert_available", certificates, "\(certificates.count) CVCA certificate(s)")
            } catch {
                return answer("failure_internal_error", [], Self.reason(error))
            }
        case .requestCertificate(_, _, let bytes):
            if let refusal = ownDV(bytes) { return answer(refusal, [], "the request is not for a key of \(dv.holder)") }
            let decision = authority.certify(bytes, callerID: (try? identity().country) ?? "")
            return answer(decision.result.rawValue, decision.certificates, decision.detail)
        case .requestForeignCertificate(_, let messageID, let foreignCAR, let bytes):
            if let refusal = ownDV(bytes) { return answer(refusal, [], "the request is not for a key of \(dv.holder)") }
            let country = String(foreignCAR.prefix(2))
            guard (try? peer(country)) != nil, let client else {
                return answer("failure_foreignCAR_unknown", [], "no SPOC is registered for \(country) (foreignCAR \(foreignCAR))")
            }
            let authenticated: [UInt8]
            do { authenticated = try authority.countersign(bytes) } catch {
                let named: String = (error as? any CodedError).map { "\($0.code)" } ?? ""
                let code = named.hasPrefix("failure_") ? named : "failure_request_not_accepted"
                return answer(code, [], "our CVCA did not countersign: \(Self.reason(error))")
            }
            do {
                let sent = try await client.requestCertificate(authenticated, to: country, documentVerifier: nil, forwardTo: dv.holder, forwardMessageID: messageID)
                let result = sent.response.result
                if result == .okCertAvailable || result == .okReceptionAck {
                    return answer(result.rawValue, sent.response.certificates, "forwarded to \(country) as \(sent.messageID)")
                }
                return answer("failure_request_not_accepted_foreign", [], "\(country) answered \(result) to \(sent.messageID)")
            } catch {
                return answer("failure_not_forwarded", [], "\(country) could not be reached: \(Self.reason(error))")
            }
        }
    }
}
