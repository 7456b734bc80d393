import CSCA
import Foundation
import NPKD
import PKICore
import Store
import Testing
import TestSupport

/// A value shared between the importing and the reading task.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Locked<Value>
    init(_ value: Value) { mutex = Locked(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

@Suite struct BigCRLTests {
    static let entries = 200_000

    static func serial(_ index: Int) -> [UInt8] {
        [0x01, UInt8((index >> 16) & 0xFF), UInt8((index >> 8) & 0xFF), UInt8(index & 0xFF)]
    }

    /// A CRL with 200,000 entries is imported by streaming (progress reported batch by batch) while another
    /// connection — as the service in another process — keeps answering revocation lookups from the previous CRL:
    /// SQLite's WAL does not block readers behind the writer.
    @Test func aBigCRLImportsWhileReadersAreAnswered() async throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let ut = try CountryPKI("UT")
        let ds = try ut.documentSigner()
        try fixture.pkd.trust(ut.csca)
        _ = try fixture.importBytes(ds.certificate.derEncoded, "ds.der")
        _ = try fixture.importBytes(ut.crl(number: 1, revoked: [ds.certificate]).derEncoded, "ut-1.crl")

        let revokedOn = CountryPKI.now.addingTimeInterval(-2 * CountryPKI.day)
        let time = try Time(revokedOn)
        let generation = ContinuousClock.now
        let big = try CRLBuilder(issuer: ut.csca.subject, thisUpdate: CountryPKI.now, nextUpdate: CountryPKI.now.addingTimeInterval(7 * CountryPKI.day),
                                 authorityKeyIdentifier: ut.csca.subjectKeyIdentifier ?? [], crlNumber: CRLNumber(2))
            .sign(entries: (0..<Self.entries).lazy.map { RevokedCertificate(serialNumber: Self.serial($0)[...], revocationDate: time) }, with: ut.cscaSigner)
        let path = try fixture.write(big.derEncoded, "ut-2-big.crl")
        print("generated a CRL of \(Self.entries) entries (\(big.derEncoded.count) bytes) in \(ContinuousClock.now - generation)")

        // The reader: a second store on the same data directory, as the service would open it.
        let readerStore = try EPKIStore(directory: fixture.directory, migrations: CountrySigningCA.migrations + NationalPKD.migrations)
        let reader = try NationalPKD(store: readerStore, clock: FixedClock(CountryPKI.now))
        let issuer = ut.csca.subjectKeyIdentifier?.hexString ?? ""

        let progress = Shared<(first: ContinuousClock.Instant?, last: ContinuousClock.Instant?, reports: Int, completed: Int)>((nil, nil, 0, 0))
        let outcome = Shared<Result<ImportSummary, any Error>?>(nil)
        typealias Lookup = (at: ContinuousClock.Instant, latency: Duration, status: RevocationAnswer.Status)
        let lookups = Shared<[Lookup]>([])
        let readerFailure = Shared<String?>(nil)
        let started = ContinuousClock.now
        // Threads of their own, not Swift's cooperative pool, which other tests running in parallel keep busy: the
        // importer is the CLI process, the reader the service, each with its own connection.
        let importer = Thread {
            let result = Result {
                try fixture.pkd.importFile(atPath: path, options: ImportOptions(progress: { report in
                    guard report.phase == "CRL entries", report.completed > 0, report.completed < (report.total ?? 0) else { return }
                    progress.withLock { state in
                        state.first = state.first ?? ContinuousClock.now
                        state.last = ContinuousClock.now
                        state.reports += 1
                        state.completed = report.completed
                    }
                }))
            }
            outcome.withLock { $0 = result }
        }
        let readerThread = Thread {
            // Bounded: stops when the import ends, or after 10 minutes at most.
            while outcome.withLock({ $0 == nil }) && ContinuousClock.now - started < .seconds(600) {
                let start = ContinuousClock.now
                do {
                    let answer = try reader.revocation(issuer: issuer, serial: ds.certificate.serialNumberHex)
                    let end = ContinuousClock.now
                    lookups.withLock { $0.append((end, end - start, answer.status)) }
                } catch {
                    readerFailure.withLock { $0 = "\(error)" }
                    return
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        importer.start()
        readerThread.start()
        while outcome.withLock({ $0 == nil }) && ContinuousClock.now - started < .seconds(600) {
            await TestSupport.pause(milliseconds: 50)
        }
        await TestSupport.pause(milliseconds: 50)
        let summary = try #require(outcome.withLock { $0 }).get()
        let elapsed = ContinuousClock.now - started
        #expect(readerFailure.withLock { $0 } == nil)
        let seen = lookups.withLock { $0 }

        #expect(summary.crlEntries == Self.entries)
        let window = progress.withLock { $0 }
        let first = try #require(window.first)
        let last = try #require(window.last)
        #expect(window.reports >= 3, "progress was reported \(window.reports) time(s)")
        let during = seen.filter { $0.at > first && $0.at < last }
        let slowest = during.map(\.latency).max() ?? .zero
        print("imported \(summary.crlEntries) entries in \(elapsed); \(window.reports) progress reports; \(seen.count) lookups, "
              + "\(during.count) while entries were being written, slowest \(slowest)")
        #expect(during.count >= 5, "readers were not answered during the import")
        #expect(slowest < .seconds(2))
        // While the import ran, the readers saw the previous CRL: the DS revoked.
        #expect(during.allSatisfy { $0.status == .revoked })

        // After it: the big CRL is current (the DS is not on it), the old one superseded, and any entry is found.
        #expect(try reader.revocation(issuer: issuer, serial: ds.certificate.serialNumberHex).status == .good)
        let hit = try reader.revocation(issuer: issuer, serial: Self.serial(123_456).hexString)
        #expect(hit.status == .revoked && hit.revokedAt == revokedOn && hit.crlNumber == "02")
        #expect(try reader.revocation(issuer: issuer, serial: Self.serial(Self.entries).hexString).status == .good)
        let crls = try reader.crls(country: "UT")
        #expect(crls.map(\.status).sorted() == ["current", "superseded"])
        #expect(crls.first { $0.status == "current" }?.entries == Self.entries)
        #expect(try fixture.count("npkd_crl_entry") == Self.entries)
    }
}
