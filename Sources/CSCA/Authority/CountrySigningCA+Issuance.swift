import Foundation
import ICAOProfile
import PKICore
import Store

extension CountrySigningCA {
    /// Where a new signer certificate's key comes from.
    public enum SubjectKey: Sendable {
        /// A PKCS#10 request from a personalization site; its signature is checked first.
        case request(CertificationRequest)
        /// A key epki generates through the key provider (software or HSM).
        case generate(KeySpecification)
        /// A public key given as is.
        case publicKey(PublicKey)
    }

    /// A certificate the CSCA issued, with the reference of the key epki generated for it, if any.
    public struct Issued: Sendable {
        public let certificate: Certificate
        public let keyReference: String?
    }

    /// Issues a Document Signer certificate under the domain's policy: country equal to the CSCA's, key usage
    /// period at most the policy's, validity within the CSCA's, document types valid. A refusal is recorded
    /// in the audit trail and nothing else.
    public func issueDocumentSigner(subject requested: DistinguishedName?, key: SubjectKey, documentTypes: [String]? = nil,
                                    keyUsageStart: Date? = nil, signatureAlgorithm: SignatureAlgorithm? = nil) throws -> Issued {
        try issueSigner(kind: .documentSigner, subject: requested, key: key) { issuer, subject, publicKey, policy, serial in
            try issuer.issueDocumentSigner(
                subject: subject, publicKey: publicKey, documentTypes: documentTypes ?? policy.defaultDocumentTypes,
                keyUsageStart: keyUsageStart ?? clock.now(), keyUsageMonths: policy.documentSignerKeyUsageMonths,
                documentValidityYears: Double(policy.documentValidityYears),
                ecParameters: policy.explicitECParameters ? .explicit : .namedCurve, serialNumber: serial)
        }
    }

    /// Issues a Master List Signer or Deviation List Signer certificate (EKU critical).
    public func issueListSigner(_ type: ICAOCertificateIssuer.ListSignerType, subject requested: DistinguishedName?, key: SubjectKey,
                                signatureAlgorithm: SignatureAlgorithm? = nil) throws -> Issued {
        try issueSigner(kind: type == .masterList ? .masterListSigner : .deviationListSigner, subject: requested, key: key) {
            issuer, subject, publicKey, policy, serial in
            try issuer.issueListSigner(type, subject: subject, publicKey: publicKey, notBefore: clock.now(),
                                       validityYears: Double(policy.listSignerValidityYears),
                                       ecParameters: policy.explicitECParameters ? .explicit : .namedCurve, serialNumber: serial)
        }
    }

    /// Issues a SPOC TLS client or server certificate (Doc 9303-12 §7.2.1) for the SPOC of the CSCA's State, kind
    /// `spoc-client` or `spoc-server` in the store.
    ///
    /// Refused, with the refusal in the audit trail and before any key is generated, when: the subject's country is
    /// not the CSCA's or it has no commonName; `validityMonths` is outside 6–18 or the validity (from the clock's
    /// now) would outlast the CSCA certificate; a server certificate names no dNSName, or a name is not a host name;
    /// the key is not on P-256, P-384 or P-521, or is RSA shorter than 2048 bits (brainpool keys are refused: TLS
    /// peers on BoringSSL cannot use them); the domain's policy names no CRL distribution point.
    ///
    /// - Parameters:
    ///   - subject: nil for the request's subject, else `C=<CSCA country>, CN=SPOC TLS client` (or `server`).
    ///   - dnsNames: the host of the SPOC's URL (at least one for a server; optional for a client).
    ///   - key: a PKCS#10 request, a public key, or a key to generate through the key provider (EC keys are
    ///     generated with named curves whatever the specification says).
    public func issueSPOCTLSCertificate(role: SPOCTLSRole, family: SPOCEKUFamily, subject requested: DistinguishedName? = nil,
                                        dnsNames: [String] = [], validityMonths: Int = 12, key: SubjectKey) throws -> Issued {
        let profile = SPOCTLSProfile(role: role, family: family)
        var key = key
        if case .generate(.ec(let curve, _)) = key { key = .generate(.ec(curve, parameters: .namedCurve)) }
        let kind: ProfileLinter.CertificateKind = role == .client ? .spocClient : .spocServer
        return try issueSigner(
            kind: kind, subject: requested, key: key,
            defaultSubject: { country in
                try DistinguishedName(attributes: [(.NameAttributes.countryName, country), (.NameAttributes.commonName, profile.defaultCommonName)])
            },
            check: { authority, policy in
                guard SPOCTLSProfile.validityMonths.contains(validityMonths) else {
                    throw CSCAError(.requestRefused, "a SPOC TLS certificate is valid for 6 to 18 months (Doc 9303-12 Table 1), not \(validityMonths)")
                }
                let now = clock.now()
                let notAfter = now.addingMonths(validityMonths)
                let csca = authority.certificate
                guard now >= csca.notBefore, notAfter <= csca.notAfter else {
                    throw CSCAError(.requestRefused, "validity \(Time.iso8601(now))–\(Time.iso8601(notAfter)) reaches beyond the CSCA certificate "
                                    + "(\(Time.iso8601(csca.notBefore))–\(Time.iso8601(csca.notAfter))); roll the CSCA over or ask for fewer months")
                }
                if role == .server, dnsNames.isEmpty {
                    throw CSCAError(.requestRefused, "a SPOC server certificate needs the host of the SPOC's URL as a dNSName (Doc 9303-12 §7.2.1): give --dns HOST")
                }
                for host in dnsNames {
                    if let problem = SPOCTLSProfile.dnsNameProblem(host) { throw CSCAError(.requestRefused, problem) }
                }
                guard !policy.crlDistributionPoints.isEmpty else {
                    throw CSCAError(.requestRefused, "the domain's policy names no CRL distribution point, which SPOC TLS certificates must carry (Doc 9303-12 §7.2.1)")
                }
                switch key {
                case .generate(let specification):
                    if let problem = SPOCTLSProfile.keyProblem(specification) { throw CSCAError(.requestRefused, problem) }
                case .request(let request):
                    if let problem = SPOCTLSProfile.keyProblem(try request.publicKey) { throw CSCAError(.requestRefused, problem) }
                case .publicKey(let given):
                    if let problem = SPOCTLSProfile.keyProblem(given) { throw CSCAError(.requestRefused, problem) }
                }
            },
            auditDetails: ["family": family.rawValue, "dnsNames": dnsNames.joined(separator: ",")]
        ) { issuer, subject, publicKey, _, serial in
            try issuer.issueSPOCTLS(profile, subject: subject, publicKey: publicKey, dnsNames: dnsNames, notBefore: clock.now(),
                                    validityMonths: validityMonths, serialNumber: serial)
        }
    }

    /// The issuing sequence every signer certificate shares: subject and policy checks (`check`), then the key
    /// (generated only once nothing is left to refuse), then one store transaction with a fresh serial, the
    /// certificate linted as `kind`, its row and its audit entry. Refusals are recorded and rethrown.
    private func issueSigner(
        kind: ProfileLinter.CertificateKind, subject requested: DistinguishedName?, key: SubjectKey,
        defaultSubject: ((String) throws -> DistinguishedName)? = nil,
        check: (Authority, CSCAPolicy) throws -> Void = { _, _ in }, auditDetails: [String: String] = [:],
        build: (ICAOCertificateIssuer, DistinguishedName, PublicKey, CSCAPolicy, [UInt8]) throws -> Certificate
    ) throws -> Issued {
        let kindName = kind.rawValue
        let authority = try activeAuthority()
        let policy = try self.policy()
        let country = authority.certificate.subject.countryName ?? ""
        do {
            // Everything that can be refused is checked before a key is generated or anything is written.
            var subject = requested
            if case .request(let request) = key {
                guard try request.isSignatureValid() else {
                    throw CSCAError(.requestRefused, "the PKCS#10 request's signature does not verify with the key it carries")
                }
                subject = subject ?? request.subject
            }
            if subject == nil, let defaultSubject { subject = try defaultSubject(country) }
            guard let subject else { throw CSCAError(.requestRefused, "the certificate needs a subject name") }
            guard subject.countryName == country else {
                throw CSCAError(.requestRefused, "subject country \(subject.countryName ?? "none") differs from the CSCA's \(country)")
            }
            guard subject.commonName != nil else { throw CSCAError(.requestRefused, "the subject needs a commonName (CN=)") }
            try check(authority, policy)

            let signer = try keys.signer(for: authority.keyReference, domain: domain)
            let issuer = try ICAOCertificateIssuer(signer: signer, cscaCertificate: authority.certificate,
                                                   crlDistributionPoints: policy.crlDistributionPoints)
            var generated: String?
            let publicKey: PublicKey
            switch key {
            case .request(let request): publicKey = try request.publicKey
            case .publicKey(let given): publicKey = given
            case .generate(let specification):
                let name = "\(kindName)-\(country.lowercased())"
                try removeAbandonedKeys(name: name)
                // Provisional until the transaction below commits: a process killed in between leaves an
                // unlocked file nothing names, which the next issuance removes.
                let created = try keys.generateProvisional(specification, name: name, domain: domain)
                generated = created.reference
                publicKey = created.signer.publicKey
            }
            do {
                let now = clock.now()
                for _ in 0..<8 {
                    // Signed and linted before the transaction: on a shared store the transaction holds the writers'
                    // lock that every node waits for, and the signature is the slow part of an issuance. The serial
                    // is random; the transaction makes sure it is unused (and the table's unique key, that it stays so).
                    let serial = try CertificateBuilder.randomSerialNumber()
                    let certificate = try build(issuer, subject, publicKey, policy, serial)
                    try ProfileLinter.requireClean(certificate, as: kind)
                    let issued = try store.write { db -> Issued? in
                        guard try !CSCARepository.serialExists(db, domain: domain, serial: serial.hexString) else { return nil }
                        try CSCARepository.insertCertificate(db, domain: domain, authorityID: authority.id, kind: kindName, certificate: certificate,
                                                             keyReference: generated, now: now)
                        var details = auditDetails.merging(["serial": certificate.serialNumberHex, "notAfter": Time.iso8601(certificate.notAfter)]) { $1 }
                        if let generated { details["key"] = generated }
                        try AuditTrail.append(db, domain: domain, action: "\(kindName).issue", subject: subject.description, details: details, now: now)
                        return Issued(certificate: certificate, keyReference: generated)
                    }
                    if let issued {
                        if let generated { keys.settle(generated) }
                        return issued
                    }
                }
                throw CSCAError(.policyViolation, "could not draw an unused serial number")
            } catch {
                if let generated { keys.discard(generated) }
                throw error
            }
        } catch let error as CSCAError where error.code == .requestRefused || error.code == .policyViolation {
            try refuse(kind: kindName, requested: requested, key: key, reason: error.reason)
        } catch let error as PKIError where error.code == .invalidValue {
            try refuse(kind: kindName, requested: requested, key: key, reason: error.reason)
        }
    }

    /// Removes the key files named like `name` that an issuance generated and never committed (its process was
    /// killed in between), and records what it removed in the audit trail. The key provider looks once per name
    /// (a service makes an authority value per request), and the store is read only when a file is a candidate.
    private func removeAbandonedKeys(name: String) throws {
        var claimed: Set<String>?
        let removed = try keys.removeAbandonedKeys(domain: domain, name: name) { reference in
            let known = try claimed ?? store.read { db in try CSCARepository.keyReferences(db, domain: domain) }
            claimed = known
            return try known.contains(reference) || store.read { db in try CSCARepository.keyReferenceExists(db, domain: domain, reference: reference) }
        }
        guard !removed.isEmpty else { return }
        try store.write { db in
            _ = try AuditTrail.append(db, domain: domain, action: "key.abandoned-removed", subject: name,
                                      details: ["keys": removed.sorted().joined(separator: ","),
                                                "reason": "generated for an issuance that never committed (its process ended first)"],
                                      now: clock.now())
        }
    }

    private func refuse(kind: String, requested: DistinguishedName?, key: SubjectKey, reason: String) throws -> Never {
        var subject = requested?.description ?? "(no subject)"
        if requested == nil, case .request(let request) = key { subject = request.subject.description }
        try recordRefusal(kind: kind, subject: subject, reason: reason)
        throw CSCAError(.requestRefused, reason)
    }

    func recordRefusal(kind: String, subject: String, reason: String) throws {
        try store.write { db in
            _ = try AuditTrail.append(db, domain: domain, action: "\(kind).refused", subject: subject, details: ["reason": reason], now: clock.now())
        }
    }
}
