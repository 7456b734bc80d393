import Store
import PKICore

/// The CA certificates (CSCA and link) of a domain, by subject key identifier and by normalised subject name, each with
/// its public key decoded once: what matching a certificate to the CA whose key verifies it needs, without a query
/// and without parsing the CA again. A value: the preparing threads of an LDIF import get a copy.
struct IssuerSet: Sendable {
    struct Authority: Sendable {
        let id: Int64
        let keyHash: String
        let der: [UInt8]
    }

    /// Keys decoded so far, shared by every copy (a key of a row never changes); nil inside: it cannot be decoded.
    final class Keys: Sendable {
        private let decoded = Locked<[Int64: PublicKey?]>([:])

        func key(_ authority: Authority) -> PublicKey? {
            if let cached = decoded.withLock({ $0[authority.id] }) { return cached }
            let key = (try? Certificate(bytes: authority.der)).flatMap { try? $0.publicKey }
            decoded.withLock { $0[authority.id] = key }
            return key
        }
    }

    private var authorities: [Int64: Authority] = [:]
    private var bySKI: [String: [Int64]] = [:]
    private var byName: [String: [Int64]] = [:]
    private let keys = Keys()

    mutating func insert(id: Int64, ski: String?, subjectKey: String, keyHash: String, der: [UInt8]) {
        guard authorities[id] == nil else { return }
        authorities[id] = Authority(id: id, keyHash: keyHash, der: der)
        if let ski {
            bySKI[ski, default: []].append(id)
            bySKI[ski]?.sort()
        }
        byName[subjectKey, default: []].append(id)
        byName[subjectKey]?.sort()
    }

    /// The CA certificates that may have issued a certificate naming `aki` and issuer name `issuerKey`: by key
    /// identifier, then by name, each in id order (the order the store's query gave before this index).
    func candidates(aki: String?, issuerKey: String) -> [Authority] {
        var ids = aki.flatMap { bySKI[$0] } ?? []
        for id in byName[issuerKey] ?? [] where !ids.contains(id) { ids.append(id) }
        return ids.compactMap { authorities[$0] }
    }

    /// The first candidate (one try per distinct key) whose key verifies `isValid`, with the candidates tried.
    func verifying(aki: String?, issuerKey: String, _ isValid: (PublicKey) -> Bool) -> (candidates: [Int64], issuer: Authority?) {
        let candidates = candidates(aki: aki, issuerKey: issuerKey)
        var triedKeys = Set<String>()
        for candidate in candidates where triedKeys.insert(candidate.keyHash).inserted {
            guard let key = keys.key(candidate) else { continue }
            if isValid(key) { return (candidates.map(\.id), candidate) }
        }
        return (candidates.map(\.id), nil)
    }
}

/// The domain's CA certificates while one import runs (one transaction): loaded from the store on first use and kept
/// in step by the import itself (`add` for every CA certificate it stores or re-kinds); it lives no longer than that
/// transaction.
final class IssuerIndex {
    private var set = IssuerSet()
    private var loaded = false
    let domain: String
    /// CA certificates this transaction stored or re-kinded. A CRL held as unverified can only come to verify through
    /// one of them, so an import that added none need not try those CRLs again.
    private(set) var authoritiesAdded = 0

    init(domain: String) {
        self.domain = domain
    }

    private func loadIfNeeded(_ db: Database) throws {
        guard !loaded else { return }
        loaded = true
        for row in try NPKDRepository.authorities(db, domain: domain) {
            set.insert(id: row.id, ski: row.ski, subjectKey: row.subjectKey, keyHash: row.keyHash, der: row.der)
        }
    }

    /// A CA certificate just stored (or a certificate that a list now says is a CA).
    func add(_ db: Database, id: Int64, ski: String?, subjectKey: String, keyHash: String, der: [UInt8]) throws {
        // Counted whether or not the set holds it already: the row is in the store before it is added here, so a
        // first load finds it.
        authoritiesAdded += 1
        try loadIfNeeded(db)
        set.insert(id: id, ski: ski, subjectKey: subjectKey, keyHash: keyHash, der: der)
    }

    /// The ids of the candidates for a certificate naming `aki` and `issuerKey`, in the order they are tried.
    func candidateIDs(_ db: Database, aki: String?, issuerKey: String) throws -> [Int64] {
        try loadIfNeeded(db)
        return set.candidates(aki: aki, issuerKey: issuerKey).map(\.id)
    }

    /// The first candidate whose key verifies `isValid` (one try per distinct key).
    func verifying(_ db: Database, aki: String?, issuerKey: String, _ isValid: (PublicKey) -> Bool) throws -> IssuerSet.Authority? {
        try loadIfNeeded(db)
        return set.verifying(aki: aki, issuerKey: issuerKey, isValid).issuer
    }

    /// A copy, for threads that match certificates while this transaction stores others (keys decoded by either are
    /// decoded once for both).
    func snapshot(_ db: Database) throws -> IssuerSet {
        try loadIfNeeded(db)
        return set
    }
}
