import Foundation
import LDS
import PKICore
import Testing
import TestSupport

/// `epki sod line` and `epki sod serve` as an operator runs them: the service in its own process on a free port, its
/// DS key an encrypted PKCS#8 file whose passphrase comes from a file, every certificate made now (curl and openssl
/// check them against the machine's clock, the service's own logic too in this process).
@Suite(.serialized) struct SODCommandLineTests {
    /// Synchronous: every step waits for a child process, and the service runs in a process of its own.
    @Test func operatorRegistersALineAndServesIt() throws {
        let directory = try TestSupport.temporaryDirectory("epki-sod-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["EPKI_HOME": directory.appendingPathComponent("data").path]
        @discardableResult
        func epki(_ arguments: [String], status: Int32 = 0) throws -> TestSupport.ProcessResult {
            let result = try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: environment, currentDirectory: directory)
            #expect(result.status == status, "epki \(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        let ds = try Self.operatorFiles(lines: ["line-1", "line-2"], in: directory)

        try epki(["sod", "line", "add", "--name", "line-1", "--cert", "line-1.pem", "--quota", "100/day"])
        let refused = try epki(["sod", "line", "add", "--name", "line-1", "--cert", "line-2.pem"], status: 1)
        #expect(refused.stderr.contains("a line named 'line-1' is already registered"), "\(refused.output)")
        try epki(["sod", "line", "add", "--name", "bad", "--cert", "line-2.pem", "--quota", "ten/day"], status: 1)
        let listed = try epki(["sod", "line", "list", "--json"])
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(lines.compactMap { $0["name"] as? String } == ["line-1"])
        #expect(lines.first?["quota"] as? String == "100/day")

        let (server, bound, errors) = try Self.serve(["--ds-cert", "ds.pem", "--key", "ds.key", "--passphrase-file", "pass", "--csca", "csca.pem"],
                                                     environment: environment, in: directory)
        defer { server.signal(SIGKILL); server.wait() }

        // The registered line gets an SOD that openssl verifies against the CSCA now, with the hashes it sent.
        let sent = try SODServiceFixture.hashes([1, 2, 14], seed: "cli")
        try TestSupport.write(SODServiceFixture.request(documentNumber: "UT1234567", hashes: sent), directory.appendingPathComponent("request.json"))
        func post(_ line: String) throws -> TestSupport.ProcessResult {
            try TestSupport.run("curl", ["-sS", "--max-time", "60", "--cacert", "tls-ca.pem", "--cert", "\(line).pem", "--key", "\(line).key",
                                              "-H", "Content-Type: application/json", "--data-binary", "@request.json", "-o", "\(line).sod",
                                              "-w", "%{http_code}", "https://127.0.0.1:\(bound)/v1/sod/sign"], currentDirectory: directory)
        }
        let signed = try post("line-1")
        #expect(signed.stdout == "200", "\(signed.output)")
        let sod = try TestSupport.read(directory.appendingPathComponent("line-1.sod"))
        let (verified, content) = try SODServiceFixture.opensslVerify(sod: sod, in: directory, at: nil)
        #expect(verified.stderr.contains("Verification successful"), "\(verified.output)")
        let object = try LDSSecurityObject(bytes: content)
        #expect(object.dataGroupNumbers.sorted() == [1, 2, 14])
        for (number, value) in sent { #expect(object.hashValue(for: number) == value) }

        // The unregistered line is refused at the handshake, and so is line-1 once removed; the service says so.
        let stranger = try post("line-2")
        #expect(stranger.status != 0 && stranger.stdout != "200", "\(stranger.output)")
        try epki(["sod", "line", "remove", "--name", "line-1"])
        let removed = try post("line-1")
        #expect(removed.status != 0 && removed.stdout != "200", "\(removed.output)")
        let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(log.contains("refused at the TLS handshake"), "\(log)")
        #expect(!log.contains("sod service test passphrase"))

        server.signal(SIGTERM)
        #expect(server.wait() == 0, "epki sod serve stops cleanly on SIGTERM")
        let audit = try epki(["audit", "show", "--domain", "sod", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["action"] as? String } == ["sod.line-add", "sod.sign", "sod.line-remove"], "\(audit.stdout)")
        try epki(["audit", "verify", "--domain", "sod"])
    }

    /// The Document Signer's key in a private SoftHSM2 token, generated there by `epki key generate --pkcs11` and
    /// certified by the CSCA: `epki sod serve --key pkcs11:…` signs with it through the batch signer, and the line
    /// gets an EF.SOD that `openssl cms -verify` accepts, holding the hashes it sent. brainpoolP256r1, as passports use.
    @Test func servesWithItsDocumentSignerKeyInASoftHSMToken() throws {
        let hsm = try SoftHSM.make(tokens: ["DS-UT"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let directory = hsm.directory
        let environment = hsm.environment.merging(["EPKI_HOME": directory.appendingPathComponent("data").path]) { $1 }
        @discardableResult
        func epki(_ arguments: [String], status: Int32 = 0) throws -> TestSupport.ProcessResult {
            let result = try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: environment, currentDirectory: directory)
            #expect(result.status == status, "epki \(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        let uri = "pkcs11:token=DS-UT;object=ds-1"
        try epki(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--pkcs11", uri, "--pin-file", hsm.pinFile.path, "--public-out", "ds-pub.pem"])
        let publicKey = try PublicKey(derEncoded: try PEM.decodeIfPEM(try TestSupport.read(directory.appendingPathComponent("ds-pub.pem")), label: "PUBLIC KEY"))
        let (csca, cscaSigner, _, _) = try SODServiceFixture.countryPKI(around: Date())
        let ds = try SODServiceFixture.certificate(subject: "C=UT,O=Utopia,CN=DS HSM", issuer: csca, signer: cscaSigner, publicKey: publicKey,
                                                   around: Date(), isCA: false, documentTypes: ["P"])
        try TestSupport.write(csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(ds.pemEncoded, directory.appendingPathComponent("ds.pem"))
        try SODServiceFixture.tlsServer(in: directory)
        try TestSupport.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "line-1.key",
                                 "-out", "line-1.csr", "-subj", "/CN=line-1"], in: directory)
        try TestSupport.openssl(["x509", "-req", "-in", "line-1.csr", "-CA", "tls-ca.pem", "-CAkey", "tls-ca.key", "-CAcreateserial",
                                 "-out", "line-1.pem", "-days", "2"], in: directory)
        try epki(["sod", "line", "add", "--name", "line-1", "--cert", "line-1.pem"])

        let (server, bound, errors) = try Self.serve(["--ds-cert", "ds.pem", "--key", uri, "--pin-file", hsm.pinFile.path, "--csca", "csca.pem"],
                                                     environment: environment, in: directory)
        defer { server.signal(SIGKILL); server.wait() }
        let sent = try SODServiceFixture.hashes([1, 2, 14, 15], seed: "hsm")
        try TestSupport.write(SODServiceFixture.request(documentNumber: "UTH123456", ldsVersion: "1.8", hashes: sent),
                              directory.appendingPathComponent("request.json"))
        let signed = try TestSupport.run("curl", ["-sS", "--max-time", "60", "--cacert", "tls-ca.pem", "--cert", "line-1.pem", "--key", "line-1.key",
                                                  "-H", "Content-Type: application/json", "--data-binary", "@request.json", "-o", "hsm.sod",
                                                  "-w", "%{http_code}", "https://127.0.0.1:\(bound)/v1/sod/sign"], currentDirectory: directory)
        #expect(signed.stdout == "200", "\(signed.output) \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
        let sod = try TestSupport.read(directory.appendingPathComponent("hsm.sod"))
        let (verified, content) = try SODServiceFixture.opensslVerify(sod: sod, in: directory, at: nil)
        #expect(verified.stderr.contains("Verification successful"), "\(verified.output)")
        let object = try LDSSecurityObject(bytes: content)
        #expect(object.dataGroupNumbers.sorted() == [1, 2, 14, 15])
        for (number, value) in sent { #expect(object.hashValue(for: number) == value) }
        #expect(try EFSOD(bytes: sod).documentSignerCertificate == ds)

        server.signal(SIGTERM)
        #expect(server.wait() == 0, "epki sod serve stops cleanly on SIGTERM")
        let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(!log.contains(SoftHSM.userPIN), "the PIN must not be logged")
        let audit = try epki(["audit", "show", "--domain", "sod", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["action"] as? String } == ["sod.line-add", "sod.sign"], "\(audit.stdout)")
        try epki(["audit", "verify", "--domain", "sod"])
    }

    /// What an operator holds to serve: the country's CSCA and DS valid around now (`csca.pem`, `ds.pem`), the DS key
    /// encrypted (`ds.key`) with its passphrase in `pass`, the service's TLS certificate and the lines' certificates
    /// from a test CA (`<line>.pem`, `<line>.key`), P-256, valid around now. Returns the DS certificate.
    @discardableResult
    static func operatorFiles(lines: [String], in directory: URL) throws -> Certificate {
        let (csca, _, ds, dsSigner) = try SODServiceFixture.countryPKI(around: Date())
        try TestSupport.write(csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(ds.pemEncoded, directory.appendingPathComponent("ds.pem"))
        try TestSupport.write("sod service test passphrase\n", directory.appendingPathComponent("pass"))
        try TestSupport.write(try dsSigner.key.encryptedPKCS8(passphrase: Passphrase("sod service test passphrase")), directory.appendingPathComponent("ds.key"))
        try SODServiceFixture.tlsServer(in: directory)
        for line in lines {
            try TestSupport.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(line).key",
                                     "-out", "\(line).csr", "-subj", "/CN=\(line)"], in: directory)
            try TestSupport.openssl(["x509", "-req", "-in", "\(line).csr", "-CA", "tls-ca.pem", "-CAkey", "tls-ca.key", "-CAcreateserial",
                                     "-out", "\(line).pem", "-days", "2"], in: directory)
        }
        return ds
    }

    /// `epki sod serve --listen 127.0.0.1:0 --tls-cert server.pem --tls-key server.key` plus `arguments`, in its own
    /// process; returns it once it has printed the port it serves on, with the port and its standard error file.
    static func serve(_ arguments: [String], environment: [String: String], in directory: URL) throws -> (Subprocess, Int, URL) {
        let output = directory.appendingPathComponent("serve.out")
        let errors = directory.appendingPathComponent("serve.err")
        let server = try Subprocess(try TestSupport.epkiExecutable(),
                                    ["sod", "serve", "--listen", "127.0.0.1:0", "--tls-cert", "server.pem", "--tls-key", "server.key"] + arguments,
                                    environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                    currentDirectory: directory.path, standardOutput: output.path, standardError: errors.path)
        func received() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        for _ in 0..<1200 where !received().contains("OpenAPI") && server.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let text = received()
        guard let bound = text.components(separatedBy: "https://127.0.0.1:").last.flatMap({ Int($0.prefix { $0.isNumber }) }), text.contains("OpenAPI") else {
            server.signal(SIGKILL)
            server.wait()
            throw TestFailure("epki sod serve did not start: \(text) \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
        }
        return (server, bound, errors)
    }
}
