import Foundation
import GRDB
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
        try issueSigner(kind: "ds", subject: requested, key: key) { issuer, subject, publicKey, policy, serial in
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
        try issueSigner(kind: type.rawValue, subject: requested, key: key) { issuer, subject, publicKey, policy, serial in
            try issuer.issueListSigner(type, subject: subject, publicKey: publicKey, notBefore: clock.now(),
                                       validityYears: Double(policy.listSignerValidityYears),
                                       ecParameters: policy.explicitECParameters ? .explicit : .namedCurve, serialNumber: serial)
        }
    }

    private func issueSigner(
        kind: String, subject requested: DistinguishedName?, key: SubjectKey,
        build: (ICAOCertificateIssuer, DistinguishedName, PublicKey, CSCAPolicy, [UInt8]) throws -> Certificate
    ) throws -> Issued {
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
            guard let subject else { throw CSCAError(.requestRefused, "the certificate needs a subject name") }
            guard subject.countryName == country else {
                throw CSCAError(.requestRefused, "subject country \(subject.countryName ?? "none") differs from the CSCA's \(country)")
            }
            guard subject.commonName != nil else { throw CSCAError(.requestRefused, "the subject needs a commonName (CN=)") }

            let signer = try keys.signer(for: authority.keyReference)
            let issuer = try ICAOCertificateIssuer(signer: signer, cscaCertificate: authority.certificate,
                                                   crlDistributionPoints: policy.crlDistributionPoints)
            var generated: String?
            let publicKey: PublicKey
            switch key {
            case .request(let request): publicKey = try request.publicKey
            case .publicKey(let given): publicKey = given
            case .generate(let specification):
                let created = try keys.generate(specification, name: "\(kind)-\(country.lowercased())", domain: domain)
                generated = created.reference
                publicKey = created.signer.publicKey
            }
            do {
                let now = clock.now()
                return try store.write { db -> Issued in
                    let certificate = try build(issuer, subject, publicKey, policy, try freshSerial(db))
                    try ProfileLinter.requireClean(certificate, as: kind == "ds" ? .documentSigner : kind == "mls" ? .masterListSigner : .deviationListSigner)
                    try CSCARepository.insertCertificate(db, domain: domain, authorityID: authority.id, kind: kind, certificate: certificate,
                                                         keyReference: generated, now: now)
                    var details = ["serial": certificate.serialNumberHex, "notAfter": Time.iso8601(certificate.notAfter)]
                    if let generated { details["key"] = generated }
                    try AuditTrail.append(db, domain: domain, action: "\(kind).issue", subject: subject.description, details: details, now: now)
                    return Issued(certificate: certificate, keyReference: generated)
                }
            } catch {
                if let generated { keys.discard(generated) }
                throw error
            }
        } catch let error as CSCAError where error.code == .requestRefused || error.code == .policyViolation {
            try refuse(kind: kind, requested: requested, key: key, reason: error.reason)
        } catch let error as PKIError where error.code == .invalidValue {
            try refuse(kind: kind, requested: requested, key: key, reason: error.reason)
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
