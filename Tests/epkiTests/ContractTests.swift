import Foundation
import Testing
import TestSupport

/// Every OpenAPI document the suite serves, checked against the running service by schemathesis (`--checks all`):
/// the administration API (mutual TLS, a CA administrator and auditor of the domain the requests name) and the
/// NPKD's border-control API (holding ICAO's master list). The SOD service's is in SODServiceTests.
@Suite(.serialized) struct ContractTests {
    @Test func theAdministrationAPIKeepsItsOpenAPIDocument() throws {
        let world = try AdministrationAPITests.World()
        try world.cli.ok(["officer", "add", "--domain", "UT", "--name", "erin", "--role", "ca-admin,auditor", "--public-key", "stranger.crt",
                          "--officer", "alice.pem", "--officer-passphrase-file", "opass"])
        let result = try Schemathesis.run("https://127.0.0.1:\(world.port)/openapi.json", parameters: ["domain": "UT"],
                                          arguments: ["--request-cert", "stranger.crt", "--request-cert-key", "stranger.key", "--tls-verify", "server.crt"],
                                          in: world.home)
        #expect(result.status == 0 && result.stdout.contains(" passed"), "\(result.output)")
        try world.cli.ok(["audit", "verify", "--domain", "UT"])
    }

    @Test func theBorderControlAPIKeepsItsOpenAPIDocument() throws {
        let home = try TestSupport.temporaryDirectory("epki-npkd-contract")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ProcessInfo.processInfo.environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 }
        let imported = try TestSupport.run(try TestSupport.epkiExecutable(), ["npkd", "import", TestSupport.vectorPath("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")],
                                           environment: environment, currentDirectory: home)
        #expect(imported.status == 0, "\(imported.output)")
        let output = home.appendingPathComponent("serve.out")
        let server = try Subprocess(TestSupport.epkiExecutable(), ["npkd", "serve", "--listen", "127.0.0.1:0"], environment: environment,
                                    currentDirectory: home.path, standardOutput: output.path, standardError: home.appendingPathComponent("serve.err").path)
        defer { server.signal(SIGTERM); _ = server.wait() }
        var port = ""
        for _ in 0..<600 where port.isEmpty {
            if let text = try? String(contentsOf: output, encoding: .utf8), let range = text.range(of: "http://127.0.0.1:") {
                port = String(text[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(20_000)
        }
        try #require(!port.isEmpty, "epki npkd serve did not start")
        let result = try Schemathesis.run("http://127.0.0.1:\(port)/openapi.json", parameters: ["country": "DE"], in: home)
        #expect(result.status == 0 && result.stdout.contains(" passed"), "\(result.output)")
    }
}
