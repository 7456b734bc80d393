import Foundation
import Hummingbird
import HummingbirdTesting
import NPKD
import PKICore
import Testing

/// The verification history of `POST /v1/pa/verify`: off unless asked for; when on, one row per answer with the
/// verdict, the issuing country, the DS and the failed checks — and no document data — counted by
/// `GET /v1/pa/statistics` and by country in `/metrics`.
@Suite struct VerificationHistoryTests {
    @Test func recordedWhenOnAndCountedByCountryAndVerdict() async throws {
        let scenario = try ServiceTests.Scenario()
        defer { scenario.fixture.cleanUp() }
        let service = BorderControlService(pkd: scenario.fixture.pkd, chainCacheLifetime: 0, recordVerifications: true)
        let app = Application(router: service.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/pa/verify", method: .post, body: scenario.verifyBody) { response throws in
                #expect(response.status == .ok)
            }
            _ = try scenario.fixture.importBytes(scenario.country.crl(number: 2, revoked: [scenario.ds.certificate]).derEncoded, "ut-2.crl")
            try await client.execute(uri: "/v1/pa/verify", method: .post, body: scenario.verifyBody) { response throws in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(uri: "/v1/pa/statistics", method: .get) { response throws in
                #expect(response.status == .ok)
                let statistics = try #require(try ServiceTests.json(response) as? [String: Any])
                #expect(statistics["total"] as? Int == 2)
                let ut = (statistics["byCountry"] as? [String: Any])?["UT"] as? [String: Int]
                #expect(ut == ["genuine": 1, "not_genuine": 1], "\(statistics)")
                #expect(statistics["first"] as? String == Time.iso8601(CountryPKI.now))
            }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                let text = String(decoding: Array(buffer: response.body), as: UTF8.self)
                #expect(text.contains("npkd_passive_authentications_by_country_total{country=\"UT\",verdict=\"genuine\"} 1"))
                #expect(text.contains("npkd_passive_authentications_by_country_total{country=\"UT\",verdict=\"not_genuine\"} 1"))
            }
        }
        let history = try scenario.fixture.pkd.verificationHistory()
        #expect(history.map(\.genuine) == [false, true])
        #expect(history.first?.failedChecks == ["DS revocation"])
        #expect(history.allSatisfy { $0.documentSignerSerial == scenario.ds.certificate.serialNumberHex && $0.country == "UT" })
        #expect(history.first?.documentSignerFingerprint == (try HashAlgorithm.sha256.hash(scenario.ds.certificate.derEncoded).hexString))
        // What the table can hold at all: no column for the MRZ, a data group or an image.
        let columns = try scenario.fixture.store.read { db in try db.columnNames(in: "npkd_verification") }
        #expect(Set(columns) == ["id", "domain", "verified_at", "verdict", "country", "ds_fingerprint", "ds_serial", "failed_checks"])
        let stored = try scenario.fixture.store.read { db in
            try String.fetchAll(db, sql: "SELECT verdict || country || COALESCE(ds_fingerprint, '') || COALESCE(ds_serial, '') || failed_checks FROM npkd_verification")
        }
        let groupText = scenario.dataGroups.values.map { Data($0).base64EncodedString() }
        #expect(!stored.contains { row in groupText.contains { row.contains($0) } })
    }

    @Test func offByDefault() async throws {
        let scenario = try ServiceTests.Scenario()
        defer { scenario.fixture.cleanUp() }
        let service = BorderControlService(pkd: scenario.fixture.pkd, chainCacheLifetime: 0)
        let app = Application(router: service.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/pa/verify", method: .post, body: scenario.verifyBody) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/pa/statistics", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(try ServiceTests.errorCode(response) == "notFound")
            }
        }
        #expect(try scenario.fixture.count("npkd_verification") == 0)
    }
}
