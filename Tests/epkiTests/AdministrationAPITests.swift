import Foundation
import Testing
import TestSupport

/// The administration API through curl with officers' client certificates (made by openssl): the role matrix of the
/// README, each cell a request, and bad input answered with a JSON error naming the field, nothing written.
@Suite(.serialized) struct AdministrationAPITests {
    /// A domain UT with a CSCA and officers bob and carol (ca-admin), dave (ra-officer), audrey (auditor), each with
    /// a client certificate made by openssl, and `epki admin serve` on a free port; `stranger` is no officer.
    final class World {
        let home: URL
        let cli: GovernanceTests.CLI
        let server: Subprocess
        let port: String

        init() throws {
            home = try TestSupport.temporaryDirectory("epki-admin-api")
            cli = GovernanceTests.CLI(home: home)
            try cli.writeSecrets()
            let home = self.home
            func openssl(_ arguments: [String]) throws { try TestSupport.openssl(arguments, in: home) }
            try cli.ok(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA UT", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/UT.crl",
                        "--passphrase-file", "pass"])
            try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "alice.pem", "--public-out", "alice.pub", "--passphrase-file", "opass"])
            try cli.ok(["officer", "init", "--domain", "UT", "--name", "alice", "--public-key", "alice.pub"])
            for name in ["bob", "carol", "dave", "audrey", "stranger", "server"] {
                try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key", "-out", "\(name).crt",
                             "-subj", "/CN=\(name)", "-days", "30", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            }
            for (name, role) in [("bob", "ca-admin"), ("carol", "ca-admin"), ("dave", "ra-officer"), ("audrey", "auditor")] {
                try cli.ok(["officer", "add", "--domain", "UT", "--name", name, "--role", role, "--public-key", "\(name).crt",
                            "--officer", "alice.pem", "--officer-passphrase-file", "opass"])
            }
            try cli.ok(["key", "import", "--in", "server.key", "--out", "server-key.pem", "--passphrase-file", "pass"])
            let output = home.appendingPathComponent("serve.out")
            server = try Subprocess(TestSupport.epkiExecutable(), ["admin", "serve", "--listen", "127.0.0.1:0", "--tls-cert", "server.crt", "--tls-key", "server-key.pem",
                                                                    "--passphrase-file", "pass"],
                                    environment: ProcessInfo.processInfo.environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 },
                                    currentDirectory: home.path, standardOutput: output.path, standardError: home.appendingPathComponent("serve.err").path)
            var port = ""
            for _ in 0..<300 where port.isEmpty {
                if let text = try? String(contentsOf: output, encoding: .utf8), let range = text.range(of: "https://127.0.0.1:") {
                    port = String(text[range.upperBound...].prefix { $0.isNumber })
                }
                usleep(20_000)
            }
            self.port = port
            guard !port.isEmpty else {
                throw TestFailure("the API did not start: \((try? String(contentsOf: home.appendingPathComponent("serve.err"), encoding: .utf8)) ?? "")")
            }
        }

        deinit {
            server.signal(SIGTERM)
            _ = server.wait()
            try? FileManager.default.removeItem(at: home)
        }

        /// curl with `who`'s client certificate: the status and the JSON answer (headers in `headers.txt`).
        func call(_ who: String, _ method: String, _ path: String, body: String? = nil, type: String = "application/json",
                  headers: [String] = []) throws -> (Int, [String: Any]) {
            var arguments = ["-s", "-o", "answer", "-D", "headers.txt", "-w", "%{http_code}", "--cacert", "server.crt", "--cert", "\(who).crt", "--key", "\(who).key",
                             "-X", method, "https://127.0.0.1:\(port)\(path)"]
            if let body { arguments += ["-H", "Content-Type: \(type)", "--data-binary", body] }
            for header in headers { arguments += ["-H", header] }
            let result = try TestSupport.run("curl", arguments, currentDirectory: home)
            let answer = (try? TestSupport.read(home.appendingPathComponent("answer"))) ?? []
            return (Int(result.stdout) ?? 0, (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] ?? [:])
        }

        /// The headers that carry `who`'s signature (openssl, with the key of their client certificate) of `statement`.
        func signed(_ statement: String, by who: String) throws -> [String] {
            try TestSupport.write(statement, home.appendingPathComponent("statement.txt"))
            try TestSupport.openssl(["dgst", "-sha256", "-sign", "\(who).key", "-out", "statement.sig", "statement.txt"], in: home)
            let signature = try TestSupport.read(home.appendingPathComponent("statement.sig"))
            let time = statement.split(separator: "\n").first { $0.hasPrefix("time: ") }.map { String($0.dropFirst("time: ".count)) } ?? ""
            return ["Epki-Officer-Statement-Time: \(time)", "Epki-Officer-Signature: \(Data(signature).base64EncodedString())"]
        }

        func certificates() throws -> [[String: Any]] {
            try JSONSerialization.jsonObject(with: Data(try cli.ok(["csca", "list", "--domain", "UT", "--json"]).utf8)) as? [[String: Any]] ?? []
        }
    }

    @Test func theRoleMatrixHoldsThroughMutualTLS() throws {
        let world = try World()
        let home = world.home, cli = world.cli, port = world.port
        func openssl(_ arguments: [String]) throws { try TestSupport.openssl(arguments, in: home) }
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-nodes", "-keyout", "ds.key", "-out", "ds.csr",
                     "-outform", "DER", "-subj", "/C=UT/CN=DS through the API"])
        var broken = try TestSupport.read(home.appendingPathComponent("ds.csr"))
        broken[broken.count - 5] ^= 0x01
        try TestSupport.write(broken, home.appendingPathComponent("broken.csr"))
        func call(_ who: String, _ method: String, _ path: String, body: String? = nil, type: String = "application/json") throws -> (Int, [String: Any]) {
            try world.call(who, method, path, body: body, type: type)
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
        // The issuance's own audit entry names the officer the client certificate belongs to.
        #expect(try cli.ok(["audit", "show", "--domain", "UT"]).contains("officer:dave ds.issue"))
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
        // Another authority on the same installation: its officer reaches into UT, and UT's into it — each refused
        // (401) and audited in the domain reached for.
        try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "xb-admin.pem", "--public-out", "xb-admin.pub", "--passphrase-file", "opass"])
        try cli.ok(["officer", "init", "--domain", "XB", "--name", "xb-admin", "--public-key", "xb-admin.pub"])
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "xavier.key", "-out", "xavier.crt",
                     "-subj", "/CN=xavier", "-days", "30"])
        try cli.ok(["officer", "add", "--domain", "XB", "--name", "xavier", "--role", "ca-admin,auditor", "--public-key", "xavier.crt",
                    "--officer", "xb-admin.pem", "--officer-passphrase-file", "opass"])
        let utRefusals = try cli.ok(["audit", "show", "--domain", "UT"]).split(separator: "\n").filter { $0.contains("governance.refused") }.count
        for (method, path, body) in [("GET", "\(base)/status", nil), ("GET", "\(base)/proposals", nil), ("GET", "\(base)/audit?from=1", nil),
                                     ("POST", "\(base)/crls", ""), ("POST", "\(base)/revocations", "{\"serial\":\"\(dsSerial)\"}")] as [(String, String, String?)] {
            #expect(try call("xavier", method, path, body: body).0 == 401, "xavier \(method) \(path)")
        }
        #expect(try call("bob", "GET", "/v1/domains/XB/status").0 == 401)
        let utAfter = try cli.ok(["audit", "show", "--domain", "UT"]).split(separator: "\n").filter { $0.contains("governance.refused") }.count
        #expect(utAfter == utRefusals + 5, "\(utRefusals) → \(utAfter)")
        #expect(try cli.ok(["audit", "show", "--domain", "XB"]).contains("governance.refused api GET /v1/domains/XB/status"))
        let openAPI = try TestSupport.run("curl", ["-s", "--cacert", "server.crt", "--cert", "bob.crt", "--key", "bob.key", "https://127.0.0.1:\(port)/openapi.json"],
                                          currentDirectory: home)
        #expect(openAPI.stdout.contains("\"openapi\":\"3.0.3\""), "\(openAPI.output)")
    }

    /// A CLI proposal (a CSCA rollover) may not take its last approval through the API (the CLI runs it, with its
    /// secrets). Then revoking the link certificate it made, through the API: asked without a signature it answers
    /// the statement to sign; proposed with bob's signature it waits (202); bob, an RA officer, a borrowed signature
    /// and a stale one cannot approve it; carol's approval runs it, once.
    @Test func dualControlThroughTheAPIWithSignedStatements() throws {
        let world = try World()
        let base = "/v1/domains/UT"
        for name in ["bob", "carol"] {
            try world.cli.ok(["key", "import", "--in", "\(name).key", "--out", "\(name)-officer.pem", "--passphrase-file", "opass"])
        }
        let cliProposal = try world.cli.ok(["csca", "rollover", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass",
                                            "--officer", "bob-officer.pem", "--officer-passphrase-file", "opass"])
        #expect(cliProposal.contains("proposal 1: csca.rollover by bob"), "\(cliProposal)")
        let (_, rollover) = try world.call("carol", "GET", "\(base)/proposals/1")
        let (conflict, _) = try world.call("carol", "POST", "\(base)/proposals/1/approvals",
                                           headers: try world.signed(try #require(rollover["approvalStatement"] as? String), by: "carol"))
        #expect(conflict == 409)
        try world.cli.ok(["proposal", "approve", "1", "--domain", "UT", "--passphrase-file", "pass", "--officer", "carol-officer.pem", "--officer-passphrase-file", "opass"])
        let csca = try #require(try world.certificates().first { $0["kind"] as? String == "link" }?["serial"] as? String)
        let body = "{\"serial\":\"\(csca)\"}"

        let (asked, statementAnswer) = try world.call("bob", "POST", "\(base)/revocations", body: body)
        let statement = try #require(statementAnswer["statement"] as? String, "\(statementAnswer)")
        #expect(asked == 403 && (statementAnswer["error"] as? [String: Any])?["code"] as? String == "statementRequired", "\(statementAnswer)")
        #expect(statement.contains("operation: csca.revoke-ca\n") && statement.contains("act: propose\n"), "\(statement)")
        // A signature over another body's statement does not propose this one.
        let (other, _) = try world.call("bob", "POST", "\(base)/revocations", body: "{\"serial\":\"01\"}", headers: try world.signed(statement, by: "bob"))
        #expect(other == 403 || other == 404, "\(other)")
        let (proposedStatus, proposed) = try world.call("bob", "POST", "\(base)/revocations", body: body, headers: try world.signed(statement, by: "bob"))
        #expect(proposedStatus == 202 && proposed["state"] as? String == "pending" && proposed["approvalsRequired"] as? Int == 1, "\(proposed)")
        let id = try #require(proposed["id"] as? Int)
        #expect(id == 2)
        #expect(try world.certificates().first { $0["serial"] as? String == csca }?["revokedAt"] as? String == nil, "revoked before its approval")

        let (_, shown) = try world.call("carol", "GET", "\(base)/proposals/\(id)")
        let approval = try #require(shown["approvalStatement"] as? String, "\(shown)")
        #expect(approval.contains("act: approve \(id)\n"), "\(approval)")
        let approvals = "\(base)/proposals/\(id)/approvals"
        let (unsigned, unsignedAnswer) = try world.call("carol", "POST", approvals)
        #expect(unsigned == 403 && unsignedAnswer["statement"] as? String != nil, "\(unsignedAnswer)")
        for (who, signer, text, reason) in [
            ("bob", "bob", approval, "a second, distinct officer"),
            ("dave", "dave", approval, "does not hold the role"),
            ("carol", "bob", approval, "does not verify with the enrolled key"),
            ("carol", "carol", approval.replacingOccurrences(of: "time: ", with: "time: 2020-01-01T00:00:00Z\nignored: "), "more than 300 s"),
        ] {
            var headers = try world.signed(text, by: signer)
            if text != approval { headers[0] = "Epki-Officer-Statement-Time: 2020-01-01T00:00:00Z" }
            let (status, answer) = try world.call(who, "POST", approvals, headers: headers)
            let message = (answer["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(status == 403 && message.contains(reason), "\(who) signed by \(signer): \(status) \(answer)")
        }
        #expect(try world.certificates().first { $0["serial"] as? String == csca }?["revokedAt"] as? String == nil, "revoked by a refused approval")
        let (ran, result) = try world.call("carol", "POST", approvals, headers: try world.signed(approval, by: "carol"))
        #expect(ran == 200 && result["revoked"] as? String == csca.uppercased(), "\(ran) \(result)")
        #expect(try world.certificates().first { $0["serial"] as? String == csca }?["revokedAt"] as? String != nil)
        let (again, _) = try world.call("carol", "POST", approvals, headers: try world.signed(approval, by: "carol"))
        #expect(again == 403, "it runs once: \(again)")
        let (_, after) = try world.call("bob", "GET", "\(base)/proposals/\(id)")
        #expect(after["state"] as? String == "executed" && (after["approvals"] as? [[String: Any]])?.first?["officer"] as? String == "carol", "\(after)")

        try world.cli.ok(["audit", "verify", "--domain", "UT"])
    }
}
