import CSCA
import Foundation
import Hummingbird
import HummingbirdTesting
import LDS
import NPKD
import PKICore
import Testing
import TestSupport

@Suite struct ServiceTests {
    /// A country whose CSCA reached the NPKD through a trusted master list, one DS, its CRL, and a SOD signed by it.
    struct Scenario {
        let fixture: NPKDFixture
        let country: CountryPKI
        let ds: CountryPKI.Signer
        let sod: [UInt8]
        let dataGroups: [Int: [UInt8]]

        init() throws {
            fixture = try NPKDFixture()
            country = try CountryPKI("UT")
            let mls = try country.listSigner(.masterList)
            _ = try fixture.importBytes(country.masterList([country.csca], signer: mls), "ut.ml", trustSigners: [mls.certificate])
            ds = try country.documentSigner()
            _ = try fixture.importBytes(ds.certificate.derEncoded, "ds.der")
            _ = try fixture.importBytes(country.crl(number: 1).derEncoded, "ut-1.crl")
            dataGroups = [2: [0x75, 0x04, 0x01, 0x02, 0x03, 0x04], 14: [0x6E, 0x02, 0x31, 0x00]]
            let signer = try SODSigner(signer: ds.key, documentSigner: ds.certificate, clock: FixedClock(CountryPKI.now.addingTimeInterval(-CountryPKI.day)))
            sod = try signer.sign(dataGroups: dataGroups).encode()
        }

        var verifyBody: ByteBuffer {
            var groups: [String: String] = [:]
            for (number, bytes) in dataGroups { groups[String(number)] = Data(bytes).base64EncodedString() }
            let object: [String: Any] = ["sod": Data(sod).base64EncodedString(), "dataGroups": groups]
            return ByteBuffer(bytes: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
        }
    }

    static func json(_ response: TestResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(Array(buffer: response.body)))
    }

    static func errorCode(_ response: TestResponse) throws -> String? {
        ((try json(response) as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    /// A SOD signed by a DS of a CSCA imported through a master list verifies; revoking the DS by a new CRL makes the
    /// same request fail with the reason.
    @Test func passiveAuthenticationFollowsTheStore() async throws {
        let scenario = try Scenario()
        defer { scenario.fixture.cleanUp() }
        let service = BorderControlService(pkd: scenario.fixture.pkd, chainCacheLifetime: 0)
        let app = Application(router: service.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/pa/verify", method: .post, body: scenario.verifyBody) { response throws in
                let report = try #require(try Self.json(response) as? [String: Any])
                #expect(response.status == .ok, "\(report)")
                #expect(report["genuine"] as? Bool == true)
                let checks = report["checks"] as? [[String: Any]] ?? []
                #expect(checks.contains { $0["name"] as? String == "DS issued by CSCA" && $0["status"] as? String == "passed" })
                #expect(checks.contains { $0["name"] as? String == "DS revocation" && $0["status"] as? String == "passed" })
            }
            _ = try scenario.fixture.importBytes(scenario.country.crl(number: 2, revoked: [scenario.ds.certificate]).derEncoded, "ut-2.crl")
            try await client.execute(uri: "/v1/pa/verify", method: .post, body: scenario.verifyBody) { response throws in
                #expect(response.status == .unprocessableContent)
                let report = try #require(try Self.json(response) as? [String: Any])
                #expect(report["genuine"] as? Bool == false)
                let revocation = (report["checks"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "DS revocation" }
                #expect(revocation?["status"] as? String == "failed")
                #expect((revocation?["detail"] as? String)?.contains("revoked since") == true, "\(String(describing: revocation))")
            }
            // Bad requests: 400 with a JSON error.
            for body in ["not json", "{\"sod\": \"@@@\", \"dataGroups\": {}}", "{\"sod\": \"AAAA\", \"dataGroups\": {\"99\": \"AAAA\"}}", "[]"] {
                try await client.execute(uri: "/v1/pa/verify", method: .post, body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(try Self.errorCode(response) == "badRequest")
                }
            }
        }
    }

    @Test func lookupsHealthMetricsAndErrors() async throws {
        let scenario = try Scenario()
        defer { scenario.fixture.cleanUp() }
        let service = BorderControlService(pkd: scenario.fixture.pkd)
        let app = Application(router: service.router())
        let ski = try #require(scenario.ds.certificate.subjectKeyIdentifier?.hexString)
        let aki = try #require(scenario.country.csca.subjectKeyIdentifier?.hexString)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect((try Self.json(response) as? [String: Any])?["status"] as? String == "ok")
            }
            try await client.execute(uri: "/v1/csca?country=ut", method: .get) { response throws in
                let list = try #require(try Self.json(response) as? [[String: Any]])
                #expect(list.count == 1)
                #expect(list.first?["state"] as? String == "trusted")
                #expect((list.first?["pem"] as? String)?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
            }
            try await client.execute(uri: "/v1/csca", method: .get) { response throws in
                #expect((try Self.json(response) as? [[String: Any]])?.count == 1)
            }
            try await client.execute(uri: "/v1/csca?country=UTO", method: .get) { response throws in
                #expect(response.status == .badRequest)
                #expect(try Self.errorCode(response) == "badRequest")
            }
            try await client.execute(uri: "/v1/ds/\(ski.lowercased())", method: .get) { response throws in
                #expect(response.status == .ok)
                let list = try #require(try Self.json(response) as? [[String: Any]])
                #expect(list.first?["serial"] as? String == scenario.ds.certificate.serialNumberHex)
                #expect(list.first?["state"] as? String == "trusted")
            }
            try await client.execute(uri: "/v1/ds/ABCDEF", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(try Self.errorCode(response) == "notFound")
            }
            try await client.execute(uri: "/v1/ds/xyz", method: .get) { response throws in #expect(response.status == .badRequest) }
            var href = ""
            try await client.execute(uri: "/v1/crl/UT", method: .get) { response throws in
                let list = try #require(try Self.json(response) as? [[String: Any]])
                #expect(list.first?["status"] as? String == "current")
                #expect(list.first?["crlNumber"] as? String == "01")
                href = list.first?["href"] as? String ?? ""
            }
            try await client.execute(uri: href, method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/pkix-crl")
                #expect(try CertificateRevocationList(bytes: Array(buffer: response.body)).crlNumber?.value == 1)
            }
            try await client.execute(uri: "/v1/crl/UT/999", method: .get) { response throws in #expect(response.status == .notFound) }
            try await client.execute(uri: "/v1/crl/1", method: .get) { response throws in #expect(response.status == .badRequest) }
            try await client.execute(uri: "/v1/revocation?issuer=\(aki)&serial=\(scenario.ds.certificate.serialNumberHex)", method: .get) { response throws in
                #expect((try Self.json(response) as? [String: Any])?["status"] as? String == "good")
            }
            try await client.execute(uri: "/v1/revocation?issuer=\(aki)", method: .get) { response throws in
                #expect(response.status == .badRequest)
                #expect(try Self.errorCode(response) == "badRequest")
            }
            try await client.execute(uri: "/v1/revocation?issuer=00&serial=01", method: .get) { response throws in
                #expect((try Self.json(response) as? [String: Any])?["status"] as? String == "unknown")
            }
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(try Self.errorCode(response) == "notFound")
            }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(text.contains("npkd_http_requests_total{route=\"/v1/csca\",status=\"200\"} 2"), "\(text)")
                #expect(text.contains("npkd_http_requests_total{route=\"/v1/ds/{ski}\",status=\"404\"} 1"))
                #expect(text.contains("npkd_certificates{kind=\"ds\",state=\"trusted\"} 1"))
                #expect(text.contains("# TYPE npkd_crl_entries gauge"))
            }
        }
    }

    /// The OpenAPI document describes exactly the routes the router serves.
    @Test func theOpenAPIDocumentMatchesTheRoutes() async throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let app = Application(router: BorderControlService(pkd: fixture.pkd).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response throws in
                let document = try #require(try Self.json(response) as? [String: Any])
                #expect(document["openapi"] as? String == "3.0.3")
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                var documented: Set<String> = []
                for (path, operations) in paths {
                    for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
                }
                #expect(documented == Set(BorderControlService.routes.map { "\($0.method) \($0.path)" }))
            }
        }
    }

    /// Mutual TLS on 127.0.0.1: a P-256 client certificate is required, and with it the service answers (curl).
    @Test func mutualTLSWithAP256ClientCertificate() async throws {
        let fixture = try NPKDFixture()
        defer { fixture.cleanUp() }
        let directory = fixture.directory
        // A test CA, a server certificate for 127.0.0.1 and a client certificate, all P-256 (BoringSSL has no brainpool).
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                                 "-out", "ca.pem", "-subj", "/CN=NPKD test CA", "-days", "2"], in: directory)
        for name in ["server", "client"] {
            try TestSupport.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
                                     "-out", "\(name).csr", "-subj", "/CN=\(name == "server" ? "127.0.0.1" : "inspection system 1")"], in: directory)
            try TestSupport.write("subjectAltName=IP:127.0.0.1\n", directory.appendingPathComponent("\(name).ext"))
            try TestSupport.openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                                     "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext"], in: directory)
        }
        let settings = try TLSSettings(certificatePath: directory.appendingPathComponent("server.pem").path,
                                       keyPath: directory.appendingPathComponent("server.key").path,
                                       clientCAPath: directory.appendingPathComponent("ca.pem").path)
        let service = BorderControlService(pkd: fixture.pkd)
        let bound = PortBox()
        let server = Task {
            try await service.run(host: "127.0.0.1", port: 0, tls: settings) { port in bound.set(port) }
        }
        defer { server.cancel() }
        let port = try await bound.wait(seconds: 30)
        let url = "https://127.0.0.1:\(port)/health"
        let withCertificate = try await Self.curl(["-sS", "--max-time", TestSupport.inProcessServiceTimeout, "--cacert", "ca.pem", "--cert", "client.pem", "--key", "client.key", url],
                                                  in: directory)
        #expect(withCertificate.status == 0, "\(withCertificate.output)")
        #expect(withCertificate.stdout.contains("\"status\":\"ok\""), "\(withCertificate.output)")
        let without = try await Self.curl(["-sS", "--max-time", TestSupport.inProcessServiceTimeout, "--cacert", "ca.pem", url], in: directory)
        #expect(without.status != 0, "a request without a client certificate was answered: \(without.output)")
        server.cancel()
        _ = await server.result
    }

    static func curl(_ arguments: [String], in directory: URL) async throws -> TestSupport.ProcessResult {
        // A thread of its own, not a detached task: a task would hold one of the concurrency pool's threads, which the
        // service under test needs to answer (curl timed out once under ASan with the pool busy elsewhere).
        try await TestSupport.onOwnThread { try TestSupport.run("curl", arguments, currentDirectory: directory) }
    }
}

/// The port the service bound, handed from its start-up callback to the test.
final class PortBox: Sendable {
    private let value = Locked<Int?>(nil)

    func set(_ port: Int) { value.withLock { $0 = port } }

    func wait(seconds: Int) async throws -> Int {
        for _ in 0..<(seconds * 20) {
            if let port = value.withLock({ $0 }) { return port }
            await TestSupport.pause(milliseconds: 50)
        }
        throw TestFailure("the service did not start within \(seconds) s")
    }
}
