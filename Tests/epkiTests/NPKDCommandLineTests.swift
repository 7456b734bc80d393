import Foundation
import Testing
import TestSupport

/// The NPKD through the CLI, on the same data directory as a CSCA: a country's master list, CRL and DS from
/// `epki csca`, imported, explained, revoked, exported, and served.
@Suite struct NPKDCommandLineTests {
    static func epki(_ arguments: [String], home: URL) throws -> TestSupport.ProcessResult {
        try CommandLineTests.epki(arguments, in: home, environment: ["EPKI_HOME": home.appendingPathComponent("data").path])
    }

    @Test func operatorWorkflow() throws {
        let home = try TestSupport.temporaryDirectory("epki-npkd-cli")
        defer { try? FileManager.default.removeItem(at: home) }
        try TestSupport.write("npkd test passphrase\n", home.appendingPathComponent("pass"))
        @discardableResult
        func run(_ arguments: [String], status: Int32 = 0) throws -> TestSupport.ProcessResult {
            let result = try Self.epki(arguments, home: home)
            #expect(result.status == status, "\(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        // A country PKI in domain UT of the same data directory.
        try run(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA Utopia", "--algorithm", "ec:P-256",
                 "--crl-url", "http://pkd.example/UT.crl", "--passphrase-file", "pass", "--out", "csca.pem"])
        try run(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--out", "ds.pem"])
        try run(["csca", "issue-signer", "--domain", "UT", "--type", "mls", "--passphrase-file", "pass", "--out", "mls.pem"])
        try run(["csca", "crl", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut-1.crl"])
        try run(["csca", "masterlist", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut.ml"])

        // Import: the master list with its signer trusted, the CRL, the DS; the DS is then trusted.
        let imported = try run(["npkd", "import", "ut.ml", "ut-1.crl", "ds.pem", "--trust-signer", "mls.pem", "--progress"])
        #expect(imported.stdout.contains("1 new trust anchor(s)"), "\(imported.output)")
        let explained = try run(["npkd", "explain", "ds.pem"])
        #expect(explained.stdout.contains("[passed] trust state: trusted"), "\(explained.output)")
        let listed = try run(["npkd", "list", "--country", "ut", "--json"])
        let certificates = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(Set(certificates.compactMap { $0["kind"] as? String }) == ["csca", "ds", "mls"])
        let shown = try run(["npkd", "show"])
        #expect(shown.stdout.contains("1 current"), "\(shown.output)")
        try run(["npkd", "show", "ds.pem"])

        // A DS cannot be made an anchor; an unreadable file is refused naming it; nothing else changes. Each
        // refusal rolls its transaction back, its audit entry included: certificates, CRLs, lists, their trust
        // states and the audit trail read the same before and after.
        let views = [["npkd", "list", "--json"], ["npkd", "list", "--crls", "--json"], ["npkd", "list", "--lists", "--json"],
                     ["npkd", "show", "--json"], ["audit", "show", "--domain", "npkd", "--json"]]
        func snapshot() throws -> [String] { try views.map { try run($0).stdout } }
        let before = try snapshot()
        let refused = try run(["npkd", "trust", "ds.pem"], status: 1)
        #expect(refused.stderr.contains("only CSCA and link certificates are trust anchors"))
        try TestSupport.write("dn: c=UT\nbroken line\n", home.appendingPathComponent("bad.ldif"))
        let bad = try run(["npkd", "import", "bad.ldif"], status: 1)
        #expect(bad.stderr.contains("bad.ldif: line 2"), "\(bad.output)")
        let after = try snapshot()
        for (view, (was, now)) in zip(views, zip(before, after)) {
            #expect(now == was, "epki \(view.joined(separator: " ")) changed")
        }
        // The trail: the signer trusted and the three files imported above, and no entry for either refusal.
        let trail = try #require(try JSONSerialization.jsonObject(with: Data(after[4].utf8)) as? [[String: Any]])
        #expect(trail.compactMap { $0["action"] as? String } == ["npkd.trust-signer", "npkd.import", "npkd.import", "npkd.import"], "\(after[4])")

        // Revoke the DS at the CSCA, import the new CRL: explain says revoked and exits 1.
        let serial = try #require((certificates.first { $0["kind"] as? String == "ds" })?["serial"] as? String)
        try run(["csca", "revoke", "--domain", "UT", "--serial", serial, "--passphrase-file", "pass"])
        try run(["csca", "crl", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut-2.crl"])
        try run(["npkd", "import", "ut-2.crl"])
        let revoked = try run(["npkd", "explain", "ds.pem", "--json"], status: 1)
        #expect(revoked.stdout.contains("revoked on"), "\(revoked.output)")

        // Exports: PEM, LDIF (read back into another domain) and a master list signed by the CSCA's MLS.
        try run(["npkd", "export", "--format", "pem", "--out", "trusted.pem"])
        #expect(String(decoding: try TestSupport.read(home.appendingPathComponent("trusted.pem")), as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        try run(["npkd", "export", "--format", "ldif", "--out", "trusted.ldif"])
        try run(["npkd", "import", "--domain", "copy", "trusted.ldif"])
        let exported = try run(["npkd", "export", "--format", "masterlist", "--csca-domain", "UT", "--passphrase-file", "pass", "--out", "national.ml"])
        #expect(exported.stdout.contains("master list of 1 trusted"), "\(exported.output)")
        try run(["npkd", "import", "--domain", "copy", "national.ml"])

        // The audit trail records imports and decisions, per domain, and its chain holds.
        let audit = try run(["audit", "show", "--domain", "npkd"])
        #expect(audit.stdout.contains("npkd.trust-signer") && audit.stdout.contains("npkd.import"))
        try run(["audit", "verify", "--all-domains"])
    }

    /// `epki npkd serve` on 127.0.0.1 with an ephemeral port: it prints the port, answers /health, and stops on SIGTERM.
    @Test func serveAnswersOnLoopback() throws {
        let home = try TestSupport.temporaryDirectory("epki-npkd-serve")
        defer { try? FileManager.default.removeItem(at: home) }
        let output = home.appendingPathComponent("serve.out")
        let process = try Subprocess(try TestSupport.epkiExecutable(), ["npkd", "serve", "--listen", "127.0.0.1:0"],
                                     environment: ProcessInfo.processInfo.environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 },
                                     standardOutput: output.path)
        defer { process.signal(SIGKILL); process.wait() }
        func received() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        // Bounded: wait for the "serving" line at most 30 seconds.
        let deadline = Date().addingTimeInterval(30)
        while !received().contains("OpenAPI") && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let text = received()
        let port = try #require(text.split(separator: ":").last.flatMap { $0.split(separator: ";").first }.flatMap { Int($0) }, "\(text)")
        let health = try TestSupport.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/health"])
        #expect(health.stdout.contains("\"status\":\"ok\""), "\(health.output)")
        process.signal(SIGTERM)
        #expect(process.wait() == 0, "epki npkd serve stops cleanly on SIGTERM")
    }
}
