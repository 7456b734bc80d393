import Store
import Foundation
import PKICore

/// PKICore's `TrustSource` over the NPKD store: passive authentication asks it which trusted CSCAs may have issued a
/// DS certificate, and whether the DS is on its CSCA's latest CRL.
///
/// Only CSCA and link certificates whose state is trusted (or non-conformant but accepted) are offered as issuers;
/// CRLs count only when a held CSCA key verified them at import, and revocation is an indexed lookup of the serial
/// in that CRL's entries, however long the CRL.
public struct NPKDTrustSource: TrustSource {
    public let pkd: NationalPKD

    public init(_ pkd: NationalPKD) {
        self.pkd = pkd
    }

    public func issuerCandidates(of certificate: Certificate) throws -> [Certificate] {
        try pkd.read { db in
            try NPKDRepository.caCandidates(db, domain: pkd.domain, aki: certificate.authorityKeyIdentifier?.hexString,
                                            issuerKey: ObjectIdentity.nameKey(certificate.issuer))
                .filter { (TrustState(rawValue: $0.state) ?? .untrusted).isUsable }
                .compactMap { try? Certificate(bytes: $0.der) }
        }
    }

    public func latestCRL(issuedBy csca: Certificate) throws -> CertificateRevocationList? {
        let der: [UInt8]? = try pkd.read { db in
            guard let crl = try NPKDRepository.currentCRL(db, domain: pkd.domain, issuerKeyHash: try ObjectIdentity.keyHash(csca)) else { return nil }
            return try NPKDRepository.crlDER(db, id: crl.id)
        }
        return try der.map { try CertificateRevocationList(bytes: $0) }
    }

    public func revocationStatus(of certificate: Certificate, issuedBy csca: Certificate) -> RevocationStatus {
        do {
            let found = try pkd.readSingleStatement { db in
                try NPKDRepository.revocationLookup(db, domain: pkd.domain, issuerKeyHash: try ObjectIdentity.keyHash(csca),
                                                    serial: RevocationKey.serial(certificate.serialNumber))
            }
            guard let found else {
                return .unknown("no CRL of \(csca.subject) is held (a CRL signed by an unknown CA applies to nothing)")
            }
            if let date = found.revokedAt { return .revoked(on: date) }
            let number = found.crl.crlNumber.flatMap { [UInt8](hex: $0) }.map { CRLNumber(bytes: $0) }
            return .notRevoked(crlNumber: number, nextUpdate: found.crl.nextUpdate)
        } catch {
            return .unknown("the NPKD store could not be read: \(error)")
        }
    }
}
