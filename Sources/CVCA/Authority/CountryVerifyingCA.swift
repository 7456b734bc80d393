import CVC
import Foundation
import PKICore
import Store

/// The Country Verifying CA of one domain, on the persistent store (BSI TR-03110-3 §2.2, TR-03129).
///
/// ```
/// CVCA key n      self-signed certificate (domain parameters included, role CVCA, the rights it may delegate)
///   └ key n+1     self-signed certificate, and a link certificate signed with key n (CAR = CHR n)
/// DV certificates from requests (domestic and foreign), under the domain's validity policy
/// foreign CVCAs   registered by the operator: they vouch for their DVs' initial requests
/// ```
/// Every operation is one store transaction that records its certificates and its audit entry together; a
/// refused request leaves the request, its TR-03129 result code and an audit entry, and nothing else.
public struct CountryVerifyingCA: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let keys: any KeyProvider
    public let clock: any PKIClock

    /// The tables of the CVCA and the DVCA, for `EPKIStore(directory:migrations:)`.
    public static let migrations = CVCARepository.migrations

    public init(store: EPKIStore, domain: String, keys: any KeyProvider, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.keys = keys
        self.clock = clock
    }

    /// One CVCA key: its CHR, where the key lives, its self-signed certificate and the link certificate that
    /// certified it with the previous key (none for the first key).
    public struct Key: Sendable {
        public let chr: String
        public let keyReference: String
        public let certificate: CVCertificate
        public let link: CVCertificate?
    }

    /// The CVCA's holder name and keys, oldest first (never empty).
    struct State: Sendable {
        let country: String
        let mnemonic: String
        let keys: [Key]

        var current: Key {
            // `state(_:)` never builds a State without keys.
            keys[keys.count - 1]
        }

        /// The self-signed and link certificates of every key.
        var certificates: [CVCertificate] {
            keys.flatMap { [$0.certificate] + ($0.link.map { [$0] } ?? []) }
        }

        func key(chr: String) -> Key? { keys.last { $0.chr == chr } }
    }

    static func state(_ db: Database, domain: String) throws -> State? {
        guard let authority = try CVCARepository.authority(db, domain: domain, kind: "cvca") else { return nil }
        let issued = try CVCARepository.certificates(db, domain: domain, source: "issued").filter { $0.kind == "cvca" || $0.kind == "link" }
            .map { ($0.kind, try CVCertificate(encoded: $0.der)) }
        let keys = try CVCARepository.keys(db, domain: domain, owner: "cvca").map { row -> Key in
            guard let certificate = issued.first(where: { $0.0 == "cvca" && $0.1.chr == row.chr })?.1 else {
                throw CVCAError(.notFound, "the self-signed certificate of CVCA key \(row.chr) is missing from the store")
            }
            return Key(chr: row.chr, keyReference: row.keyReference, certificate: certificate,
                       link: issued.first(where: { $0.0 == "link" && $0.1.chr == row.chr })?.1)
        }
        guard !keys.isEmpty else { return nil }
        return State(country: authority.country, mnemonic: authority.mnemonic, keys: keys)
    }

    func state(_ db: Database) throws -> State {
        _ = try EPKIStore.requireDomain(db, name: domain)
        guard let state = try Self.state(db, domain: domain) else {
            throw CVCAError(.notInitialized, "domain '\(domain)' has no CVCA yet; run `epki cvca init`")
        }
        return state
    }

    /// The CVCA's keys, oldest first.
    public func cvcaKeys() throws -> [Key] {
        try store.read { db in try state(db).keys }
    }

    /// The key that signs now: the newest.
    public func currentKey() throws -> Key {
        try store.read { db in try state(db).current }
    }

    public func policy() throws -> CVCAPolicy {
        try store.read { db in try CVCARepository.policy(db, domain: domain) }
    }

    /// Changes the domain's policy, recorded in the audit trail with the values before and after.
    public func setPolicy(_ policy: CVCAPolicy) throws {
        try policy.validate()
        try store.write { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            let before = try CVCARepository.policy(db, domain: domain)
            try CVCARepository.setPolicy(db, domain: domain, policy: policy)
            try AuditTrail.append(db, domain: domain, action: "cvca.policy", subject: domain,
                                  details: ["policy": try CVCARepository.policyJSON(policy), "previous": try CVCARepository.policyJSON(before)],
                                  now: clock.now())
        }
    }

    /// Creates the domain (if new) and its CVCA: a key and a self-signed certificate with the domain parameters,
    /// role CVCA and the rights it may delegate (for id-IS: 01 DG3, 02 DG4). Refused when the domain has a CVCA
    /// already (use `link`).
    public func initialize(
        country: String, mnemonic: String = "CVCA", key specification: KeySpecification, algorithm: TerminalAuthenticationAlgorithm? = nil,
        rights: [UInt8] = [0x03], terminalType: CertificateHolderAuthorizationTemplate.TerminalType = .inspectionSystem,
        policy: CVCAPolicy = CVCAPolicy()
    ) throws -> CVCertificate {
        try policy.validate()
        let chr = try CertificationAuthorityReference(countryCode: country, holderMnemonic: mnemonic, sequenceNumber: "00001")
        let exists = try store.read { db in
            try EPKIStore.domain(db, name: domain) != nil && CVCARepository.authority(db, domain: domain, kind: "cvca") != nil
        }
        guard !exists else { throw CVCAError(.alreadyExists, "domain '\(domain)' already has a CVCA; a new key is made with `epki cvca link`") }
        let (reference, signer) = try keys.generate(specification, name: "cvca-\(chr)", domain: domain)
        do {
            let scheme = try algorithm ?? .default(for: signer)
            let today = try CVDate(clock.now())
            let certificate = try CVCertificateBuilder.selfSignedCVCA(
                signer: signer, algorithm: scheme, chr: chr, terminalType: terminalType, rights: rights, effectiveDate: today,
                expirationDate: policy.cvcaValidity.expiration(from: today))
            let now = clock.now()
            try store.write { db in
                try EPKIStore.ensureDomain(db, name: domain, now: now)
                guard try CVCARepository.authority(db, domain: domain, kind: "cvca") == nil else {
                    throw CVCAError(.alreadyExists, "domain '\(domain)' already has a CVCA")
                }
                try CVCARepository.insertAuthority(db, domain: domain, kind: "cvca", country: country, mnemonic: mnemonic, now: now)
                try CVCARepository.setPolicy(db, domain: domain, policy: policy)
                try CVCARepository.insertKey(db, domain: domain, owner: "cvca", chr: chr.description, keyReference: reference,
                                             algorithm: scheme.oid.description, now: now)
                try CVCARepository.insertCertificate(db, domain: domain, source: "issued", issuer: "cvca", kind: "cvca", certificate: certificate, now: now)
                try AuditTrail.append(db, domain: domain, action: "cvca.init", subject: chr.description, details: [
                    "key": reference, "keySHA256": try signer.publicKey.sha256Fingerprint, "algorithm": scheme.description, "publicKey": certificate.publicKey.summary(),
                    "chat": certificate.chat.description, "expiration": certificate.body.expirationDate.description,
                    "policy": try CVCARepository.policyJSON(policy),
                ], now: now)
            }
            return certificate
        } catch {
            keys.discard(reference)
            throw error
        }
    }

    /// A new CVCA key (TR-03110-3 §2.4): its self-signed certificate, and the link certificate in which the
    /// current key certifies it. The CHR's sequence number advances; the algorithm and curve may change (the
    /// link certificate then carries the new domain parameters, as it always does here). Without `key`, the new
    /// key is made like the current one.
    public func link(key specification: KeySpecification? = nil, algorithm: TerminalAuthenticationAlgorithm? = nil) throws -> (selfSigned: CVCertificate, link: CVCertificate) {
        let (state, policy) = try store.read { db -> (State, CVCAPolicy) in (try self.state(db), try CVCARepository.policy(db, domain: domain)) }
        let current = state.current
        let previousSigner = try keys.signer(for: current.keyReference, domain: domain)
        let newCHR = try CVRequestIntake.reference(current.chr).successor()
        let sameKind = try current.certificate.publicKey.keySpecification()
        let specification = specification ?? sameKind
        let (reference, signer) = try keys.generate(specification, name: "cvca-\(newCHR)", domain: domain)
        do {
            let scheme = try algorithm ?? (specification == sameKind ? current.certificate.publicKey.algorithm : .default(for: signer))
            let today = try CVDate(clock.now())
            let expiration = try policy.cvcaValidity.expiration(from: today)
            // The new key keeps the rights of the current one: a link changes keys, not what the CVCA may delegate.
            var rights = current.certificate.chat.relativeAuthorization
            if !rights.isEmpty { rights[0] &= 0x3F }
            let selfSigned = try CVCertificateBuilder.selfSignedCVCA(
                signer: signer, algorithm: scheme, chr: newCHR, terminalType: current.certificate.chat.terminalType, rights: rights,
                effectiveDate: today, expirationDate: expiration)
            let link = try CVCertificateBuilder.link(
                newKey: signer.publicKey, newAlgorithm: scheme, newCHR: newCHR, effectiveDate: today, expirationDate: expiration,
                previous: current.certificate, previousSigner: previousSigner)
            let now = clock.now()
            try store.write { db in
                // Another operator may have linked meanwhile: the previous key must still be the newest.
                guard try self.state(db).current.chr == current.chr else {
                    throw CVCAError(.alreadyExists, "the CVCA key changed while this link was made; run `epki cvca link` again")
                }
                try CVCARepository.insertKey(db, domain: domain, owner: "cvca", chr: newCHR.description, keyReference: reference,
                                             algorithm: scheme.oid.description, now: now)
                try CVCARepository.insertCertificate(db, domain: domain, source: "issued", issuer: "cvca", kind: "cvca", certificate: selfSigned, now: now)
                try CVCARepository.insertCertificate(db, domain: domain, source: "issued", issuer: "cvca", kind: "link", certificate: link, now: now)
                try AuditTrail.append(db, domain: domain, action: "cvca.link", subject: newCHR.description, details: [
                    "previous": current.chr, "key": reference, "keySHA256": try signer.publicKey.sha256Fingerprint, "algorithm": scheme.description,
                    "publicKey": selfSigned.publicKey.summary(),
                    "previousAlgorithm": current.certificate.publicKey.algorithm.description,
                    "expiration": expiration.description,
                ], now: now)
            }
            return (selfSigned, link)
        } catch {
            keys.discard(reference)
            throw error
        }
    }

    /// The trust points a chip is personalized with, newest first: the current key, and the previous one while
    /// its certificate is valid (TR-03110-3 §2.6: at most two).
    public func trustPoints() throws -> [CVCertificate] {
        let keys = try cvcaKeys()
        let today = try CVDate(clock.now())
        var points = [keys[keys.count - 1].certificate]
        if keys.count > 1, keys[keys.count - 2].certificate.body.expirationDate >= today {
            points.append(keys[keys.count - 2].certificate)
        }
        return points
    }

    /// The content of EF.CVCA for personalization: the CARs of the current trust points, newest first.
    public func efCVCA() throws -> EFCVCA {
        try EFCVCA(references: trustPoints().map(\.chr))
    }

    /// Every CV certificate the domain holds (optionally of one source, one kind, one holder), oldest first.
    public func certificates(source: CVCertificateRecord.Source? = nil, kind: CVCertificateRecord.Kind? = nil,
                             holder: String? = nil) throws -> [CVCertificateRecord] {
        try store.read { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            return try Self.records(db, domain: domain, source: source, kind: kind, holder: holder)
        }
    }

    /// The requests the CVCA received, oldest first.
    public func requests() throws -> [CVRequestRecord] {
        try store.read { db in try Self.requestRecords(db, domain: domain, receiver: "cvca") }
    }

    static func records(_ db: Database, domain: String, source: CVCertificateRecord.Source?, kind: CVCertificateRecord.Kind? = nil,
                        holder: String? = nil) throws -> [CVCertificateRecord] {
        try CVCARepository.certificates(db, domain: domain, source: source?.rawValue, kind: kind?.rawValue, holder: holder).map {
            CVCertificateRecord(source: CVCertificateRecord.Source(rawValue: $0.source) ?? .issued, issuer: $0.issuer,
                                kind: CVCertificateRecord.Kind(rawValue: $0.kind) ?? .documentVerifier,
                                certificate: try CVCertificate(encoded: $0.der), recordedAt: $0.recordedAt)
        }
    }

    static func requestRecords(_ db: Database, domain: String, receiver: String) throws -> [CVRequestRecord] {
        try CVCARepository.requests(db, domain: domain, receiver: receiver).map {
            CVRequestRecord(receiver: $0.receiver, chr: $0.chr, outerCAR: $0.outerCAR,
                            resultCode: TR03129ResultCode(rawValue: $0.resultCode) ?? .failureInternalError, detail: $0.detail,
                            receivedAt: $0.receivedAt, encoded: $0.der)
        }
    }

    /// The CVCA certificates a domain knows: its own CVCA's (self-signed and link) and the foreign ones registered.
    static func knownCVCACertificates(_ db: Database, domain: String) throws -> [CVCertificate] {
        try CVCARepository.certificates(db, domain: domain).filter {
            ($0.source == "issued" || $0.source == "foreign") && ($0.kind == "cvca" || $0.kind == "link")
        }.map { try CVCertificate(encoded: $0.der) }
    }
}
