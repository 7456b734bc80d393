import Foundation
import PKICore
import Testing
import TestSupport

/// Drives the built `epki` executable as an operator would, and checks its output with OpenSSL.
@Suite struct CommandLineTests {
    @discardableResult
    static func epki(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> TestSupport.ProcessResult {
        try TestSupport.run(TestSupport.epkiExecutable(), arguments, environment: environment, currentDirectory: directory)
    }

    @Test func keyLifecycleSignVerifyAndOpenSSLInterop() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write("a passphrase for tests\n", directory.appendingPathComponent("pass"))
        try TestSupport.write("data to sign", directory.appendingPathComponent("data"))

        let generated = try Self.epki(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--explicit-params", "--out", "k.pem",
                                       "--passphrase-file", "pass", "--public-out", "k.pub"], in: directory)
        #expect(generated.status == 0, "\(generated.output)")
        let keyFile = try TestSupport.read(directory.appendingPathComponent("k.pem"))
        #expect(String(decoding: keyFile, as: UTF8.self).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("k.pem").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let shown = try Self.epki(["key", "show", "k.pem", "--json", "--passphrase-file", "pass"], in: directory)
        #expect(shown.status == 0, "\(shown.output)")
        let json = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(json?["curve"] as? String == "brainpoolP256r1")
        #expect(json?["parameters"] as? String == "explicit")

        let signed = try Self.epki(["sign", "--key", "k.pem", "--algorithm", "ecdsa-sha256", "--in", "data", "--out", "sig",
                                    "--passphrase-env", "TEST_PASS"], in: directory, environment: ["TEST_PASS": "a passphrase for tests"])
        #expect(signed.status == 0, "\(signed.output)")
        let opensslVerified = try TestSupport.run("openssl", ["dgst", "-sha256", "-verify", "k.pub", "-signature", "sig", "data"], currentDirectory: directory)
        #expect(opensslVerified.stdout.contains("Verified OK"))
        #expect(try Self.epki(["verify", "--pubkey", "k.pub", "--algorithm", "ecdsa-sha256", "--in", "data", "--sig", "sig"], in: directory).status == 0)

        // Plain r||s for CV certificates: 64 bytes on a 256-bit curve, verifiable in plain form.
        #expect(try Self.epki(["sign", "--key", "k.pem", "--algorithm", "ecdsa-sha256", "--plain-ecdsa", "--in", "data", "--out", "plain",
                               "--passphrase-file", "pass"], in: directory).status == 0)
        #expect(try TestSupport.read(directory.appendingPathComponent("plain")).count == 64)
        #expect(try Self.epki(["verify", "--pubkey", "k.pub", "--algorithm", "ecdsa-sha256", "--plain-ecdsa", "--in", "data", "--sig", "plain"], in: directory).status == 0)

        // A changed byte: non-zero exit and a message.
        try TestSupport.write("data to sigN", directory.appendingPathComponent("data"))
        let bad = try Self.epki(["verify", "--pubkey", "k.pub", "--algorithm", "ecdsa-sha256", "--in", "data", "--sig", "sig"], in: directory)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("INVALID"))

        // An OpenSSL key imported and used.
        try TestSupport.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem"], in: directory)
        #expect(try Self.epki(["key", "import", "--in", "rsa.pem", "--out", "rsa.enc.pem", "--passphrase-file", "pass"], in: directory).status == 0)
        #expect(try Self.epki(["sign", "--key", "rsa.enc.pem", "--algorithm", "rsa-pss-sha256", "--in", "data", "--out", "pss",
                               "--passphrase-file", "pass"], in: directory).status == 0)
        try TestSupport.openssl(["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub"], in: directory)
        let pss = try TestSupport.run("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                                                  "-verify", "rsa.pub", "-signature", "pss", "data"], currentDirectory: directory)
        #expect(pss.stdout.contains("Verified OK"), "\(pss.output)")
        // The plaintext key is refused where keys are used.
        let plain = try Self.epki(["sign", "--key", "rsa.pem", "--algorithm", "rsa-pss-sha256", "--in", "data", "--out", "x"], in: directory)
        #expect(plain.status == 1 && plain.stderr.contains("not encrypted"))
    }

    @Test func errorsAreClearAndNonZero() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write("right passphrase\n", directory.appendingPathComponent("pass"))
        try TestSupport.write("wrong passphrase\n", directory.appendingPathComponent("wrong"))
        try TestSupport.write("x", directory.appendingPathComponent("data"))
        #expect(try Self.epki(["key", "generate", "--algorithm", "ec:P-256", "--out", "k.pem", "--passphrase-file", "pass"], in: directory).status == 0)

        let cases: [([String], String)] = [
            (["sign", "--key", "k.pem", "--algorithm", "ecdsa-sha256", "--in", "data", "--out", "s", "--passphrase-file", "wrong"], "passphrase does not decrypt"),
            (["sign", "--key", "k.pem", "--algorithm", "ecdsa-sha256", "--in", "data", "--out", "s"], "passphrase"),
            (["key", "generate", "--algorithm", "ec:secp256k1", "--out", "x.pem", "--passphrase-file", "pass"], "not supported"),
            (["key", "generate", "--algorithm", "rsa:1024", "--out", "x.pem", "--passphrase-file", "pass"], "2048 to 4096"),
            (["sign", "--key", "k.pem", "--algorithm", "ecdsa-sha1", "--in", "data", "--out", "s", "--passphrase-file", "pass"], "SHA-1"),
            (["cert", "show", "data"], "X.509 certificate"),
            (["cert", "show", "missing.pem"], "cannot read"),
            (["cms", "verify", "data"], "CMS ContentInfo"),
        ]
        for (arguments, fragment) in cases {
            let result = try Self.epki(arguments, in: directory)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("right passphrase") && !result.stderr.contains("wrong passphrase"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("s").path), "nothing half-written")
    }

    @Test func inspectsRealVectors() throws {
        let cert = try Self.epki(["cert", "show", TestSupport.vectorPath("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer"), "--json"])
        #expect(cert.status == 0, "\(cert.output)")
        let object = try JSONSerialization.jsonObject(with: Data(cert.stdout.utf8)) as? [String: Any]
        #expect((object?["subject"] as? String)?.contains("C=CR") == true)
        #expect((object?["publicKey"] as? String)?.contains("brainpoolP384r1 (explicit parameters)") == true)

        let crl = try Self.epki(["crl", "verify", TestSupport.vectorPath("icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl"),
                                 "--issuer", TestSupport.vectorPath("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer")])
        #expect(crl.status == 0, "\(crl.output)")

        let sod = try Self.epki(["cms", "verify", TestSupport.vectorPath("pymrtd/EF_SOD_BSI_TR03105-5.bin"),
                                 "--signer", TestSupport.vectorPath("pymrtd/dsc_de_0142fd5cf927.cer"), "--json"])
        #expect(sod.status == 0, "\(sod.output)")
        let report = try JSONSerialization.jsonObject(with: Data(sod.stdout.utf8)) as? [String: Any]
        #expect(report?["eContentType"] as? String == "2.23.136.1.1.1")
        #expect(report?["valid"] as? Bool == true)

        // The wrong DS: the signature check fails and the exit status says so.
        let wrong = try Self.epki(["cms", "verify", TestSupport.vectorPath("pymrtd/EF_SOD_BSI_TR03105-5.bin"),
                                   "--signer", TestSupport.vectorPath("pymrtd/dsc_de_0130846f2b3e.cer")])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("[failed] signature"))
    }

    @Test func demoBuildsAVerifiedSamplePKI() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try Self.epki(["demo", "--dir", directory.appendingPathComponent("pki").path,
                                   "--icao-master-list", TestSupport.vectorPath("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")])
        #expect(demo.status == 0, "\(demo.output)")
        #expect(demo.stdout.contains("demo complete: all checks passed"))
        #expect(demo.stdout.contains("ok   sample document: HTTP 200, genuine"))
        #expect(demo.stdout.contains("ok   ICAO master list: 521 certificates imported"))
        let pki = directory.appendingPathComponent("pki")
        let crl = try TestSupport.run("openssl", ["crl", "-in", "csca.crl", "-inform", "DER", "-CAfile", "csca.pem", "-noout"], currentDirectory: pki)
        #expect(crl.output.contains("verify OK"), "\(crl.output)")
        let cms = try TestSupport.run("openssl", ["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", "masterlist.ml", "-out", "/dev/null"],
                                      currentDirectory: pki)
        #expect(cms.stderr.contains("Verification successful"), "\(cms.output)")
        let keys = try FileManager.default.contentsOfDirectory(atPath: pki.appendingPathComponent("data/keys/UT").path)
        #expect(keys.count == 8, "CSCA, two DS, MLS, CVCA and DV keys, and the SPOC's TLS server and client keys: \(keys)")
        #expect(demo.stdout.contains("ok   ZZ's DV request answered through the SPOCs"), "\(demo.stdout)")
        for name in keys {
            let key = try String(contentsOf: pki.appendingPathComponent("data/keys/UT/\(name)"), encoding: .utf8)
            #expect(key.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        }
        let status = try Self.epki(["csca", "status", "--domain", "UT", "--data-dir", pki.appendingPathComponent("data").path])
        #expect(status.stdout.contains("1 revoked"), "\(status.output)")
        // A second run into the same directory refuses instead of overwriting.
        #expect(try Self.epki(["demo", "--dir", pki.path]).status != 0)
    }
}
