import Foundation
import PKICore
import Store

/// The national public key directory of one domain, on the persistent store shared with the CSCA.
///
/// It collects what other countries publish — master lists, ICAO PKD LDIF collections, CRLs, deviation lists, single
/// certificates — decides what to trust (`Trust/`), and answers inspection systems (`Service/`, `Export/`). Every import
/// of a file is one store transaction with its audit entry: a file that fails halfway leaves nothing behind.
public struct NationalPKD: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let clock: any PKIClock

    /// The NPKD's tables; pass them with the CSCA's when opening the data directory, so both commands open one database.
    public static let migrations = NPKDRepository.migrations

    /// The domain the NPKD works in unless told otherwise (`--domain`).
    public static let defaultDomain = "npkd"

    public init(store: EPKIStore, domain: String = NationalPKD.defaultDomain, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.clock = clock
    }

    /// Runs a read; a domain nobody imported into yet reads as empty rather than failing.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try storeErrors { try store.read(body) }
    }

    /// A read of one SQL statement (see `EPKIStore.readSingleStatement`).
    func readSingleStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try storeErrors { try store.readSingleStatement(body) }
    }

    private func storeErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NPKDError {
            throw error
        } catch let error as StoreError {
            throw error
        } catch {
            throw NPKDError(.storeFailure, "reading the NPKD store failed: \(error)")
        }
    }

    // MARK: - What is held

    /// Certificates, filtered by country (two letters), kinds (csca, link, ds, mls, dls) and states.
    public func certificates(country: String? = nil, kinds: [String]? = nil, states: [TrustState]? = nil) throws -> [NPKDCertificate] {
        try read { db in
            try NPKDRepository.certificates(db, domain: domain, kinds: kinds, country: country?.uppercased(),
                                            states: states?.map(\.rawValue)).map(NPKDCertificate.init)
        }
    }

    /// One certificate by its SHA-256 fingerprint (hex, any case).
    public func certificate(fingerprint: String) throws -> NPKDCertificate? {
        try read { db in try NPKDRepository.certificate(db, domain: domain, fingerprint: fingerprint.uppercased()).map(NPKDCertificate.init) }
    }

    /// Document Signer (and other) certificates with this subject key identifier.
    public func certificates(subjectKeyIdentifier: String) throws -> [NPKDCertificate] {
        try read { db in try NPKDRepository.certificates(db, domain: domain, ski: subjectKeyIdentifier.uppercased()).map(NPKDCertificate.init) }
    }

    /// Where a certificate came from, every time it was received.
    public func sources(of certificate: NPKDCertificate) throws -> [String] {
        try read { db in
            try NPKDRepository.sources(db, certificateID: certificate.id).map { "\($0.source) at \(Time.iso8601($0.importedAt))" }
        }
    }

    public func crls(country: String? = nil) throws -> [NPKDCRL] {
        try read { db in try NPKDRepository.crls(db, domain: domain, country: country?.uppercased()).map(NPKDCRL.init) }
    }

    /// The DER of a CRL still held (current or unverified); superseded CRLs keep only their metadata.
    public func crlDER(id: Int64) throws -> [UInt8]? {
        try read { db in
            guard try NPKDRepository.crl(db, domain: domain, id: id) != nil else { return nil }
            return try NPKDRepository.crlDER(db, id: id)
        }
    }

    public func lists() throws -> [NPKDList] {
        try read { db in try NPKDRepository.lists(db, domain: domain).map(NPKDList.init) }
    }

    /// Counts per kind and state, CRLs and lists: what `epki npkd show` and `/metrics` print.
    public func status() throws -> NPKDStatus {
        try read { db in
            var status = NPKDStatus(domain: domain)
            for (kind, state, count) in try NPKDRepository.counts(db, domain: domain) {
                status.certificates[kind, default: [:]][state] = count
            }
            let crls = try NPKDRepository.crls(db, domain: domain)
            status.crls = crls.count
            status.currentCRLs = crls.filter { $0.status == "current" }.count
            status.unverifiedCRLs = crls.filter { $0.status == "unverified" }.count
            status.crlEntries = try NPKDRepository.totalCRLEntries(db, domain: domain)
            let lists = try NPKDRepository.lists(db, domain: domain)
            status.masterLists = lists.filter { $0.kind == "masterlist" }.count
            status.deviationLists = lists.filter { $0.kind == "deviationlist" }.count
            status.trustedSigners = try NPKDRepository.trustedSigners(db, domain: domain).count
            status.pkdVersions = Dictionary(try NPKDRepository.pkdVersions(db, domain: domain).map { ($0.collection, $0.version) }) { $1 }
            return status
        }
    }

    /// Whether `serial` (hex) is on the current CRL naming authority key identifier `issuer` (hex): the question border
    /// control asks of a DS certificate it already holds. An indexed lookup, answered during a large import too.
    public func revocation(issuer: String, serial: String) throws -> RevocationAnswer {
        guard let issuerBytes = [UInt8](hex: issuer), !issuerBytes.isEmpty else {
            throw NPKDError(.badRequest, "issuer '\(issuer)' is not a hex authority key identifier")
        }
        guard let serialBytes = [UInt8](hex: serial), !serialBytes.isEmpty else {
            throw NPKDError(.badRequest, "serial '\(serial)' is not a hex serial number")
        }
        return try read { db in
            guard let crl = try NPKDRepository.currentCRLs(db, domain: domain, aki: issuerBytes.hexString).first else {
                return RevocationAnswer(status: .unknown, issuer: issuerBytes.hexString, serial: serialBytes.hexString, revokedAt: nil,
                                        crlNumber: nil, thisUpdate: nil, nextUpdate: nil,
                                        reason: "no verified CRL with authority key identifier \(issuerBytes.hexString) is held")
            }
            let revokedAt = try NPKDRepository.revocationDate(db, crlID: crl.id, serial: RevocationKey.serial(serialBytes))
            return RevocationAnswer(status: revokedAt == nil ? .good : .revoked, issuer: issuerBytes.hexString, serial: serialBytes.hexString,
                                    revokedAt: revokedAt, crlNumber: crl.crlNumber, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate,
                                    reason: revokedAt == nil ? "not on CRL \(crl.crlNumber ?? "?") of \(crl.issuer)"
                                                             : "on CRL \(crl.crlNumber ?? "?") of \(crl.issuer)")
        }
    }

    /// The audit trail of the NPKD domain.
    public func auditEntries() throws -> [AuditEntry] {
        try store.auditEntries(domain: domain)
    }
}
