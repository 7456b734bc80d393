import CSCA
import Foundation
import NPKD
import PKICore
import Store
import Testing
import TestSupport

/// A data directory written before the npkd-v2 migration (DER inside the certificate and CRL rows, the first indexes)
/// opens with its certificates and CRLs whole, and imports and deltas work on it.
@Suite struct StoreMigrationTests {
    @Test func aStoreFromBeforeNPKDv2KeepsItsObjects() throws {
        let directory = try TestSupport.temporaryDirectory("epki-npkd-v1")
        defer { try? FileManager.default.removeItem(at: directory) }
        let nz = try CountryPKI("NZ")
        let ds = try nz.documentSigner(1)
        let crl = try nz.crl(number: 1)
        let now = CountryPKI.now

        // The schema of npkd-v1 only, filled as that version's import did.
        do {
            let old = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations + Array(NationalPKD.migrations.prefix(1)))
            try old.write { db in
                _ = try EPKIStore.ensureDomain(db, name: NationalPKD.defaultDomain, now: now)
                // The DS's signature was matched to the CSCA (row 1) when it arrived.
                for (certificate, kind, issuerID) in [(nz.csca, "csca", nil), (ds.certificate, "ds", 1 as Int64?)] {
                    try db.execute(
                        sql: """
                            INSERT INTO npkd_certificate (domain, fingerprint, kind, country, subject, subject_key, issuer, issuer_key, serial, ski,
                                aki, key_hash, not_before, not_after, der, source, imported_at, findings, errors, signature_issuer_id, state, state_reason)
                            VALUES (?, ?, ?, 'NZ', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'old.ldif', ?, '[]', 0, ?, 'untrusted', 'not yet evaluated')
                            """,
                        arguments: [NationalPKD.defaultDomain, HashAlgorithm.sha256.hash(certificate.encoded).hexString, kind,
                                    certificate.subject.description, "s-\(kind)", certificate.issuer.description, "i-\(kind)", certificate.serialNumberHex,
                                    certificate.subjectKeyIdentifier?.hexString, certificate.authorityKeyIdentifier?.hexString, "k-\(kind)",
                                    certificate.notBefore.timeIntervalSince1970, certificate.notAfter.timeIntervalSince1970, Data(certificate.derEncoded),
                                    now.timeIntervalSince1970, issuerID])
                }
                try db.execute(
                    sql: """
                        INSERT INTO npkd_crl (domain, fingerprint, country, issuer, issuer_key, this_update, entries, status, source, imported_at,
                            findings, errors, der)
                        VALUES (?, ?, 'NZ', ?, 'i', ?, 0, 'unverified', 'old.crl', ?, '[]', 0, ?)
                        """,
                    arguments: [NationalPKD.defaultDomain, HashAlgorithm.sha256.hash(crl.encoded).hexString, crl.issuer.description,
                                crl.thisUpdate.date.timeIntervalSince1970, now.timeIntervalSince1970, Data(crl.derEncoded)])
            }
        }

        let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations + NationalPKD.migrations)
        let pkd = try NationalPKD(store: store, clock: FixedClock(now))
        let held = try pkd.certificates()
        #expect(held.map(\.der) == [nz.csca.derEncoded, ds.certificate.derEncoded])
        let oldCRL = try #require(try pkd.crls().first)
        #expect(try pkd.crlDER(id: oldCRL.id) == crl.derEncoded)

        // Trusting the CSCA applies the CRL that waited for it (its bytes read from their new table) and trusts the DS.
        _ = try pkd.trust(nz.csca)
        #expect(try pkd.crls().first?.status == "current")
        let trusted = try #require(try pkd.certificate(fingerprint: HashAlgorithm.sha256.hash(ds.certificate.encoded).hexString))
        #expect(trusted.state == .trusted, "\(trusted.stateReason)")
    }
}
