import Foundation

/// Where a verifier learns which CSCAs to trust and what they revoked: files given on the command line today,
/// the NPKD store later. Passive authentication and chain checks ask only through this protocol.
public protocol TrustSource: Sendable {
    /// Trusted CSCA certificates (self-signed and link certificates) that may have issued `certificate`,
    /// most likely first.
    func issuerCandidates(of certificate: Certificate) throws -> [Certificate]

    /// The latest CRL the CSCA holding `csca`'s key has issued, if one is known.
    func latestCRL(issuedBy csca: Certificate) throws -> CertificateRevocationList?

    /// Whether `certificate` is on the latest CRL of `csca`. The default reads that CRL entry by entry; a source that
    /// indexes its CRLs (the NPKD store) answers without touching a million entries per question.
    func revocationStatus(of certificate: Certificate, issuedBy csca: Certificate) -> RevocationStatus
}

/// The revocation state of one certificate as a trust source knows it.
public enum RevocationStatus: Sendable, Equatable {
    case notRevoked(crlNumber: CRLNumber?, nextUpdate: Date?)
    case revoked(on: Date)
    /// No CRL of the issuer is known, or it could not be checked.
    case unknown(String)
}

extension TrustSource {
    /// Looks the serial number up in the issuer's latest CRL, after checking that CRL's signature.
    public func revocationStatus(of certificate: Certificate, issuedBy csca: Certificate) -> RevocationStatus {
        do {
            guard let crl = try latestCRL(issuedBy: csca) else { return .unknown("no CRL of \(csca.subject) is known") }
            guard try crl.isSignatureValid(issuerKey: csca.publicKey) else {
                return .unknown("the CRL of \(csca.subject) does not verify with its key")
            }
            let serial = certificate.serialNumber
            var revokedOn: Date?
            try crl.forEachEntry { entry in
                if revokedOn == nil, entry.serialNumber == serial { revokedOn = entry.revocationDate.date }
            }
            if let revokedOn { return .revoked(on: revokedOn) }
            return .notRevoked(crlNumber: crl.crlNumber, nextUpdate: crl.nextUpdate?.date)
        } catch {
            return .unknown("\(error)")
        }
    }
}

/// A trust source over certificates and CRLs held in memory (files named on the command line).
public struct StaticTrustSource: TrustSource {
    public let pool: CertificatePool
    public let crls: [CertificateRevocationList]

    public init(cscas: [Certificate], crls: [CertificateRevocationList] = []) {
        self.pool = CertificatePool(cscas)
        self.crls = crls
    }

    public func issuerCandidates(of certificate: Certificate) throws -> [Certificate] {
        pool.issuerCandidates(of: certificate)
    }

    /// The CRL with the highest cRLNumber (then the latest thisUpdate) whose issuer and AKI match the CSCA.
    public func latestCRL(issuedBy csca: Certificate) throws -> CertificateRevocationList? {
        let matching = crls.filter { crl in
            crl.issuer.isEquivalent(to: csca.subject)
                && (crl.authorityKeyIdentifier == nil || csca.subjectKeyIdentifier == nil || crl.authorityKeyIdentifier == csca.subjectKeyIdentifier)
        }
        return matching.max { a, b in
            let (na, nb) = (a.crlNumber?.value ?? 0, b.crlNumber?.value ?? 0)
            return na != nb ? na < nb : a.thisUpdate.date < b.thisUpdate.date
        }
    }
}
