import Foundation
import Testing
import TestSupport

/// The shared store over TLS: a private PostgreSQL that accepts TCP connections over TLS only, with a server
/// certificate from a CA made here by openssl. `sslmode=verify-full` with that CA connects; with another CA it is
/// refused naming the certificate; `sslmode=disable` is refused by the server.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["EPKI_TEST_POSTGRES"] == nil, "it starts a PostgreSQL server of its own"))
struct PostgresTLSTests {
    @Test func verifyFullConnectsOnlyToTheServerItsCAVouchesFor() throws {
        let home = try TestSupport.temporaryDirectory("epki-postgres-tls")
        defer { try? FileManager.default.removeItem(at: home) }
        func openssl(_ arguments: [String]) throws {
            let result = try TestSupport.run("openssl", arguments, currentDirectory: home)
            guard result.status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")): \(result.output)") }
        }
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem",
                         "-days", "30", "-subj", "/CN=epki test \(ca)"])
        }
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                     "-subj", "/CN=localhost"])
        try TestSupport.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n", home.appendingPathComponent("san.ext"))
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                     "-days", "30", "-extfile", "san.ext"])
        let postgres = try PrivatePostgres.start(name: "tls")
        defer { postgres.stop() }
        try postgres.enableTLS(certificate: home.appendingPathComponent("server.pem"), key: home.appendingPathComponent("server.key"))

        var environment = ProcessInfo.processInfo.environment
        environment["EPKI_HOME"] = home.appendingPathComponent("data").path
        func epki(_ store: String, _ arguments: [String]) throws -> TestSupport.ProcessResult {
            var environment = environment
            environment["EPKI_STORE"] = store
            return try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: environment, currentDirectory: home)
        }
        let base = "postgres://epki@localhost:\(postgres.port)/postgres"
        try TestSupport.write("tls test passphrase\n", home.appendingPathComponent("pass"))
        let initialised = try epki("\(base)?sslmode=verify-full&sslrootcert=\(home.appendingPathComponent("ca.pem").path)",
                                   ["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA TLS", "--organization", "Test",
                                    "--algorithm", "ec:P-256", "--crl-url", "https://pkd.example/UT.crl", "--passphrase-file", "pass", "--out", "csca.pem"])
        #expect(initialised.status == 0, "\(initialised.output)")
        #expect(try postgres.psql("SELECT COUNT(*) FROM csca_certificate WHERE domain = 'UT'") == "1")
        let status = try epki("\(base)?sslmode=require", ["store", "status"])
        #expect(status.status == 0 && status.stdout.contains("engine:   postgres"), "\(status.output)")

        let stranger = try epki("\(base)?sslmode=verify-full&sslrootcert=\(home.appendingPathComponent("other-ca.pem").path)", ["store", "status"])
        #expect(stranger.status != 0 && stranger.stderr.lowercased().contains("certificate"), "\(stranger.output)")
        let plain = try epki("\(base)?sslmode=disable", ["store", "status"])
        #expect(plain.status != 0 && plain.stderr.contains("pg_hba.conf"), "\(plain.output)")
    }
}
