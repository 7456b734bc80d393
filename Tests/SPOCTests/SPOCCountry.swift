import Foundation
import PKICore
import Testing
import TestSupport

/// One country on this machine, driven through `epki` as its operators would: a data directory with a CVCA and a
/// DVCA, SPOC TLS certificates from its own SPOC CA (keys encrypted in the data directory, as the key provider keeps
/// them), and `epki spoc serve` on a port of its own.
final class SPOCCountry: @unchecked Sendable {
    let code: String
    let directory: URL
    let port: Int
    let pki: SPOCTestPKI
    let crlDirectory: URL
    var server: Subprocess?
    var serverOutput: URL { directory.appendingPathComponent("serve.out") }

    var url: String { "https://127.0.0.1:\(port)/spoc" }

    init(_ code: String, in base: URL, crlDirectory: URL, crlPort: Int) throws {
        self.code = code
        directory = base.appendingPathComponent(code)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try freePort()
        self.crlDirectory = crlDirectory
        pki = try SPOCTestPKI(country: code, crlURL: "http://127.0.0.1:\(crlPort)/\(code).crl")
        try TestSupport.write("spoc passphrase \(code)\n", directory.appendingPathComponent("pass"))
        try ok(["cvca", "init", "--country", code, "--out", "cvca.cvcert"])
        try ok(["dvca", "init", "--country", code, "--mnemonic", "DV"])

        // The SPOC TLS keys, encrypted with the domain's passphrase where the key provider keeps keys.
        let keys = directory.appendingPathComponent("data/keys/default")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let passphrase = Passphrase("spoc passphrase \(code)")
        let server = try pki.issue(server: true)
        let client = try pki.issue(server: false)
        try TestSupport.write(try server.key.encryptedPKCS8(passphrase: passphrase), keys.appendingPathComponent("spoc-server.pem"))
        try TestSupport.write(try client.key.encryptedPKCS8(passphrase: passphrase), keys.appendingPathComponent("spoc-client.pem"))
        try TestSupport.write(server.certificate.pemEncoded, directory.appendingPathComponent("server.pem"))
        try TestSupport.write(client.certificate.pemEncoded, directory.appendingPathComponent("client.pem"))
        try TestSupport.write(pki.root.pemEncoded, directory.appendingPathComponent("root.pem"))
        try publishCRL()
        try ok(["spoc", "setup", "--country", code, "--url", url, "--server-cert", "server.pem", "--server-key", "file:keys/default/spoc-server.pem",
                "--client-cert", "client.pem", "--client-key", "file:keys/default/spoc-client.pem"])
    }

    func publishCRL(revoking revoked: [Certificate] = []) throws {
        try TestSupport.write(try pki.crl(revoking: revoked).derEncoded, crlDirectory.appendingPathComponent("\(code).crl"))
    }

    /// Runs epki in this country's directory with its data directory and passphrase.
    func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
        let extra = ["cvca", "dvca", "spoc", "audit"].contains(arguments.first ?? "") ? ["--data-dir", "data", "--passphrase-file", "pass"] : []
        let adjusted = arguments.first == "audit" ? arguments + ["--data-dir", "data"] : arguments + extra
        return try TestSupport.run(TestSupport.epkiExecutable(), adjusted, currentDirectory: directory)
    }

    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments)
        #expect(result.status == 0, "\(code): epki \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        if result.status != 0 { throw TestFailure("\(code): epki \(arguments.joined(separator: " ")) failed: \(result.output)") }
        return result.stdout
    }

    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try ok(arguments + ["--json"], sourceLocation: sourceLocation).utf8))
    }

    /// Registers `other`'s SPOC and its CVCA certificate here (the out-of-band exchange between the two States).
    func register(_ other: SPOCCountry, mode: String, namespace: String = "icao") throws {
        try ok(["spoc", "register", "--country", other.code, "--url", other.url, "--root", other.directory.appendingPathComponent("root.pem").path,
                "--mode", mode, "--namespace", namespace])
        try ok(["cvca", "register-foreign-cvca", other.directory.appendingPathComponent("cvca.cvcert").path])
    }

    func start(outboxInterval: Double = 1) throws {
        let child = try Subprocess(TestSupport.epkiExecutable(),
                                   ["spoc", "serve", "--listen", "127.0.0.1:\(port)", "--outbox-interval", "\(outboxInterval)", "--data-dir", "data",
                                    "--passphrase-file", "pass"],
                                   environment: ProcessInfo.processInfo.environment, currentDirectory: directory.path,
                                   standardOutput: serverOutput.path, standardError: directory.appendingPathComponent("serve.err").path)
        server = child
        for _ in 0..<300 {
            if let text = try? String(contentsOf: serverOutput, encoding: .utf8), text.contains("serving on") { return }
            if !child.isRunning { break }
            usleep(20_000)
        }
        let errors = (try? String(contentsOf: directory.appendingPathComponent("serve.err"), encoding: .utf8)) ?? ""
        throw TestFailure("\(code): epki spoc serve did not start: \(errors)")
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let server else { return }
        server.signal(signal)
        _ = server.wait()
        self.server = nil
    }

    /// Polls until `condition` holds (at most `seconds`).
    func waitFor(_ what: String, seconds: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(100_000)
        }
        throw TestFailure("\(code): \(what) did not happen within \(seconds) s")
    }

    /// The SPOC transaction log.
    func log() throws -> [[String: Any]] {
        try json(["spoc", "log"]) as? [[String: Any]] ?? []
    }

    /// The DVCA's chains (CHRs, anchor first).
    func dvChains() throws -> [[String]] {
        (try json(["dvca", "list"]) as? [String: Any])?["chains"] as? [[String]] ?? []
    }
}

/// A plain HTTP server for the SPOC CAs' CRLs: Python's http.server, a peer nobody here wrote.
final class CRLServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    let process: Subprocess

    init(directory: URL) throws {
        self.directory = directory
        port = try freePort()
        process = try Subprocess("/usr/bin/python3", ["-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", directory.path],
                                 environment: ProcessInfo.processInfo.environment)
        for _ in 0..<200 {
            let probe = try TestSupport.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/"])
            if probe.stdout == "200" { return }
            usleep(25_000)
        }
        throw TestFailure("the CRL server did not start")
    }

    func stop() {
        process.signal(SIGTERM)
        _ = process.wait()
    }
}

/// CZ and SK with their SPOC CAs' CRL server, in a temporary directory: the start of every two-country test.
final class SPOCWorld: @unchecked Sendable {
    let base: URL
    let crls: URL
    let crlServer: CRLServer
    let cz: SPOCCountry
    let sk: SPOCCountry

    init(_ label: String) throws {
        base = try TestSupport.temporaryDirectory(label)
        crls = base.appendingPathComponent("crl")
        try FileManager.default.createDirectory(at: crls, withIntermediateDirectories: true)
        crlServer = try CRLServer(directory: crls)
        cz = try SPOCCountry("CZ", in: base, crlDirectory: crls, crlPort: crlServer.port)
        sk = try SPOCCountry("SK", in: base, crlDirectory: crls, crlPort: crlServer.port)
    }

    /// Stops both SPOCs and the CRL server and removes the directory (kept when EPKI_KEEP_TEST_FILES is set).
    func close() {
        cz.stop()
        sk.stop()
        crlServer.stop()
        if ProcessInfo.processInfo.environment["EPKI_KEEP_TEST_FILES"] == nil { try? FileManager.default.removeItem(at: base) }
    }
}
