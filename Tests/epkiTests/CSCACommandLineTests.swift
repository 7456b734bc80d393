import Foundation
import Testing
import TestSupport

/// The CSCA through the CLI, on a data directory of its own; including a process killed mid-batch.
@Suite struct CSCACommandLineTests {
    static func epki(_ arguments: [String], home: URL) throws -> TestSupport.ProcessResult {
        try CommandLineTests.epki(arguments, in: home, environment: ["EPKI_HOME": home.appendingPathComponent("data").path])
    }

    static func setUp(algorithm: String = "ec:P-256") throws -> URL {
        let home = try TestSupport.temporaryDirectory("epki-csca-cli")
        try TestSupport.write("csca test passphrase\n", home.appendingPathComponent("pass"))
        let initialised = try epki(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA Utopia", "--algorithm", algorithm,
                                    "--crl-url", "http://pkd.example/UT.crl", "--passphrase-file", "pass", "--out", "csca.pem"], home: home)
        guard initialised.status == 0 else { throw TestFailure("csca init: \(initialised.output)") }
        return home
    }

    @Test func operatorWorkflowProducesWhatOpenSSLAccepts() throws {
        let home = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home) }
        @discardableResult
        func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            let result = try Self.epki(arguments, home: home)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        try run(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:brainpoolP256r1", "--document-types", "P,ID", "--passphrase-file", "pass", "--out", "ds.pem"])
        try run(["csca", "issue-signer", "--domain", "UT", "--type", "mls", "--passphrase-file", "pass", "--out", "mls.pem"])
        try TestSupport.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-nodes", "-keyout", "site.key",
                                 "-subj", "/C=UT/O=Line 7/CN=DS line 7", "-out", "site.csr"], in: home)
        let fromCSR = try run(["csca", "issue-ds", "--domain", "UT", "--csr", "site.csr", "--passphrase-file", "pass", "--out", "ds7.pem", "--json"])
        let serial = try #require((try JSONSerialization.jsonObject(with: Data(fromCSR.stdout.utf8)) as? [[String: Any]])?.first?["serial"] as? String)
        let initialCRL = try run(["csca", "crl", "--domain", "UT", "--passphrase-file", "pass"])
        #expect(initialCRL.stdout.contains("CRL 1"))
        try run(["csca", "revoke", "--domain", "UT", "--serial", serial, "--passphrase-file", "pass"])
        let status = try run(["csca", "status", "--domain", "UT", "--json"])
        #expect(status.stdout.contains("not yet published"))
        try run(["csca", "crl", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut.crl"])
        try run(["csca", "masterlist", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut.ml"])
        for file in ["csca.pem", "ds.pem", "mls.pem", "ds7.pem", "ut.crl", "ut.ml"] {
            let lint = try Self.epki(["lint", file] + (file == "ut.ml" || file == "csca.pem" ? [] : ["--issuer", "csca.pem"]), home: home)
            #expect(lint.status == 0 && lint.stdout.contains("conforms"), "\(file): \(lint.output)")
        }
        // P-256 with explicit parameters: OpenSSL's chain check refuses those, so check the CRL and CMS signatures.
        let crl = try TestSupport.run("openssl", ["crl", "-inform", "DER", "-in", "ut.crl", "-CAfile", "csca.pem", "-noout", "-text"], currentDirectory: home)
        #expect(crl.output.contains("verify OK") && crl.stdout.contains(serial), "\(crl.output)")
        let cms = try TestSupport.run("openssl", ["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", "ut.ml", "-out", "/dev/null"], currentDirectory: home)
        #expect(cms.stderr.contains("Verification successful"))
        #expect(try Self.epki(["cert", "verify", "ds7.pem", "--issuer", "csca.pem"], home: home).status == 0)
        #expect(try Self.epki(["audit", "verify", "--domain", "UT"], home: home).stdout.contains("chain intact"))

        // Refusals: another country's request, an unknown domain; a non-conforming certificate fails lint.
        try TestSupport.openssl(["req", "-new", "-key", "site.key", "-subj", "/C=DE/CN=foreign", "-out", "de.csr"], in: home)
        let foreign = try Self.epki(["csca", "issue-ds", "--domain", "UT", "--csr", "de.csr", "--passphrase-file", "pass"], home: home)
        #expect(foreign.status == 1 && foreign.stderr.contains("differs from the CSCA's UT"))
        let unknown = try Self.epki(["csca", "status", "--domain", "ZZ"], home: home)
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown domain 'ZZ'"))
        try TestSupport.openssl(["req", "-x509", "-key", "site.key", "-subj", "/C=ut/CN=x", "-days", "3", "-out", "bad.pem"], in: home)
        let badLint = try Self.epki(["lint", "bad.pem", "--json"], home: home)
        #expect(badLint.status == 1 && badLint.stdout.contains("countryName"))
    }

    /// `epki csca issue-spoc-tls`: both roles, a generated key kept encrypted and a key of the requester's (PKCS#10),
    /// what openssl verifies for TLS, the lint, the list, and refusals with their reasons.
    @Test func spocTLSCertificatesFromTheCommandLine() throws {
        // An RSA CSCA: OpenSSL refuses explicit EC parameters in a chain, which a Doc 9303 EC CSCA has.
        let home = try Self.setUp(algorithm: "rsa:2048")
        defer { try? FileManager.default.removeItem(at: home) }
        @discardableResult
        func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            let result = try Self.epki(["csca", "issue-spoc-tls", "--domain", "UT", "--passphrase-file", "pass"] + arguments, home: home)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        let server = try run(["--role", "server", "--family", "csn", "--dns", "spoc.ut.example", "--key-type", "p384", "--months", "18",
                              "--out", "server.pem", "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(server.stdout.utf8)) as? [String: Any])
        let reference = try #require(summary["key"] as? String)
        #expect(reference.hasPrefix("file:keys/UT/spoc-server-ut") && summary["kind"] as? String == "spoc-server")
        let keyFile = try String(contentsOf: home.appendingPathComponent("data").appendingPathComponent(String(reference.dropFirst(5))), encoding: .utf8)
        #expect(keyFile.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let client = try run(["--role", "client", "--family", "icao", "--cn", "SPOC UT client 1", "--key-type", "rsa2048", "--out", "client.pem"])
        #expect(client.stdout.contains("issued SPOC TLS client certificate (icao EKU) C=UT, CN=SPOC UT client 1") && client.stdout.contains("key file:keys/UT/"),
                "\(client.stdout)")
        #expect(client.stderr.isEmpty, "an RSA CSCA gives TLS peers nothing to object to: \(client.stderr)")
        // A key held elsewhere: the request's subject, no key file of ours.
        try TestSupport.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "spoc2.key",
                                 "-subj", "/C=UT/CN=SPOC TLS client", "-out", "spoc2.csr"], in: home)
        let requested = try run(["--role", "client", "--family", "csn", "--request", "spoc2.csr", "--out", "client2.pem"])
        #expect(!requested.stdout.contains("key file:"))

        let text = try TestSupport.openssl(["x509", "-in", "server.pem", "-noout", "-text"], in: home).stdout
        #expect(text.contains("1.2.203.7064.1.1.369791.2, TLS Web Server Authentication") && text.contains("DNS:spoc.ut.example"), "\(text)")
        #expect(text.contains("URI:http://pkd.example/UT.crl"))
        for (file, purpose) in [("server.pem", "sslserver"), ("client.pem", "sslclient"), ("client2.pem", "sslclient")] {
            let verified = try TestSupport.run("openssl", ["verify", "-CAfile", "csca.pem", "-purpose", purpose, file], currentDirectory: home)
            #expect(verified.status == 0 && verified.stdout.contains("\(file): OK"), "\(file): \(verified.output)")
            let lint = try Self.epki(["lint", file, "--issuer", "csca.pem"], home: home)
            #expect(lint.status == 0 && lint.stdout.contains("SPOC-"), "\(file): \(lint.output)")
        }
        let listed = try Self.epki(["csca", "list", "--domain", "UT", "--kind", "spoc-client"], home: home)
        #expect(listed.stdout.split(separator: "\n").count == 2 && listed.stdout.hasPrefix("spoc-client "), "\(listed.output)")

        // Refusals name what is wrong; nothing is issued.
        let refusals: [([String], String)] = [
            (["--role", "server", "--family", "icao"], "dNSName"),
            (["--role", "client", "--family", "icao", "--months", "19"], "6 to 18 months"),
            (["--role", "client", "--family", "icao", "--key-type", "ec:brainpoolP256r1"], "BoringSSL"),
            (["--role", "client", "--family", "x509"], "--family must be icao or csn"),
        ]
        for (arguments, reason) in refusals {
            let refused = try Self.epki(["csca", "issue-spoc-tls", "--domain", "UT", "--passphrase-file", "pass"] + arguments, home: home)
            #expect(refused.status != 0 && refused.stderr.contains(reason), "\(arguments): \(refused.output)")
        }
        let status = try Self.epki(["csca", "status", "--domain", "UT", "--json"], home: home)
        let counts = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["certificates"] as? [String: Int]
        #expect(counts == ["csca": 1, "spoc-server": 1, "spoc-client": 2], "\(status.output)")
    }

    /// On the Doc 9303 CSCA (EC, explicit parameters) the certificate is issued, with a note that TLS peers may
    /// refuse its chain.
    @Test func spocTLSOnAnExplicitParameterCSCAIsIssuedWithANote() throws {
        let home = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home) }
        let issued = try Self.epki(["csca", "issue-spoc-tls", "--domain", "UT", "--role", "client", "--family", "icao", "--passphrase-file", "pass",
                                    "--out", "client.pem"], home: home)
        #expect(issued.status == 0, "\(issued.output)")
        #expect(issued.stderr.contains("explicit parameters"), "\(issued.stderr)")
    }

    /// Kills `epki csca issue-ds --count` mid-batch: afterwards no serial repeats, every recorded certificate is
    /// whole and verifies, each has its audit entry, and the audit chain is intact.
    @Test func killedMidBatchLeavesAConsistentStore() throws {
        let home = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: home) }
        let process = try Subprocess(
            try TestSupport.epkiExecutable(), ["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--count", "5000", "--passphrase-file", "pass"],
            environment: ProcessInfo.processInfo.environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 },
            currentDirectory: home.path)
        // Let it issue for a while, then kill it without warning.
        var issuedBeforeKill = 0
        for _ in 0..<100 {
            Thread.sleep(forTimeInterval: 0.1)
            issuedBeforeKill = (try? FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("data/keys/UT").path).count) ?? 0
            if issuedBeforeKill >= 25 { break }
        }
        process.signal(SIGKILL)
        #expect(process.wait() == 128 + SIGKILL)
        #expect(process.wasSignalled)

        let listed = try Self.epki(["csca", "list", "--domain", "UT", "--kind", "ds", "--json"], home: home)
        #expect(listed.status == 0, "\(listed.output)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(records.count >= 20 && records.count < 5000, "killed mid-batch after \(records.count) issuances")
        let serials = records.compactMap { $0["serial"] as? String }
        #expect(Set(serials).count == serials.count, "no serial repeats")
        let csca = try TestSupport.read(home.appendingPathComponent("csca.pem"))
        try TestSupport.write(csca, home.appendingPathComponent("issuer.pem"))
        for (index, record) in records.enumerated() where index % 5 == 0 || index == records.count - 1 {
            let der = try #require(Data(base64Encoded: record["der"] as? String ?? ""))
            try der.write(to: home.appendingPathComponent("check.der"))
            let verified = try Self.epki(["cert", "verify", "check.der", "--issuer", "issuer.pem"], home: home)
            #expect(verified.status == 0, "record \(index) is not a whole, valid certificate: \(verified.output)")
        }
        let audit = try Self.epki(["audit", "show", "--domain", "UT", "--json"], home: home)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(entries.filter { $0["action"] as? String == "ds.issue" }.count == records.count, "one audit entry per recorded certificate")
        let verify = try Self.epki(["audit", "verify", "--domain", "UT"], home: home)
        #expect(verify.status == 0 && verify.stdout.contains("chain intact"), "\(verify.output)")
        // The store is usable afterwards: the next issuance works and its serial is new.
        let next = try Self.epki(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--json"], home: home)
        #expect(next.status == 0, "\(next.output)")
        let nextSerial = (try JSONSerialization.jsonObject(with: Data(next.stdout.utf8)) as? [[String: Any]])?.first?["serial"] as? String
        #expect(nextSerial.map { !serials.contains($0) } == true)
    }
}
