import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// `epki cvc show|verify|request` driven as an operator would, with OpenPACE checking what the CLI writes.
@Suite struct CVCCommandLineTests {
    @discardableResult
    static func epki(_ arguments: [String], in directory: URL? = nil) throws -> TestSupport.ProcessResult {
        try TestSupport.run(TestSupport.epkiExecutable(), arguments, currentDirectory: directory)
    }

    @Test func showsCertificatesAndRequests() throws {
        let shown = try Self.epki(["cvc", "show", TestSupport.vectorPath("openpace/DECVCAEPASS00102.cvcert")])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.stdout.contains("chr: DECVCAEPASS00102"))
        #expect(shown.stdout.contains("selfSignature: valid"))
        let json = try Self.epki(["cvc", "show", TestSupport.vectorPath("ejbca-cert-cvc/absp.req"), "--json"])
        #expect(json.status == 0, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "request")
        #expect(object?["authenticated"] as? Bool == true)
        #expect(object?["outerCAR"] as? String == "SEABSP00001")
        #expect(object?["innerSignature"] as? String == "valid")
        let certificate = try JSONSerialization.jsonObject(
            with: Data(try Self.epki(["cvc", "show", TestSupport.vectorPath("vsmartcard/zzst-signature-terminal/ZZSTDVCA00001.cvcert"), "--json"]).stdout.utf8))
            as? [String: Any]
        #expect(certificate?["role"] as? String == "DV (foreign)")
        #expect((certificate?["publicKey"] as? [String: Any])?["domainParameters"] as? String == "inherited")
    }

    @Test func malformedFilesGiveOneLineErrors() throws {
        let directory = try TestSupport.temporaryDirectory("epki-cvc-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try TestSupport.vector("openpace/DECVCAEPASS00102.cvcert")
        try TestSupport.write(Array(bytes.prefix(200)), directory.appendingPathComponent("cut.cvcert"))
        let cut = try Self.epki(["cvc", "show", "cut.cvcert"], in: directory)
        #expect(cut.status == 1)
        #expect(cut.stderr == "epki: error: CV certificate: 7F21 (CV Certificate) claims 438 bytes but only 195 remain (offset 0)\n")
        var badDate = bytes
        // The effective date's last digit (5F25 06 01 00 01 00 01 08): 0x0A is no BCD digit.
        guard let index = (0..<(bytes.count - 8)).first(where: { bytes[$0] == 0x5F && bytes[$0 + 1] == 0x25 }) else {
            Issue.record("no 5F25 in the vector")
            return
        }
        badDate[index + 8] = 0x0A
        try TestSupport.write(badDate, directory.appendingPathComponent("date.cvcert"))
        let date = try Self.epki(["cvc", "verify", "date.cvcert"], in: directory)
        #expect(date.status == 1)
        #expect(date.stderr.contains("5F25 (Certificate Effective Date) at offset \(index)"), "\(date.stderr)")
        #expect(try Self.epki(["cvc", "show", "missing.cvcert"], in: directory).status == 1)
    }

    @Test func verifyExitsZeroOnlyWhenValid() throws {
        let v = "vsmartcard/zzst-signature-terminal/"
        let arguments = ["cvc", "verify", TestSupport.vectorPath(v + "ZZSTTERM00001.cvcert"), "--chain",
                         TestSupport.vectorPath(v + "ZZSTCVCA00001.cvcert"), TestSupport.vectorPath(v + "ZZSTDVCA00001.cvcert")]
        let valid = try Self.epki(arguments + ["--at", "2015-01-15"])
        #expect(valid.status == 0, "\(valid.output)")
        #expect(valid.stdout.hasPrefix("CV certificate ZZSTTERM00001: VALID"))
        let expired = try Self.epki(arguments + ["--at", "2015-03-01", "--json"])
        #expect(expired.status == 1)
        #expect(expired.stderr == "epki: CV certificate ZZSTTERM00001: NOT VALID\n")
        let report = try JSONSerialization.jsonObject(with: Data(expired.stdout.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == false)
        let noDV = try Self.epki(Array(arguments.dropLast()) + ["--at", "2015-01-15"])
        #expect(noDV.status == 1)
        #expect(noDV.stdout.contains("no certificate with CHR ZZSTDVCA00001"))
        // A self-signed CVCA needs no chain.
        #expect(try Self.epki(["cvc", "verify", TestSupport.vectorPath("openpace/DECVCAEPASS00102.cvcert"), "--at", "2012-01-01"]).status == 0)
    }

    /// Keys from `epki key generate`, requests from `epki cvc request`, certified by epki's builder and by
    /// OpenPACE's cvc-create, and checked back with `epki cvc verify`.
    @Test func requestsMadeByTheCLI() throws {
        let directory = try TestSupport.temporaryDirectory("epki-cvc-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let passphrase = "cv request passphrase"
        try TestSupport.write(passphrase + "\n", directory.appendingPathComponent("pass"))
        for name in ["cvca", "dv", "dv2"] {
            let generated = try Self.epki(
                ["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", "\(name).pem", "--passphrase-file", "pass"], in: directory)
            #expect(generated.status == 0, "\(generated.output)")
        }
        func signer(_ name: String) throws -> SoftwareSigner {
            SoftwareSigner(key: try PrivateKey(encoded: TestSupport.read(directory.appendingPathComponent("\(name).pem")), passphrase: Passphrase(passphrase)))
        }
        let effective = try CVDate(year: 2026, month: 11, day: 1)
        let cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: signer("cvca"), algorithm: .ecdsaSHA256, chr: CertificationAuthorityReference(encoded: Array("ZZCVCA00001".utf8)), rights: [3],
            effectiveDate: effective, expirationDate: effective.adding(months: 36))
        try TestSupport.write(cvca.encoded, directory.appendingPathComponent("cvca.cvcert"))

        // Initial request, plain.
        let plain = try Self.epki(
            ["cvc", "request", "--key", "dv.pem", "--chr", "ZZDVIS00001", "--car", "ZZCVCA00001", "--algorithm", "ecdsa-sha256",
             "--out", "dv.cvreq", "--passphrase-file", "pass"], in: directory)
        #expect(plain.status == 0, "\(plain.output)")
        let request = try CVCertificateRequest(encoded: TestSupport.read(directory.appendingPathComponent("dv.cvreq")))
        #expect(request.publicKey.domainParameters?.displayName == "brainpoolP256r1")
        #expect(try Self.epki(["cvc", "verify", "dv.cvreq"], in: directory).status == 0)
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: request.publicKey, chr: CertificationAuthorityReference(encoded: Array(request.chr.utf8)), role: .domesticDV, rights: [3],
            effectiveDate: effective, expirationDate: effective.adding(months: 3), issuer: cvca, issuerSigner: signer("cvca"))
        try TestSupport.write(dv.encoded, directory.appendingPathComponent("dv.cvcert"))

        // Successive request: new key, outer signature by the current DV key.
        let successive = try Self.epki(
            ["cvc", "request", "--key", "dv2.pem", "--chr", "ZZDVIS00002", "--car", "ZZCVCA00001", "--algorithm", "ECDSA_SHA_256",
             "--outer-key", "dv.pem", "--outer-car", "ZZDVIS00001", "--out", "dv2.cvreq", "--passphrase-file", "pass"], in: directory)
        #expect(successive.status == 0, "\(successive.output)")
        let verified = try Self.epki(["cvc", "verify", "dv2.cvreq", "--chain", "cvca.cvcert", "dv.cvcert", "--at", "2026-11-10"], in: directory)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.stdout.contains("[passed] outer signature: id-TA-ECDSA-SHA-256 by ZZDVIS00001"))
        let validator = CVRequestValidator(
            domain: try CVRequestValidator.domain(of: cvca, in: CVCertificatePool([cvca])), authenticators: CVCertificatePool([cvca, dv]),
            outerSignatureRequired: true, clock: FixedClock(try effective.adding(days: 9).start))
        #expect(validator.validate(try TestSupport.read(directory.appendingPathComponent("dv2.cvreq"))).resultCode == .okCertAvailable)
        // Without the DV certificate the outer signature cannot be checked.
        #expect(try Self.epki(["cvc", "verify", "dv2.cvreq", "--chain", "cvca.cvcert", "--at", "2026-11-10"], in: directory).status == 1)

        // OpenPACE checks and certifies the plain request too.
        let printed = try TestSupport.run("cvc-print", ["--csr=dv.cvreq"], currentDirectory: directory)
        #expect(printed.stdout.contains("certificate request verified"), "\(printed.output)")

        // Usage errors.
        let noCAR = try Self.epki(["cvc", "request", "--key", "dv.pem", "--chr", "ZZDVIS00001", "--algorithm", "ecdsa-sha256", "--outer-key", "dv.pem",
                                   "--out", "x", "--passphrase-file", "pass"], in: directory)
        #expect(noCAR.status != 0)
        let badAlgorithm = try Self.epki(["cvc", "request", "--key", "dv.pem", "--chr", "ZZDVIS00001", "--algorithm", "rsa-sha384", "--out", "x",
                                          "--passphrase-file", "pass"], in: directory)
        #expect(badAlgorithm.status == 1)
        #expect(badAlgorithm.stderr.hasPrefix("epki: error: 'rsa-sha384' is not a TR-03110 scheme"))
        let badCHR = try Self.epki(["cvc", "request", "--key", "dv.pem", "--chr", "zz", "--algorithm", "ecdsa-sha256", "--out", "x",
                                    "--passphrase-file", "pass"], in: directory)
        #expect(badCHR.status == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x").path))
    }
}
