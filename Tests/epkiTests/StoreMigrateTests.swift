import Foundation
import Testing
import TestSupport

/// `epki store migrate`: an embedded installation (the demo's PKI on SQLite) moved into a private PostgreSQL, counted
/// by psql and Python's sqlite3 (neither ours), its audit chains verified, and the CA carrying on there.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["EPKI_TEST_POSTGRES"] == nil, "it starts a PostgreSQL server of its own"))
struct StoreMigrateTests {
    @Test func anEmbeddedInstallationMovesToPostgreSQLWhole() throws {
        let home = try TestSupport.temporaryDirectory("epki-store-migrate")
        defer { try? FileManager.default.removeItem(at: home) }
        let postgres = try PrivatePostgres.start(name: "store-migrate")
        defer { postgres.stop() }
        var embedded = ProcessInfo.processInfo.environment
        embedded["EPKI_STORE"] = nil
        embedded["EPKI_HOME"] = nil
        var shared = embedded
        shared["EPKI_STORE"] = postgres.url
        func epki(_ arguments: [String], _ environment: [String: String]) throws -> TestSupport.ProcessResult {
            try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: environment, currentDirectory: home)
        }
        let demo = home.appendingPathComponent("demo")
        let data = demo.appendingPathComponent("data").path
        let made = try epki(["demo", "--dir", demo.path, "--icao-master-list", ""], embedded)
        #expect(made.status == 0 && made.stdout.contains("demo complete"), "\(made.output.suffix(2000))")

        let migrated = try epki(["store", "migrate", "--data-dir", data], shared)
        #expect(migrated.status == 0, "\(migrated.output)")
        #expect(migrated.stdout.contains("counts equal, audit chains verified"), "\(migrated.output)")

        // Every table, counted on each side by a tool that is not epki.
        let tables = try postgres.psql("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name != 'epki_migration' ORDER BY 1
            """).split(separator: "\n").map(String.init)
        #expect(tables.contains("audit_entry") && tables.contains("csca_certificate") && tables.contains("npkd_certificate"), "\(tables)")
        let sqlite = try TestSupport.run("/usr/bin/python3", ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for table in sys.argv[2:]:
                print(table, db.execute('SELECT COUNT(*) FROM "%s"' % table).fetchone()[0])
            """, demo.appendingPathComponent("data/epki.sqlite").path] + tables)
        #expect(sqlite.status == 0, "\(sqlite.output)")
        let counted = try postgres.psql(tables.map { "SELECT '\($0)', COUNT(*) FROM \"\($0)\";" }.joined(separator: "\n"))
        #expect(counted.replacingOccurrences(of: "|", with: " ").split(separator: "\n") == sqlite.stdout.split(separator: "\n"),
                "psql: \(counted)\nsqlite3: \(sqlite.stdout)")

        // The CA carries on in the shared store: new serials, the next CRL number, the chains intact.
        let before = try postgres.psql("SELECT MAX(number) FROM csca_crl WHERE domain = 'UT'")
        let passphrase = demo.appendingPathComponent("passphrase.txt").path
        let issued = try epki(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--out", home.appendingPathComponent("ds-after.pem").path,
                               "--passphrase-file", passphrase, "--data-dir", data], shared)
        #expect(issued.status == 0, "\(issued.output)")
        let crl = try epki(["csca", "crl", "--domain", "UT", "--passphrase-file", passphrase, "--out", home.appendingPathComponent("after.crl").path,
                            "--data-dir", data], shared)
        #expect(crl.status == 0, "\(crl.output)")
        #expect(try postgres.psql("SELECT MAX(number) FROM csca_crl WHERE domain = 'UT'") == String((Int(before) ?? 0) + 1))
        let audit = try epki(["audit", "verify", "--all-domains", "--data-dir", data], shared)
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.output)")

        // Into a store that holds rows already: refused, nothing changed.
        let rows = try postgres.psql("SELECT COUNT(*) FROM audit_entry")
        let again = try epki(["store", "migrate", "--data-dir", data], shared)
        #expect(again.status != 0 && again.output.contains("is not empty"), "\(again.output)")
        #expect(try postgres.psql("SELECT COUNT(*) FROM audit_entry") == rows)
    }
}
