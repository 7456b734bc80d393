import Foundation
import PKICore
import Testing
import TestSupport

/// The SOD service's OpenAPI document checked against `epki sod serve` by schemathesis (`--checks all`), with a
/// registered line's client certificate: every answer as documented, no 5xx, schema-valid requests accepted.
@Suite(.serialized) struct SODContractTests {
    @Test func theSODServiceKeepsItsOpenAPIDocument() throws {
        let directory = try TestSupport.temporaryDirectory("epki-sod-contract")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["EPKI_HOME": directory.appendingPathComponent("data").path]
        try SODCommandLineTests.operatorFiles(lines: ["line-1"], in: directory)
        let added = try TestSupport.run(try TestSupport.epkiExecutable(), ["sod", "line", "add", "--name", "line-1", "--cert", "line-1.pem"],
                                        environment: environment, currentDirectory: directory)
        #expect(added.status == 0, "\(added.output)")
        let (server, bound, _) = try SODCommandLineTests.serve(["--ds-cert", "ds.pem", "--key", "ds.key", "--passphrase-file", "pass", "--csca", "csca.pem"],
                                                               environment: environment, in: directory)
        defer { server.signal(SIGKILL); server.wait() }
        let result = try Schemathesis.run("https://127.0.0.1:\(bound)/openapi.json",
                                          arguments: ["--request-cert", "line-1.pem", "--request-cert-key", "line-1.key", "--tls-verify", "tls-ca.pem"],
                                          in: directory)
        #expect(result.status == 0 && result.stdout.contains(" passed"), "\(result.output)")
    }
}
