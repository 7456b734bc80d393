import CVC
import Foundation
import PKICore
import Store

/// The Document Verifier CA of one domain, on the persistent store (BSI TR-03110-3 §2.2, TR-03129 §4).
///
/// ```
/// DV keys         one per request, CHR <country><mnemonic><sequence>, each asked of one CVCA (ours or foreign)
/// DV certificates imported after verification against that CVCA's chain: one chain per CVCA country, so the
///                 inspection systems can read the fingerprints of that country's passports too
/// terminals       inspection-system certificates from their requests, under the domain's policy and never
///                 with more rights than the DV's chain grants
/// ```
/// Like the CVCA, every operation is one store transaction with its audit entry; refused inspection-system
/// requests leave the request, its TR-03129 result code and an audit entry.
public struct DocumentVerifierCA: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let keys: any KeyProvider
    public let clock: any PKIClock

    public init(store: EPKIStore, domain: String, keys: any KeyProvider, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.keys = keys
        self.clock = clock
    }

    /// The DVCA's holder name, keys, imported DV certificates and the CVCA certificates it knows.
    struct State: Sendable {
        let country: String
        let mnemonic: String
        let keys: [CVCARepository.KeyRow]
        /// Imported DV certificates, oldest first.
        let own: [CVCertificate]
        /// The domain's own CVCA certificates and the registered foreign ones.
        let cvcas: [CVCertificate]

        var pool: CVCertificatePool { CVCertificatePool(cvcas + own) }

        func key(chr: String) -> CVCARepository.KeyRow? { keys.last { $0.chr == chr } }

        /// The newest DV certificate under a CVCA of `country` that is valid on `today`.
        func current(under country: String, on today: CVDate) -> CVCertificate? {
            own.last { $0.car.hasPrefix(country) && $0.body.effectiveDate <= today && today <= $0.body.expirationDate }
        }
    }

    func state(_ db: Database) throws -> State {
        _ = try EPKIStore.requireDomain(db, name: domain)
        guard let authority = try CVCARepository.authority(db, domain: domain, kind: "dvca") else {
            throw CVCAError(.notInitialized, "domain '\(domain)' has no DVCA yet; run `epki dvca init`")
        }
        return State(
            country: authority.country, mnemonic: authority.mnemonic, keys: try CVCARepository.keys(db, domain: domain, owner: "dvca"),
            own: try CVCARepository.certificates(db, domain: domain, source: "own").map { try CVCertificate(encoded: $0.der) },
            cvcas: try CountryVerifyingCA.knownCVCACertificates(db, domain: domain))
    }

    /// Creates the domain (if new) and its DVCA, named `<country><mnemonic>` in its CHRs. No key yet: each key is
    /// made with the request that asks a CVCA to certify it.
    public func initialize(country: String, mnemonic: String = "DV") throws -> CertificationAuthorityReference {
        let first = try CertificationAuthorityReference(countryCode: country, holderMnemonic: mnemonic, sequenceNumber: "00001")
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            guard try CVCARepository.authority(db, domain: domain, kind: "dvca") == nil else {
                throw CVCAError(.alreadyExists, "domain '\(domain)' already has a DVCA")
            }
            try CVCARepository.insertAuthority(db, domain: domain, kind: "dvca", country: country, mnemonic: mnemonic, now: now)
            try AuditTrail.append(db, domain: domain, action: "dvca.init", subject: country + mnemonic, details: ["firstCHR": first.description], now: now)
        }
        return first
    }

    /// A request the DVCA made, with the key it made for it.
    public struct Request: Sendable {
        public let request: CVCertificateRequest
        public let keyReference: String
        /// The certificate of the CVCA the request is addressed to.
        public let cvca: CVCertificate
    }

    /// Generates a DV key and the request that asks the CVCA `cvcaCHR` (default: the domain's own CVCA) to
    /// certify it. The key is made on that CVCA's curve (or RSA size) and uses its algorithm unless told
    /// otherwise; the CHR is the DVCA's next sequence number.
    ///
    /// The request is successive — authenticated with the DV's current key for that CVCA's country — when the
    /// DVCA holds a valid certificate there and `initial` is false. An initial request is plain, or with
    /// `authenticateWithNationalCVCA` carries the outer signature of the domain's own CVCA (how a foreign CVCA
    /// knows an initial request is genuine).
    public func request(
        to cvcaCHR: String? = nil, key specification: KeySpecification? = nil, algorithm: TerminalAuthenticationAlgorithm? = nil,
        initial: Bool = false, authenticateWithNationalCVCA: Bool = false
    ) throws -> Request {
        let (state, national) = try store.read { db -> (State, CountryVerifyingCA.State?) in
            (try self.state(db), try CountryVerifyingCA.state(db, domain: domain))
        }
        guard let targetCHR = cvcaCHR ?? national?.current.chr else {
            throw CVCAError(.notFound, "domain '\(domain)' has no CVCA of its own; name the CVCA to ask (--cvca CHR)")
        }
        let candidates = state.cvcas.filter { $0.chr == targetCHR }
        guard let target = candidates.first(where: \.isSelfSigned) ?? candidates.last else {
            throw CVCAError(.notFound, "CVCA \(targetCHR) is neither this domain's nor registered; run `epki cvca register-foreign-cvca` with its certificate")
        }
        let pool = state.pool
        let specification = try specification ?? target.publicKey.keySpecification(inheriting: pool.domainParameters(for: target))
        let chr = try state.keys.last.map { try CVRequestIntake.reference($0.chr).successor() }
            ?? CertificationAuthorityReference(countryCode: state.country, holderMnemonic: state.mnemonic, sequenceNumber: "00001")
        let targetCountry = try CVRequestIntake.reference(targetCHR).countryCode
        let today = try CVDate(clock.now())

        // Who signs the outer signature, decided before a key is made.
        var authenticator: (certificate: CVCertificate, reference: String)?
        if !initial, let current = state.current(under: targetCountry, on: today) {
            guard let row = state.key(chr: current.chr) else {
                throw CVCAError(.notFound, "the key of the DV certificate \(current.chr) is not in the store")
            }
            authenticator = (current, row.keyReference)
        } else if authenticateWithNationalCVCA {
            guard let national else {
                throw CVCAError(.notInitialized, "domain '\(domain)' has no CVCA to authenticate the request with")
            }
            authenticator = (national.current.certificate, national.current.keyReference)
        }

        let (reference, signer) = try keys.generate(specification, name: "dv-\(chr)", domain: domain)
        do {
            let scheme = try algorithm ?? (target.publicKey.isEC == signer.publicKey.isEC ? target.publicKey.algorithm : .default(for: signer))
            var request = try CVCertificateRequest.create(chr: chr, car: CVRequestIntake.reference(targetCHR), signer: signer, algorithm: scheme)
            if let authenticator {
                request = try request.authenticated(by: keys.signer(for: authenticator.reference, domain: domain), certificate: authenticator.certificate)
            }
            let encoded = try request.encoded
            let now = clock.now()
            try store.write { db in
                try CVCARepository.insertKey(db, domain: domain, owner: "dvca", chr: chr.description, keyReference: reference,
                                             algorithm: scheme.oid.description, targetCAR: targetCHR, request: encoded, now: now)
                var details = ["cvca": targetCHR, "key": reference, "algorithm": scheme.description, "publicKey": request.publicKey.summary(),
                               "request": authenticator == nil ? "initial, plain" : authenticator?.certificate.role == .cvca ? "initial, authenticated by the national CVCA" : "successive"]
                if let outer = request.outer { details["outerCAR"] = outer.car }
                try AuditTrail.append(db, domain: domain, action: "dvca.request", subject: chr.description, details: details, now: now)
            }
            return Request(request: request, keyReference: reference, cvca: target)
        } catch {
            keys.discard(reference)
            throw error
        }
    }

    /// What importing a DV certificate found.
    public struct Import: Sendable {
        /// The chain from the CVCA's trust anchor down to the DV certificate.
        public let path: CVCertificatePath
        public let report: VerificationReport
        /// False when the very certificate was imported before (nothing was written).
        public let isNew: Bool
    }

    /// Imports a DV certificate returned by our CVCA or a foreign one: it must certify a key this DVCA asked for
    /// (same CHR, same public key) and verify as a chain up to a CVCA the domain knows (its own or registered).
    public func importCertificate(_ certificate: CVCertificate) throws -> Import {
        let state = try store.read { db in try self.state(db) }
        let chr = certificate.chr
        guard certificate.role.isDocumentVerifier else {
            throw CVCAError(.certificateRefused, "\(chr) is a \(certificate.role) certificate, not a DV certificate")
        }
        guard let row = state.key(chr: chr), let requestBytes = row.request else {
            throw CVCAError(.certificateRefused, "\(chr) is not a key this DVCA asked to be certified")
        }
        guard try CVCertificateRequest(encoded: requestBytes).publicKey.isSameKey(as: certificate.publicKey) else {
            throw CVCAError(.certificateRefused, "\(chr) certifies another public key than the one this DVCA requested")
        }
        var pool = state.pool
        pool.add(certificate)
        let report = CVChainVerifier(clock: clock).verify(certificate, pool: pool)
        guard report.isValid else {
            let failed = report.checks.first { $0.status == .failed }
            throw CVCAError(.certificateRefused, "\(chr) does not verify against the CVCAs this domain knows: \(failed.map { "\($0.name): \($0.detail)" } ?? "no check passed")")
        }
        let path = try pool.path(to: certificate)
        if state.own.contains(certificate) { return Import(path: path, report: report, isNew: false) }
        if state.own.contains(where: { $0.chr == chr && $0.car == certificate.car }) {
            throw CVCAError(.certificateRefused, "another certificate \(chr) issued by \(certificate.car) is imported already")
        }
        let now = clock.now()
        try store.write { db in
            try CVCARepository.insertCertificate(db, domain: domain, source: "own", issuer: nil, kind: "dv", certificate: certificate, now: now)
            try AuditTrail.append(db, domain: domain, action: "dvca.import", subject: chr, details: [
                "car": certificate.car, "anchor": path.anchor?.chr ?? "", "role": certificate.role.description,
                "chat": certificate.chat.description, "expiration": certificate.body.expirationDate.description,
            ], now: now)
        }
        return Import(path: path, report: report, isNew: true)
    }

    /// One key of the DVCA, with the certificate it got (if any yet).
    public struct KeyRecord: Sendable {
        public let chr: String
        public let keyReference: String
        /// The CVCA the request went to.
        public let cvca: String?
        public let createdAt: Date
        public let certificate: CVCertificate?
    }

    public func dvKeys() throws -> [KeyRecord] {
        let state = try store.read { db in try self.state(db) }
        return state.keys.map { row in
            KeyRecord(chr: row.chr, keyReference: row.keyReference, cvca: row.targetCAR, createdAt: row.createdAt,
                      certificate: state.own.last { $0.chr == row.chr })
        }
    }

    /// One chain per CVCA country: the newest DV certificate under that country's CVCA, with its path. These are
    /// what the inspection systems need to read that country's passports.
    public func chains() throws -> [CVCertificatePath] {
        let state = try store.read { db in try self.state(db) }
        let pool = state.pool
        var seen: Set<String> = []
        var paths: [CVCertificatePath] = []
        for certificate in state.own.reversed() where seen.insert(String(certificate.car.prefix(2))).inserted {
            paths.append(try pool.path(to: certificate))
        }
        return paths.sorted { ($0.anchor?.chr ?? "") < ($1.anchor?.chr ?? "") }
    }

    /// Every CV certificate the domain holds (optionally of one source), oldest first.
    public func certificates(source: CVCertificateRecord.Source? = nil) throws -> [CVCertificateRecord] {
        try store.read { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            return try CountryVerifyingCA.records(db, domain: domain, source: source)
        }
    }

    /// The inspection-system requests the DVCA received, oldest first.
    public func requests() throws -> [CVRequestRecord] {
        try store.read { db in try CountryVerifyingCA.requestRecords(db, domain: domain, receiver: "dvca") }
    }
}
