import Foundation
import Testing
import TestSupport

/// The administration API through curl with officers' client certificates (made by openssl): the role matrix of the
/// README, each cell a request, and bad input answered with a JSON error naming the field, nothing written.
@Suite(.serialized) struct AdministrationAPITests {
    @Test func theRoleMatrixHoldsThroughMutualTLS() throws {
        let home = try TestSupport.temporaryDirectory("epki-admin-api")
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = GovernanceTests.CLI(home: home)
        try cli.writeSecrets()
        func openssl(_ arguments: [String]) throws { try TestSupport.openssl(arguments, in: home) }
        try cli.ok(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA UT", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/UT.crl",
                    "--passphrase-file", "pass"])
        try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "alice.pem", "--public-out", "alice.pub", "--passphrase-file", "opass"])
        try cli.ok(["officer", "init", "--domain", "UT", "--name", "alice", "--public-key", "alice.pub"])
        for name in ["bob", "dave", "audrey", "stranger", "server"] {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key", "-out", "\(name).crt",
                         "-subj", "/CN=\(name)", "-days", "30", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        }
        for (name, role) in [("bob", "ca-admin"), ("dave", "ra-officer"), ("audrey", "auditor")] {
            try cli.ok(["officer", "add", "--domain", "UT", "--name", name, "--role", role, "--public-key", "\(name).crt",
                        "--officer", "alice.pem", "--officer-passphrase-file", "opass"])
        }
        try cli.ok(["key", "import", "--in", "server.key", "--out", "server-key.pem", "--passphrase-file", "pass"])
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-nodes", "-keyout", "ds.key", "-out", "ds.csr",
                     "-outform", "DER", "-subj", "/C=UT/CN=DS through the API"])
        var broken = try TestSupport.read(home.appendingPathComponent("ds.csr"))
        broken[broken.count - 5] ^= 0x01
        try TestSupport.write(broken, home.appendingPathComponent("broken.csr"))

        let output = home.appendingPathComponent("serve.out")
        let server = try Subprocess(TestSupport.epkiExecutable(), ["admin", "serve", "--listen", "127.0.0.1:0", "--tls-cert", "server.crt", "--tls-key", "server-key.pem",
                                                                    "--passphrase-file", "pass"],
                                    environment: ProcessInfo.processInfo.environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 },
                                    currentDirectory: home.path, standardOutput: output.path, standardError: home.appendingPathComponent("serve.err").path)
        defer { server.signal(SIGTERM); _ = server.wait() }
        var port = ""
        for _ in 0..<300 where port.isEmpty {
            if let text = try? String(contentsOf: output, encoding: .utf8), let range = text.range(of: "https://127.0.0.1:") {
                port = String(text[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(20_000)
        }
        try #require(!port.isEmpty, "the API did not start: \((try? String(contentsOf: home.appendingPathComponent("serve.err"), encoding: .utf8)) ?? "")")

        func call(_ who: String, _ method: String, _ path: String, body: String? = nil, type: String = "application/json") throws -> (Int, [String: Any]) {
            var arguments = ["-s", "-o", "answer", "-w", "%{http_code}", "--cacert", "server.crt", "--cert", "\(who).crt", "--key", "\(who).key", "-X", method,
                             "https://127.0.0.1:\(port)\(path)"]
            if let body { arguments += ["-H", "Content-Type: \(type)", "--data-binary", body] }
            let result = try TestSupport.run("curl", arguments, currentDirectory: home)
            let answer = (try? TestSupport.read(home.appendingPathComponent("answer"))) ?? []
            return (Int(result.stdout) ?? 0, (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] ?? [:])
        }
        // The matrix: route × officer → status.
        let base = "/v1/domains/UT"
        let matrix: [(String, String, String?, [String: Int])] = [
            ("GET", "\(base)/status", nil, ["bob": 200, "dave": 200, "audrey": 200, "stranger": 401]),
            ("POST", "\(base)/ds", "@ds.csr", ["dave": 201, "bob": 403, "audrey": 403, "stranger": 401]),
            ("POST", "\(base)/crls", "", ["bob": 200, "dave": 403, "audrey": 403, "stranger": 401]),
            ("GET", "\(base)/proposals", nil, ["bob": 200, "dave": 200, "audrey": 200, "stranger": 401]),
            ("GET", "\(base)/audit?from=1", nil, ["audrey": 200, "bob": 403, "dave": 403, "stranger": 401]),
        ]
        for (method, path, body, expected) in matrix {
            for (who, status) in expected.sorted(by: { $0.key < $1.key }) {
                let (got, answer) = try call(who, method, path, body: body, type: path.hasSuffix("/ds") ? "application/pkcs10" : "application/json")
                #expect(got == status, "\(who) \(method) \(path): \(got) \(answer)")
                if status >= 400 { #expect((answer["error"] as? [String: Any])?["status"] as? Int == status, "\(answer)") }
            }
        }
        // Revocation: only the CA administrator; the serial from the DS just issued through the API.
        let list = try cli.ok(["csca", "list", "--domain", "UT", "--json"])
        let records = try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]] ?? []
        let dsSerial = try #require(records.last { $0["kind"] as? String == "ds" }?["serial"] as? String)
        #expect(try call("dave", "POST", "\(base)/revocations", body: "{\"serial\":\"\(dsSerial)\"}").0 == 403)
        #expect(try call("audrey", "POST", "\(base)/revocations", body: "{\"serial\":\"\(dsSerial)\"}").0 == 403)
        #expect(try call("bob", "POST", "\(base)/revocations", body: "{\"serial\":\"\(dsSerial)\"}").0 == 200)

        // Bad input: a JSON error naming the field, and nothing written.
        let before = try cli.ok(["audit", "show", "--domain", "UT"]).split(separator: "\n").filter { !$0.contains("governance.") && !$0.contains(".refused") }.count
        let certificatesBefore = records.count
        for (who, method, path, body, type, status, field) in [
            ("bob", "POST", "\(base)/revocations", "{\"serial\": ", "application/json", 400, "body"),
            ("bob", "POST", "\(base)/revocations", "{\"serial\": \"01\", \"reason\": \"x\"}", "application/json", 400, "reason"),
            ("bob", "POST", "\(base)/revocations", "{\"serial\": \"not hex\"}", "application/json", 400, "serial"),
            ("dave", "POST", "\(base)/ds", "@broken.csr", "application/pkcs10", 422, "body"),
            ("dave", "POST", "\(base)/ds", "not a request", "application/pkcs10", 400, "body"),
            ("audrey", "GET", "\(base)/audit?from=zero", nil, "application/json", 400, "from"),
        ] as [(String, String, String, String?, String, Int, String)] {
            let (got, answer) = try call(who, method, path, body: body, type: type)
            let error = answer["error"] as? [String: Any]
            #expect(got == status && error?["field"] as? String == field, "\(method) \(path) \(body ?? ""): \(got) \(answer)")
        }
        try TestSupport.write(String(repeating: "x", count: 100_000), home.appendingPathComponent("big.json"))
        #expect(try call("bob", "POST", "\(base)/revocations", body: "@big.json").0 == 413)
        let after = try cli.ok(["audit", "show", "--domain", "UT"]).split(separator: "\n").filter { !$0.contains("governance.") && !$0.contains(".refused") }.count
        let certificatesAfter = (try JSONSerialization.jsonObject(with: Data(try cli.ok(["csca", "list", "--domain", "UT", "--json"]).utf8)) as? [[String: Any]] ?? []).count
        #expect(after == before && certificatesAfter == certificatesBefore, "bad input wrote nothing: \(before) → \(after) entries, \(certificatesBefore) → \(certificatesAfter) certificates")
        let openAPI = try TestSupport.run("curl", ["-s", "--cacert", "server.crt", "--cert", "bob.crt", "--key", "bob.key", "https://127.0.0.1:\(port)/openapi.json"],
                                          currentDirectory: home)
        #expect(openAPI.stdout.contains("\"openapi\":\"3.0.3\""), "\(openAPI.output)")
    }
}
