import GRDB
import PKICore

/// The CA certificates (CSCA and link) of the domain while one import runs: by subject key identifier and by normalised
/// subject name, each with its public key decoded once, so the 30,000 Document Signers of an ICAO collection are each
/// matched to their CSCA without a query and without parsing the CSCA again.
///
/// Loaded from the store on first use, inside the import's transaction, and kept in step by the import itself
/// (`add` for every CA certificate it stores or re-kinds); it lives no longer than that transaction. The order of
/// `candidates` is the order the store's query gave before it: by key identifier, then by name, each by row id.
final class IssuerIndex {
    struct Authority {
        let id: Int64
        let keyHash: String
        let der: [UInt8]
    }

    private var authorities: [Int64: Authority] = [:]
    private var bySKI: [String: [Int64]] = [:]
    private var byName: [String: [Int64]] = [:]
    private var keys: [Int64: PublicKey?] = [:]
    private var loaded = false
    let domain: String

    init(domain: String) {
        self.domain = domain
    }

    private func loadIfNeeded(_ db: Database) throws {
        guard !loaded else { return }
        loaded = true
        for row in try NPKDRepository.authorities(db, domain: domain) {
            insert(id: row.id, ski: row.ski, subjectKey: row.subjectKey, keyHash: row.keyHash, der: row.der)
        }
    }

    private func insert(id: Int64, ski: String?, subjectKey: String, keyHash: String, der: [UInt8]) {
        guard authorities[id] == nil else { return }
        authorities[id] = Authority(id: id, keyHash: keyHash, der: der)
        if let ski { bySKI[ski, default: []].append(id) }
        byName[subjectKey, default: []].append(id)
    }

    /// A CA certificate just stored (or a certificate that a list now says is a CA).
    func add(_ db: Database, id: Int64, ski: String?, subjectKey: String, keyHash: String, der: [UInt8]) throws {
        try loadIfNeeded(db)
        guard authorities[id] == nil else { return }
        insert(id: id, ski: ski, subjectKey: subjectKey, keyHash: keyHash, der: der)
        if let ski { bySKI[ski]?.sort() }
        byName[subjectKey]?.sort()
    }

    /// The CA certificates that may have issued a certificate naming `aki` and issuer name `issuerKey`.
    func candidates(_ db: Database, aki: String?, issuerKey: String) throws -> [Authority] {
        try loadIfNeeded(db)
        var ids = aki.flatMap { bySKI[$0] } ?? []
        for id in byName[issuerKey] ?? [] where !ids.contains(id) { ids.append(id) }
        return ids.compactMap { authorities[$0] }
    }

    /// The authority's public key, decoded the first time it is asked for; nil when it cannot be decoded.
    func key(of authority: Authority) -> PublicKey? {
        if let cached = keys[authority.id] { return cached }
        let key = (try? Certificate(bytes: authority.der)).flatMap { try? $0.publicKey }
        keys[authority.id] = key
        return key
    }

    /// The first candidate (one try per distinct key) whose key verifies `isValid`.
    func verifying(_ db: Database, aki: String?, issuerKey: String, _ isValid: (PublicKey) -> Bool) throws -> Authority? {
        var triedKeys = Set<String>()
        for candidate in try candidates(db, aki: aki, issuerKey: issuerKey) where triedKeys.insert(candidate.keyHash).inserted {
            guard let key = key(of: candidate) else { continue }
            if isValid(key) { return candidate }
        }
        return nil
    }
}
