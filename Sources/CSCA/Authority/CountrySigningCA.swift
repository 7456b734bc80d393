import Foundation
import ICAOProfile
import PKICore
import Store

/// The Country Signing CA of one domain, on the persistent store.
///
/// Every operation is one store transaction that records the certificate (or CRL, or list) and its audit
/// entry together; a certificate is handed out only after that transaction committed. Refusals are recorded as
/// audit entries and nothing else.
public struct CountrySigningCA: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let clock: any PKIClock
    public let keys: any KeyProvider

    public static let migrations = CSCARepository.migrations

    public init(store: EPKIStore, domain: String, keys: any KeyProvider, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.keys = keys
        self.clock = clock
    }

    /// The active CSCA: its certificate, key reference and row id.
    public struct Authority: Sendable {
        public let id: Int64
        public let certificate: Certificate
        public let keyReference: String
    }

    public func activeAuthority() throws -> Authority {
        try store.read { db in try activeAuthority(db) }
    }

    func activeAuthority(_ db: Database) throws -> Authority {
        _ = try EPKIStore.requireDomain(db, name: domain)
        guard let row = try CSCARepository.authorities(db, domain: domain).last(where: { $0.state == "active" }) else {
            throw CSCAError(.notInitialized, "domain '\(domain)' has no CSCA yet; run `epki csca init`")
        }
        guard let stored = try CSCARepository.certificate(db, domain: domain, serial: row.certificateSerial) else {
            throw CSCAError(.notInitialized, "the CSCA certificate of domain '\(domain)' is missing from the store")
        }
        return Authority(id: row.id, certificate: try Certificate(bytes: stored.der), keyReference: row.keyReference)
    }

    public func policy() throws -> CSCAPolicy {
        try store.read { db in try CSCARepository.policy(db, domain: domain) }
    }

    /// Changes the domain's policy, recorded in the audit trail.
    public func setPolicy(_ policy: CSCAPolicy) throws {
        try policy.validate()
        try store.write { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            try CSCARepository.setPolicy(db, domain: domain, policy: policy)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try AuditTrail.append(db, domain: domain, action: "policy.set", subject: domain,
                                  details: ["policy": String(decoding: try encoder.encode(policy), as: UTF8.self)], now: clock.now())
        }
    }

    /// Creates the domain (if new) and its CSCA: a key and a self-signed certificate per Doc 9303-12
    /// Tables 5 and 6. Refused when the domain already has a CSCA (use `rollover`).
    public func initialize(subject: DistinguishedName, key: KeySpecification, policy: CSCAPolicy = CSCAPolicy(),
                           signatureAlgorithm: SignatureAlgorithm? = nil) throws -> Certificate {
        try policy.validate()
        guard let country = subject.countryName else { throw CSCAError(.policyViolation, "the CSCA name needs a countryName (C=)") }
        guard subject.commonName != nil else { throw CSCAError(.policyViolation, "the CSCA name needs a commonName (CN=)") }
        guard !policy.crlDistributionPoints.isEmpty else {
            throw CSCAError(.policyViolation, "a CRL distribution point is required (Doc 9303-12 Table 6 makes CRLDistributionPoints mandatory): give --crl-url")
        }
        let hasCSCA = try store.read { db in
            try EPKIStore.domain(db, name: domain) != nil && !CSCARepository.authorities(db, domain: domain).isEmpty
        }
        guard !hasCSCA else { throw CSCAError(.policyViolation, "domain '\(domain)' already has a CSCA; use `epki csca rollover`") }
        let (reference, signer) = try keys.generate(key, name: "csca-\(country.lowercased())", domain: domain)
        let now = clock.now()
        let certificate = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: subject, signer: signer, signatureAlgorithm: signatureAlgorithm, keyUsageStart: now,
            keyUsageYears: policy.cscaKeyUsageYears, longestDocumentSignerValidityYears: policy.longestDocumentSignerValidityYears,
            crlDistributionPoints: policy.crlDistributionPoints, ecParameters: policy.explicitECParameters ? .explicit : .namedCurve)
        try ProfileLinter.requireClean(certificate, as: .csca)
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            guard try CSCARepository.authorities(db, domain: domain).isEmpty else {
                throw CSCAError(.policyViolation, "domain '\(domain)' already has a CSCA")
            }
            try CSCARepository.setPolicy(db, domain: domain, policy: policy)
            let id = try CSCARepository.insertAuthority(db, domain: domain, subject: subject.description, country: country,
                                                        keyReference: reference, serial: certificate.serialNumberHex, now: now)
            try CSCARepository.insertCertificate(db, domain: domain, authorityID: id, kind: "csca", certificate: certificate,
                                                 keyReference: reference, now: now)
            try AuditTrail.append(db, domain: domain, action: "csca.init", subject: subject.description,
                                  details: ["serial": certificate.serialNumberHex, "key": reference, "keySHA256": try certificate.publicKey.sha256Fingerprint,
                                            "notAfter": Time.iso8601(certificate.notAfter)], now: now)
        }
        return certificate
    }

    /// A new CSCA key: its self-signed certificate and the link certificate in which the previous key certifies
    /// the new key and name (Doc 9303-12 §5.1.1, §7.1.1.5). A changed name adds the NameChange extension.
    public func rollover(newSubject: DistinguishedName? = nil, key: KeySpecification,
                         signatureAlgorithm: SignatureAlgorithm? = nil) throws -> (selfSigned: Certificate, link: Certificate) {
        let old = try activeAuthority()
        let policy = try self.policy()
        let subject = newSubject ?? old.certificate.subject
        guard subject.countryName == old.certificate.subject.countryName else {
            throw CSCAError(.policyViolation, "a rollover keeps the country (\(old.certificate.subject.countryName ?? "?"))")
        }
        let oldSigner = try keys.signer(for: old.keyReference, domain: domain)
        let (reference, signer) = try keys.generate(key, name: "csca-\((subject.countryName ?? "xx").lowercased())", domain: domain)
        let now = clock.now()
        let encoding: ECParameterEncoding = policy.explicitECParameters ? .explicit : .namedCurve
        let selfSigned = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: subject, signer: signer, signatureAlgorithm: signatureAlgorithm, keyUsageStart: now,
            keyUsageYears: policy.cscaKeyUsageYears, longestDocumentSignerValidityYears: policy.longestDocumentSignerValidityYears,
            crlDistributionPoints: policy.crlDistributionPoints, ecParameters: encoding)
        // The link certificate carries the new certificate's extensions, its validity, and the old key's AKI.
        var extensions = Extensions(selfSigned.extensions.items.filter { $0.oid != AuthorityKeyIdentifier.oid })
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: old.certificate.subjectKeyIdentifier ?? (try oldSigner.publicKey.keyIdentifier)), critical: false)
        if !subject.isEquivalent(to: old.certificate.subject) { try extensions.append(NameChange(), critical: false) }
        let link = try store.write { db -> Certificate in
            let serial = try freshSerial(db)
            let link = try CertificateBuilder(
                serialNumber: serial, issuer: old.certificate.subject, subject: subject, notBefore: selfSigned.notBefore,
                notAfter: selfSigned.notAfter, subjectPublicKeyInfo: selfSigned.tbsCertificate.subjectPublicKeyInfo, extensions: extensions
            ).sign(with: oldSigner, algorithm: signatureAlgorithm)
            try ProfileLinter.requireClean(selfSigned, as: .csca)
            try ProfileLinter.requireClean(link, as: .link)
            let id = try CSCARepository.insertAuthority(db, domain: domain, subject: subject.description,
                                                        country: subject.countryName ?? "", keyReference: reference,
                                                        serial: selfSigned.serialNumberHex, now: now)
            try CSCARepository.insertCertificate(db, domain: domain, authorityID: id, kind: "csca", certificate: selfSigned, keyReference: reference, now: now)
            try CSCARepository.insertCertificate(db, domain: domain, authorityID: old.id, kind: "link", certificate: link, keyReference: nil, now: now)
            try AuditTrail.append(db, domain: domain, action: "csca.rollover", subject: subject.description,
                                  details: ["serial": selfSigned.serialNumberHex, "linkSerial": link.serialNumberHex, "key": reference,
                                            "keySHA256": try selfSigned.publicKey.sha256Fingerprint, "previousSerial": old.certificate.serialNumberHex], now: now)
            return link
        }
        return (selfSigned, link)
    }

    /// A random serial not yet used in the domain (checked inside the issuing transaction; the UNIQUE index
    /// guards the rest).
    func freshSerial(_ db: Database) throws -> [UInt8] {
        for _ in 0..<8 {
            let serial = try CertificateBuilder.randomSerialNumber()
            if try !CSCARepository.serialExists(db, domain: domain, serial: serial.hexString) { return serial }
        }
        throw CSCAError(.policyViolation, "could not draw an unused serial number")
    }
}

