import Foundation
import Store
import Testing
import TestSupport

/// Bad input through the CLI: each failure is one line naming the file and what is wrong with it, a non-zero
/// exit, and nothing else disturbed — the next file of an import goes on, a read-only command writes nothing.
@Suite struct BadInputTests {
    static func epki(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> TestSupport.ProcessResult {
        try CommandLineTests.epki(arguments, in: directory, environment: environment)
    }

    /// A DS certificate and the CSCA's CRL from `epki csca`, in a data directory of their own.
    static func countryFiles(in directory: URL) throws {
        try TestSupport.write("bad input test passphrase\n", directory.appendingPathComponent("pass"))
        for arguments in [
            ["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA Utopia", "--algorithm", "ec:P-256",
             "--crl-url", "http://pkd.example/UT.crl", "--passphrase-file", "pass", "--out", "csca.pem"],
            ["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--out", "ds.pem"],
            ["csca", "crl", "--domain", "UT", "--passphrase-file", "pass", "--out", "ut.crl"],
        ] {
            let result = try epki(arguments + ["--data-dir", "ca"], in: directory)
            guard result.status == 0 else { throw TestFailure("\(arguments.joined(separator: " ")): \(result.output)") }
        }
    }

    /// A text file and a truncated certificate: the file named, what it is not, and where the bytes run out.
    @Test func unreadableFilesAreNamedWithWhatIsWrong() throws {
        let directory = try TestSupport.temporaryDirectory("epki-bad-input")
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write("hello, this is a note\nsecond line\n", directory.appendingPathComponent("notes.txt"))
        let text = try Self.epki(["cert", "show", "notes.txt"], in: directory)
        #expect(text.status == 1)
        #expect(text.stderr.contains("'notes.txt' is not a readable certificate"), "\(text.output)")
        #expect(text.stderr.contains("not DER or PEM: the input is text (\"hello, this is a note…\")"), "\(text.output)")
        #expect(!text.stderr.contains("truncatedASN1Field"), "\(text.output)")

        let certificate = try TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer")
        try TestSupport.write(Array(certificate.prefix(300)), directory.appendingPathComponent("cut.cer"))
        let cut = try Self.epki(["cert", "show", "cut.cer"], in: directory)
        #expect(cut.status == 1)
        // The certificate's outer SEQUENCE has a 3-byte length header after its tag: 30 82 LL LL.
        let declared = Int(certificate[2]) << 8 | Int(certificate[3])
        #expect(cut.stderr.contains("'cut.cer' is not a readable certificate"), "\(cut.output)")
        #expect(cut.stderr.contains("truncated: the SEQUENCE at offset 0 claims \(declared) content bytes but only 296 follow its 4-byte header"),
                "\(cut.output)")

        // The NPKD import says the same of a truncated DER file, instead of "neither a certificate, a CRL nor a CMS".
        let imported = try Self.epki(["npkd", "import", "cut.cer", "--data-dir", "data"], in: directory)
        #expect(imported.status == 1)
        #expect(imported.stderr.contains("cut.cer"), "\(imported.output)")
        #expect(imported.stderr.contains("truncated: the SEQUENCE at offset 0 claims \(declared) content bytes"), "\(imported.output)")
        #expect(!imported.stderr.contains("neither a certificate"), "\(imported.output)")
    }

    /// The store failing under one file of an import (here a trigger that refuses CRLs, as a full disk would)
    /// refuses that file only, named, and the files after it are still imported.
    @Test func aStoreFailureRefusesOneFileOfAnImport() throws {
        let directory = try TestSupport.temporaryDirectory("epki-bad-input")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.countryFiles(in: directory)
        let data = directory.appendingPathComponent("npkd")
        let created = try Self.epki(["npkd", "import", "csca.pem", "--data-dir", data.path], in: directory)
        #expect(created.status == 0, "\(created.output)")
        let database = try EPKIStore(directory: data, create: false)
        try database.write { db in
            switch db.engine {
            case .sqlite:
                try db.execute(sql: "CREATE TRIGGER refuse_crls BEFORE INSERT ON npkd_crl BEGIN SELECT RAISE(ABORT, 'injected store fault'); END")
            case .postgres:
                try db.execute(sql: """
                    CREATE FUNCTION refuse_crls() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected store fault'; END $$;
                    CREATE TRIGGER refuse_crls BEFORE INSERT ON npkd_crl FOR EACH ROW EXECUTE FUNCTION refuse_crls();
                    """)
            }
        }
        database.close()

        let result = try Self.epki(["npkd", "import", "ut.crl", "ds.pem", "--data-dir", data.path, "--json"], in: directory)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("ut.crl: the store failed: injected store fault"), "\(result.output)")
        #expect(result.stderr.contains("1 of 2 file(s) refused"), "\(result.output)")
        let summaries = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.output)")
        #expect(summaries.count == 1)
        #expect(summaries.first?["source"] as? String == "ds.pem", "\(summaries)")
        let listed = try Self.epki(["npkd", "list", "--json", "--data-dir", data.path], in: directory)
        let certificates = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(Set(certificates.compactMap { $0["kind"] as? String }) == ["csca", "ds"])
        let crls = try Self.epki(["npkd", "list", "--crls", "--json", "--data-dir", data.path], in: directory)
        #expect((try JSONSerialization.jsonObject(with: Data(crls.stdout.utf8)) as? [Any])?.isEmpty == true, "\(crls.output)")
    }

    /// A digest OpenSSL cannot compute (here: a configuration that loads no provider with SHA-256) is a typed
    /// error that refuses the file, not a crash of the process.
    @Test func aFailedDigestIsATypedError() throws {
        let directory = try TestSupport.temporaryDirectory("epki-bad-input")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.countryFiles(in: directory)
        try TestSupport.write("""
            openssl_conf = openssl_init
            [openssl_init]
            providers = provider_sect
            [provider_sect]
            null = null_sect
            [null_sect]
            activate = 1

            """, directory.appendingPathComponent("no-digests.cnf"))
        let result = try Self.epki(["npkd", "import", "ds.pem", "--data-dir", "npkd"], in: directory,
                                   environment: ["OPENSSL_CONF": directory.appendingPathComponent("no-digests.cnf").path])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("ds.pem"), "\(result.output)")
        #expect(result.stderr.contains("OpenSSL could not compute SHA-256"), "\(result.output)")
    }

    /// Commands that only read refuse a data directory that does not exist, and do not create it.
    @Test func readOnlyCommandsCreateNoDataDirectory() throws {
        let directory = try TestSupport.temporaryDirectory("epki-bad-input")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nothing-here")
        for arguments in [["csca", "status", "--domain", "UT"], ["csca", "list", "--domain", "UT"], ["audit", "show"], ["audit", "verify"],
                          ["npkd", "list"], ["npkd", "show"], ["cvca", "list", "--domain", "UT"], ["dvca", "list", "--domain", "UT"]] {
            let result = try Self.epki(arguments + ["--data-dir", missing.path], in: directory)
            #expect(result.status == 1, "\(arguments.joined(separator: " ")): \(result.output)")
            #expect(result.stderr.contains("no epki data directory at \(missing.path)"), "\(arguments.joined(separator: " ")): \(result.output)")
            #expect(!FileManager.default.fileExists(atPath: missing.path), "\(arguments.joined(separator: " ")) created \(missing.path)")
        }
    }
}
