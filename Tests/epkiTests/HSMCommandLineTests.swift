import Foundation
import Testing
import TestSupport

/// `epki hsm list`, `key generate --pkcs11`, `key show URI` and `sign --key URI` against a private SoftHSM2 token.
@Suite struct HSMCommandLineTests {
    @Test func tokenKeyLifecycle() throws {
        let hsm = try SoftHSM.make(tokens: ["CSCA-UT"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let directory = hsm.directory
        func epki(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            try CommandLineTests.epki(arguments, in: directory, environment: hsm.environment)
        }
        let listed = try epki(["hsm", "list", "--json"])
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.stdout.contains("\"label\" : \"CSCA-UT\""))

        let uri = "pkcs11:token=CSCA-UT;object=ds-2026;id=%02"
        let generated = try epki(["key", "generate", "--algorithm", "rsa:3072", "--pkcs11", uri, "--pin-file", hsm.pinFile.path, "--public-out", "pub.pem"])
        #expect(generated.status == 0, "\(generated.output)")
        let shown = try epki(["key", "show", uri, "--pin-file", hsm.pinFile.path, "--json"])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.stdout.contains("\"bits\" : 3072"))

        try TestSupport.write("personalization batch 17", directory.appendingPathComponent("data"))
        let signed = try CommandLineTests.epki(["sign", "--key", uri, "--algorithm", "rsa-pss-sha256", "--in", "data", "--out", "sig", "--pin-env", "TOKEN_PIN"],
                                               in: directory, environment: hsm.environment.merging(["TOKEN_PIN": SoftHSM.userPIN]) { $1 })
        #expect(signed.status == 0, "\(signed.output)")
        let verified = try TestSupport.run("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                                                       "-verify", "pub.pem", "-signature", "sig", "data"], currentDirectory: directory)
        #expect(verified.stdout.contains("Verified OK"), "\(verified.output)")

        try TestSupport.write("999999\n", directory.appendingPathComponent("bad-pin"))
        let wrong = try epki(["sign", "--key", uri, "--algorithm", "rsa-pss-sha256", "--in", "data", "--out", "sig2", "--pin-file", "bad-pin"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("CKR_PIN_INCORRECT") && !wrong.stderr.contains("999999"))
        let unknown = try epki(["key", "show", "pkcs11:token=CSCA-UT;object=missing", "--pin-file", hsm.pinFile.path])
        #expect(unknown.status == 1 && unknown.stderr.contains("no private key object=missing"))
        let noPIN = try epki(["sign", "--key", uri, "--algorithm", "rsa-pss-sha256", "--in", "data", "--out", "sig3"])
        #expect(noPIN.status == 1 && noPIN.stderr.contains("needs a PIN"))
    }

    /// A CSCA whose key lives in the token: issuance and CRLs go through the same code as for software keys.
    @Test func cscaWithItsKeyInTheToken() throws {
        let hsm = try SoftHSM.make(tokens: ["CSCA-LU"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let environment = hsm.environment.merging(["EPKI_HOME": hsm.directory.appendingPathComponent("data").path]) { $1 }
        try TestSupport.write("software key passphrase\n", hsm.directory.appendingPathComponent("pass"))
        @discardableResult
        func epki(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            let result = try CommandLineTests.epki(arguments, in: hsm.directory, environment: environment)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        try epki(["csca", "init", "--domain", "LU", "--country", "LU", "--name", "CSCA LU HSM", "--algorithm", "ec:brainpoolP256r1",
                  "--key", "pkcs11:token=CSCA-LU;object=csca-2026", "--pin-file", hsm.pinFile.path, "--out", "csca.pem",
                  "--crl-url", "https://pkd.example/LU.crl"])
        try epki(["csca", "issue-ds", "--domain", "LU", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--pin-file", hsm.pinFile.path,
                  "--out", "ds.pem"])
        try epki(["csca", "crl", "--domain", "LU", "--pin-file", hsm.pinFile.path, "--out", "lu.crl"])
        try epki(["lint", "ds.pem", "--issuer", "csca.pem"])
        try epki(["lint", "lu.crl", "--issuer", "csca.pem"])
        let list = try epki(["csca", "list", "--domain", "LU", "--kind", "csca", "--json"])
        #expect(list.stdout.contains("pkcs11:token=CSCA-LU;object=csca-2026"))
        // No key file was written for the CSCA: the private key stayed in the token.
        let keyFiles = (try? FileManager.default.contentsOfDirectory(atPath: hsm.directory.appendingPathComponent("data/keys/LU").path)) ?? []
        #expect(!keyFiles.contains { $0.hasPrefix("csca") })
        let crl = try TestSupport.run("openssl", ["crl", "-inform", "DER", "-in", "lu.crl", "-CAfile", "csca.pem", "-noout"], currentDirectory: hsm.directory)
        #expect(crl.output.contains("verify OK"), "\(crl.output)")
    }
}
