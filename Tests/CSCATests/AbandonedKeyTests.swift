import CSCA
import Foundation
import PKICore
import Store
import Testing
import TestSupport

/// A signer key is generated before the transaction that records its certificate. A process killed between the two
/// leaves a key file nothing names (issue 20, crash injection: 16 of them after 100 kills of a DS issuance loop).
/// These tests stand in for the killed process with a second provider whose provisional key is still held, and with
/// an unlocked, unnamed file as a dead process leaves it.
@Suite struct AbandonedKeyTests {
    static let passphrase = Passphrase("fixture passphrase")

    @Test func theNextIssuanceRemovesKeysOfKilledIssuancesAndLeavesLiveOnesAlone() throws {
        let fixture = try CountrySigningCATests.Fixture(algorithm: "ec:P-256")
        defer { fixture.cleanUp() }
        let keyDirectory = try fixture.store.keyDirectory(domain: "LU")
        let issued = try fixture.ca.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS 1"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let issuedReference = try #require(issued.keyReference)

        // Another process in the middle of an issuance: its key is provisional, its file locked.
        let live = SoftwareKeyProvider(store: fixture.store, passphrase: Self.passphrase)
        let inFlight = try live.generateProvisional(.ec(.p256, parameters: .namedCurve), name: "ds-lu", domain: "LU")
        // A process killed after writing its key: the file is whole, unlocked, and no certificate names it; and one
        // killed while writing, which leaves its temporary file.
        let dead = SoftwareKeyProvider(store: fixture.store, passphrase: Self.passphrase)
        let abandoned = try dead.generate(.ec(.p256, parameters: .namedCurve), name: "ds-lu", domain: "LU")
        let temporary = keyDirectory.appendingPathComponent(".ds-lu.4242.17.tmp")
        try TestSupport.write(Array("-----BEGIN ENCRYPTED PRIV".utf8), temporary)
        // Keys of other names are not the CSCA's to judge.
        let audit = try dead.generate(.ec(.p256, parameters: .namedCurve), name: "audit", domain: "LU")

        let ca = try CountrySigningCA(store: fixture.store, domain: "LU", keys: SoftwareKeyProvider(store: fixture.store, passphrase: Self.passphrase))
        let next = try ca.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS 2"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let nextReference = try #require(next.keyReference)

        func exists(_ reference: String) -> Bool {
            FileManager.default.fileExists(atPath: keyDirectory.appendingPathComponent(String(reference.split(separator: "/").last!)).path)
        }
        // The abandoned key is gone; its name is free again, and the new DS may have taken it.
        #expect(!exists(abandoned.reference) || nextReference == abandoned.reference)
        #expect(!FileManager.default.fileExists(atPath: temporary.path), "the half-written temporary file is removed")
        #expect(exists(inFlight.reference), "a key another process still holds is left alone")
        #expect(exists(issuedReference) && exists(nextReference) && exists(audit.reference))
        #expect(Set([issuedReference, nextReference, inFlight.reference]).count == 3, "every live key has a name of its own")
        // Both issued keys are still the keys of their certificates (the new one may have taken the freed name).
        func keyOf(_ reference: String) throws -> PublicKey {
            try SoftwareKeyProvider(store: fixture.store, passphrase: Self.passphrase).signer(for: reference).publicKey
        }
        #expect(try keyOf(issuedReference).isSameKey(as: issued.certificate.publicKey))
        #expect(try keyOf(nextReference).isSameKey(as: next.certificate.publicKey))
        #expect(try !keyOf(nextReference).isSameKey(as: abandoned.signer.publicKey))
        let removal = try #require(try fixture.store.auditEntries(domain: "LU").last { $0.action == "key.abandoned-removed" })
        #expect(removal.details["keys"]?.split(separator: ",").map(String.init).sorted()
                == [abandoned.reference, "file:keys/LU/.ds-lu.4242.17.tmp"].sorted())
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)

        // Once the other process gives its key up without recording it (it settled, then died before any
        // certificate named it), the next authority value removes it too.
        live.settle(inFlight.reference)
        let later = try CountrySigningCA(store: fixture.store, domain: "LU", keys: SoftwareKeyProvider(store: fixture.store, passphrase: Self.passphrase))
        let last = try later.issueDocumentSigner(subject: DistinguishedName(parsing: "C=LU,CN=DS 3"), key: .generate(.ec(.p256, parameters: .namedCurve)))
        let secondRemoval = try #require(try fixture.store.auditEntries(domain: "LU").last { $0.action == "key.abandoned-removed" })
        #expect(secondRemoval.details["keys"] == inFlight.reference)
        if exists(inFlight.reference) {
            #expect(last.keyReference == inFlight.reference, "only the new DS may have taken the name")
            #expect(try !keyOf(inFlight.reference).isSameKey(as: inFlight.signer.publicKey))
        }
        #expect(try keyOf(issuedReference).isSameKey(as: issued.certificate.publicKey))
        #expect(try keyOf(nextReference).isSameKey(as: next.certificate.publicKey))
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)
    }

    /// Names are taken with link(2), which never replaces a file: processes generating at the same moment (a CLI
    /// and a service on one data directory) each get a file of their own. An existence check followed by a write
    /// could give two certificates one file and lose a key.
    @Test func keysGeneratedAtOnceGetNamesOfTheirOwn() async throws {
        let directory = try TestSupport.temporaryDirectory("epki-keynames")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EPKIStore(directory: directory, migrations: [])
        let keys = try await withThrowingTaskGroup(of: (String, [UInt8]).self) { group in
            for _ in 0..<12 {
                group.addTask {
                    let created = try SoftwareKeyProvider(store: store, passphrase: Self.passphrase).generate(.ec(.p256, parameters: .namedCurve), name: "ds-lu", domain: "LU")
                    return (created.reference, try created.signer.publicKey.derEncoded)
                }
            }
            return try await group.reduce(into: [(String, [UInt8])]()) { $0.append($1) }
        }
        #expect(Set(keys.map(\.0)).count == 12)
        for (reference, publicKey) in keys {
            let reread = try SoftwareKeyProvider(store: store, passphrase: Self.passphrase).signer(for: reference)
            #expect(try reread.publicKey.derEncoded == publicKey, "\(reference) holds the key it was generated with")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.keyDirectory(domain: "LU").path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
