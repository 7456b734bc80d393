import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// `epki cvca` and `epki dvca` driven as an operator would, on one data directory, with OpenPACE checking the
/// chain the CLI writes.
@Suite struct CVCACommandLineTests {
    /// Runs epki in `directory`, the store-backed commands with the data directory there; the caller checks the status.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> TestSupport.ProcessResult {
        let store = ["cvca", "dvca", "audit"].contains(arguments.first ?? "") ? ["--data-dir", "data"] : []
        return try TestSupport.run(TestSupport.epkiExecutable(), arguments + store, environment: environment, currentDirectory: directory)
    }

    /// Runs epki and expects exit 0; returns its JSON output when `--json` was given.
    @discardableResult
    static func ok(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> Any? {
        let result = try run(arguments, in: directory, environment: environment)
        #expect(result.status == 0, "epki \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        guard arguments.contains("--json") else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    @Test func wholeFlowThroughTheCLI() throws {
        let directory = try TestSupport.temporaryDirectory("epki-cvca-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write("cvca cli passphrase\n", directory.appendingPathComponent("pass"))
        let key = ["--passphrase-file", "pass"]
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            try Self.ok(arguments, in: directory, sourceLocation: sourceLocation) as? [String: Any] ?? [:]
        }

        let root = try ok(["cvca", "init", "--domain", "UT", "--country", "UT", "--out", "cvca.cvcert", "--json"] + key)
        #expect(root["chr"] as? String == "UTCVCA00001")
        #expect(root["chat"] as? String == "C3")
        let policy = try ok(["cvca", "policy", "--domain", "UT", "--terminal-validity", "14d", "--dv-rights", "DG3", "--json"])
        #expect(policy["terminalValidity"] as? String == "14d")
        #expect(policy["documentVerifierRights"] as? String == "01")
        let tooLong = try Self.run(["cvca", "policy", "--domain", "UT", "--dv-validity", "4m"], in: directory)
        #expect(tooLong.status == 1 && tooLong.stderr.hasPrefix("epki: error: DV certificates are valid at most 3 months"), "\(tooLong.output)")

        try Self.ok(["dvca", "init", "--domain", "UT", "--country", "UT", "--mnemonic", "DVIS"], in: directory)
        let dvRequest = try ok(["dvca", "request", "--domain", "UT", "--out", "dv.req", "--json"] + key)
        #expect(dvRequest["chr"] as? String == "UTDVIS00001")
        #expect(dvRequest["outerCAR"] is NSNull)
        let dv = try ok(["cvca", "sign-request", "dv.req", "--domain", "UT", "--out", "dv.cvcert", "--json"] + key)
        #expect(dv["resultCode"] as? String == "ok_cert_available")
        #expect(dv["chat"] as? String == "81")
        #expect(dv["role"] as? String == "DV (domestic)")
        try Self.ok(["dvca", "import", "dv.cvcert", "--domain", "UT"], in: directory)

        // The inspection system makes its own key and request with `epki key` and `epki cvc request`.
        try Self.ok(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", "is.pem"] + key, in: directory)
        try Self.ok(["cvc", "request", "--key", "is.pem", "--chr", "UTBCIS00001", "--car", "UTDVIS00001", "--algorithm", "ecdsa-sha256",
                     "--out", "is.req"] + key, in: directory)
        let terminal = try ok(["dvca", "issue-terminal", "is.req", "--domain", "UT", "--rights", "DG3,DG4", "--out", "is.cvcert",
                               "--chain-dir", "trust", "--json"] + key)
        #expect(terminal["chat"] as? String == "01")
        #expect(terminal["chain"] as? [String] == ["UTCVCA00001", "UTDVIS00001", "UTBCIS00001"])
        let verified = try TestSupport.run(TestSupport.epkiExecutable(), ["cvc", "verify", "is.cvcert", "--chain", "trust/UTCVCA00001", "trust/UTDVIS00001"],
                                           currentDirectory: directory)
        #expect(verified.status == 0, "\(verified.output)")
        let printed = try OpenPACEInteropTests.tool("cvc-print", ["--cvc=is.cvcert", "--cvc-dir=trust"], in: directory)
        #expect(printed.stdout.split(separator: "\n").contains("certificate verified"), "\(printed.output)")

        // The same request again: refused with its TR-03129 code, on stderr and (with --json) on stdout.
        let again = try Self.run(["cvca", "sign-request", "dv.req", "--domain", "UT", "--json"] + key, in: directory)
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("epki: error: failure_outer_signature: request UTDVIS00001"), "\(again.output)")
        let refusal = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(refusal?["resultCode"] as? String == "failure_outer_signature")

        // Key rollover and EF.CVCA.
        let linked = try ok(["cvca", "link", "--domain", "UT", "--algorithm", "ec:brainpoolP384r1", "--out", "cvca2.cvcert",
                             "--link-out", "link.cvcert", "--json"] + key)
        #expect((linked["link"] as? [String: Any])?["car"] as? String == "UTCVCA00001")
        let ef = try ok(["cvca", "ef-cvca", "--domain", "UT", "--out", "ef.cvca", "--json"])
        #expect(ef["references"] as? [String] == ["UTCVCA00002", "UTCVCA00001"])
        let file = try TestSupport.read(directory.appendingPathComponent("ef.cvca"))
        #expect(file.count == 36 && Array(file.prefix(2)) == [0x42, 0x0B] && String(decoding: file[2..<13], as: UTF8.self) == "UTCVCA00002")

        // A foreign CVCA registered, then listed with everything else.
        try Self.ok(["cvca", "init", "--domain", "XX", "--country", "XX", "--out", "xx.cvcert"] + key, in: directory)
        let registered = try Self.ok(["cvca", "register-foreign-cvca", "xx.cvcert", "--domain", "UT", "--json"], in: directory) as? [[String: Any]]
        #expect(registered?.first?["registered"] as? Bool == true)
        let notCVCA = try Self.run(["cvca", "register-foreign-cvca", "dv.cvcert", "--domain", "UT"], in: directory)
        #expect(notCVCA.status == 1 && notCVCA.stderr.contains("not a CVCA certificate"))
        let list = try ok(["cvca", "list", "--domain", "UT", "--json"])
        let kinds = (list["certificates"] as? [[String: Any]])?.map { "\($0["source"] ?? "")/\($0["kind"] ?? "")" }
        #expect(kinds == ["issued/cvca", "issued/dv", "own/dv", "issued/terminal", "issued/cvca", "issued/link", "foreign/cvca"])
        #expect((list["requests"] as? [[String: Any]])?.map { $0["resultCode"] as? String } == ["ok_cert_available", "failure_outer_signature"])
        let dvList = try ok(["dvca", "list", "--domain", "UT", "--json"])
        #expect(dvList["chains"] as? [[String]] == [["UTCVCA00001", "UTDVIS00001"]])
        let text = try Self.run(["cvca", "list", "--domain", "UT"], in: directory)
        #expect(text.stdout.contains("request  UTDVIS00001      failure_outer_signature"), "\(text.stdout)")

        let audit = try Self.run(["audit", "verify", "--domain", "UT"], in: directory)
        #expect(audit.status == 0 && audit.stdout.contains("chain intact"), "\(audit.output)")
        let unknown = try Self.run(["cvca", "list", "--domain", "NOPE"], in: directory)
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown domain 'NOPE'"))
        let noCVCA = try Self.run(["cvca", "ef-cvca", "--domain", "NONE"], in: directory)
        #expect(noCVCA.status == 1)
    }

    /// The main job's EAC step: a CVCA, a domestic DV and an inspection system, the chain checked by cvc-print.
    @Test func demoSetsUpExtendedAccessControl() throws {
        let directory = try TestSupport.temporaryDirectory("epki-cvca-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try TestSupport.run(TestSupport.epkiExecutable(), ["demo", "--dir", "pki", "--icao-master-list", ""], currentDirectory: directory)
        #expect(demo.status == 0, "\(demo.output)")
        #expect(demo.stdout.contains("6. EAC: the CVCA (brainpoolP256r1), a domestic Document Verifier and an inspection system"))
        #expect(demo.stdout.contains("ok   CV chain UTCVCA00001 → UTDVIS00001 → UTBCIS00001 verifies (effective rights: id-IS 03 (terminal; read DG3, read DG4))"))
        #expect(demo.stdout.contains("ok   EF.CVCA names the trust point UTCVCA00001"))
        #expect(demo.stdout.contains("demo complete: all checks passed"))
        let pki = directory.appendingPathComponent("pki")
        let printed = try OpenPACEInteropTests.tool("cvc-print", ["--cvc=is.cvcert", "--cvc-dir=cvc"], in: pki)
        #expect(printed.stdout.split(separator: "\n").contains("certificate verified"), "\(printed.output)")
        #expect(try EFCVCA(encoded: TestSupport.read(pki.appendingPathComponent("ef.cvca"))).references == ["UTCVCA00001"])
        let listed = try TestSupport.run(TestSupport.epkiExecutable(), ["dvca", "list", "--domain", "UT", "--data-dir", "pki/data"], currentDirectory: directory)
        #expect(listed.stdout.contains("chain    UTCVCA00001 → UTDVIS00001"), "\(listed.output)")
    }

    /// A CVCA whose key lives in a PKCS#11 token: the same commands, the key never in the data directory.
    @Test func cvcaKeyInAToken() throws {
        let hsm = try SoftHSM.make(tokens: ["CVCA-UT"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let directory = hsm.directory
        try TestSupport.write("cvca cli passphrase\n", directory.appendingPathComponent("pass"))
        let secrets = ["--passphrase-file", "pass", "--pin-file", hsm.pinFile.path]
        func ok(_ arguments: [String]) throws -> [String: Any] {
            try Self.ok(arguments, in: directory, environment: hsm.environment) as? [String: Any] ?? [:]
        }
        _ = try ok(["cvca", "init", "--domain", "UT", "--country", "UT", "--key", "pkcs11:token=CVCA-UT;object=cvca-1", "--out", "cvca.cvcert"] + secrets)
        _ = try ok(["dvca", "init", "--domain", "UT", "--country", "UT", "--mnemonic", "DVIS"])
        _ = try ok(["dvca", "request", "--domain", "UT", "--out", "dv.req"] + secrets)
        let dv = try ok(["cvca", "sign-request", "dv.req", "--domain", "UT", "--out", "dv.cvcert", "--json"] + secrets)
        #expect(dv["car"] as? String == "UTCVCA00001")
        let chain = try CVCertificatePool([CVCertificate(encoded: TestSupport.read(directory.appendingPathComponent("cvca.cvcert")))])
        let certificate = try CVCertificate(encoded: TestSupport.read(directory.appendingPathComponent("dv.cvcert")))
        #expect(CVChainVerifier().verify(certificate, pool: chain).isValid)
        let keyFiles = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("data/keys/UT").path)) ?? []
        #expect(!keyFiles.contains { $0.hasPrefix("cvca") })
        #expect(keyFiles.contains { $0.hasPrefix("dv-") })
        // Without the PIN the token key cannot sign.
        let noPIN = try Self.run(["cvca", "link", "--domain", "UT", "--passphrase-file", "pass"], in: directory, environment: hsm.environment)
        #expect(noPIN.status == 1, "\(noPIN.output)")
    }
}
