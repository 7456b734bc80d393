import Foundation
import ICAOProfile
import PKICore
import Store

extension CountrySigningCA {
    /// Marks a certificate the domain issued as revoked; the next CRL is then due within the policy's hours.
    public func revoke(serial: String, at date: Date? = nil) throws {
        let serial = serial.uppercased().replacingOccurrences(of: ":", with: "")
        try store.write { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            guard let row = try CSCARepository.certificate(db, domain: domain, serial: serial) else {
                throw CSCAError(.notFound, "domain '\(domain)' issued no certificate with serial \(serial)")
            }
            guard row.revokedAt == nil else { throw CSCAError(.policyViolation, "certificate \(serial) is already revoked") }
            guard row.kind != "csca" else {
                throw CSCAError(.policyViolation, "a CSCA certificate is not revoked on its own CRL; roll the key over instead")
            }
            let when = date ?? clock.now()
            try CSCARepository.markRevoked(db, domain: domain, serial: serial, at: when)
            try AuditTrail.append(db, domain: domain, action: "\(row.kind).revoke", subject: row.subject,
                                  details: ["serial": serial, "revokedAt": Time.iso8601(when)], now: clock.now())
        }
    }

    /// Issues a v2 CRL per CSCA key still valid (each covers the certificates that key issued), with AKI and an
    /// increasing cRLNumber, nextUpdate at most 90 days ahead (Doc 9303-12 §4.1.5, Tables 9 and 10).
    public func issueCRLs() throws -> [CertificateRevocationList] {
        let policy = try self.policy()
        let now = clock.now()
        let authorities = try store.read { db -> [(CSCARepository.AuthorityRow, Certificate)] in
            _ = try EPKIStore.requireDomain(db, name: domain)
            return try CSCARepository.authorities(db, domain: domain).compactMap { row in
                guard let stored = try CSCARepository.certificate(db, domain: domain, serial: row.certificateSerial) else { return nil }
                let certificate = try Certificate(bytes: stored.der)
                return certificate.notAfter > now ? (row, certificate) : nil
            }
        }
        guard !authorities.isEmpty else { throw CSCAError(.notInitialized, "domain '\(domain)' has no valid CSCA to sign a CRL") }
        var issued: [CertificateRevocationList] = []
        for (row, certificate) in authorities {
            let signer = try keys.signer(for: row.keyReference, domain: domain)
            let issuer = try ICAOCertificateIssuer(signer: signer, cscaCertificate: certificate)
            let crl = try store.write { db -> CertificateRevocationList in
                let number = (try CSCARepository.lastCRL(db, domain: domain)?.number ?? 0) + 1
                var entries: [RevokedCertificate] = []
                try CSCARepository.forEachRevoked(db, domain: domain, authorityID: row.id) { serial, date in
                    guard let bytes = [UInt8](hex: serial) else { return }
                    entries.append(try RevokedCertificate(serialNumber: bytes, revocationDate: date))
                }
                let crl = try issuer.issueCRL(number: UInt64(number), thisUpdate: now,
                                              nextUpdate: now.addingTimeInterval(Double(policy.crlIntervalDays) * 86_400), revoked: entries)
                try ProfileLinter.requireClean(crl, issuer: certificate)
                try CSCARepository.insertCRL(db, domain: domain, number: number, authorityID: row.id, crl: crl, entries: entries.count)
                try AuditTrail.append(db, domain: domain, action: "crl.issue", subject: certificate.subject.description,
                                      details: ["number": String(number), "entries": String(entries.count),
                                                "nextUpdate": crl.nextUpdate?.description ?? ""], now: now)
                return crl
            }
            issued.append(crl)
        }
        return issued
    }

    public struct Status: Sendable, Codable {
        public let domain: String
        public let csca: String
        public let cscaSerial: String
        public let cscaNotAfter: Date
        public let certificates: [String: Int]
        public let revoked: Int
        public let lastCRLNumber: Int64?
        public let lastCRLNextUpdate: Date?
        /// When the next CRL must be out: the last CRL's nextUpdate, or 48 hours after the first revocation
        /// it does not cover, whichever is earlier; now if there is no CRL yet.
        public let nextCRLDue: Date
        public let nextCRLReason: String
    }

    public func status() throws -> Status {
        let policy = try self.policy()
        return try store.read { db in
            let authority = try activeAuthority(db)
            let all = try CSCARepository.certificates(db, domain: domain)
            let counts = Dictionary(grouping: all, by: \.kind).mapValues(\.count)
            let last = try CSCARepository.lastCRL(db, domain: domain)
            var due: Date
            var reason: String
            if let last {
                due = last.nextUpdate
                reason = "nextUpdate of CRL \(last.number)"
                if let revocation = try CSCARepository.firstRevocation(db, domain: domain, after: last.thisUpdate) {
                    let deadline = revocation.addingTimeInterval(Double(policy.crlAfterRevocationHours) * 3600)
                    if deadline < due { due = deadline; reason = "revocation on \(Time.iso8601(revocation)) not yet published" }
                }
            } else {
                due = clock.now()
                reason = "no CRL has been issued"
            }
            return Status(domain: domain, csca: authority.certificate.subject.description, cscaSerial: authority.certificate.serialNumberHex,
                          cscaNotAfter: authority.certificate.notAfter, certificates: counts, revoked: all.filter { $0.revokedAt != nil }.count,
                          lastCRLNumber: last?.number, lastCRLNextUpdate: last?.nextUpdate, nextCRLDue: due, nextCRLReason: reason)
        }
    }

    /// Every certificate the domain issued, newest last.
    public struct Record: Sendable {
        public let kind: String
        public let certificate: Certificate
        public let keyReference: String?
        public let issuedAt: Date
        public let revokedAt: Date?
    }

    public func certificates(kind: String? = nil) throws -> [Record] {
        try store.read { db in
            _ = try EPKIStore.requireDomain(db, name: domain)
            return try CSCARepository.certificates(db, domain: domain, kind: kind).map {
                Record(kind: $0.kind, certificate: try Certificate(bytes: $0.der), keyReference: $0.keyReference, issuedAt: $0.issuedAt, revokedAt: $0.revokedAt)
            }
        }
    }

    public func latestCRL() throws -> CertificateRevocationList? {
        try store.read { db in try CSCARepository.lastCRL(db, domain: domain).map { try CertificateRevocationList(bytes: $0.der) } }
    }
}
