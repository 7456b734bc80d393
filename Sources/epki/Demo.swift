import ArgumentParser
import CSCA
import Foundation
import NPKD
import PKICore

/// The suite's main job on the embedded default, as far as it is built: a country's CSCA with a Document
/// Signer and a Master List Signer, a CRL, a signed security object and a signed master list — each written
/// to disk, checked by epki, and left for `openssl` to check too.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up a sample national PKI in a directory and verify everything it produced.")

    @Option(help: "Output directory (created; must be empty or absent).")
    var dir: String = "epki-demo"

    @Option(help: "Country code of the sample CSCA.")
    var country: String = "UT"

    @Option(help: "Key algorithm for CSCA, DS and MLS keys.")
    var algorithm: String = "ec:brainpoolP256r1"

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: dir), !existing.isEmpty {
            throw PKIError(.fileError, "'\(dir)' is not empty; choose another --dir")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        // A per-run random passphrase: the demo's keys are encrypted at rest like every other key.
        let secret = try OpenSSLRandom.hex(16)
        try IO.write(secret + "\n", to: path("passphrase.txt"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("passphrase.txt"))
        let passphrase = Passphrase(secret)
        let specification = try KeySpecification(algorithm, explicitParameters: algorithm.hasPrefix("ec:"))
        let now = Date()

        print("1. CSCA key (\(specification)) and self-signed CSCA certificate")
        let cscaKey = try PrivateKey.generate(specification)
        try IO.write(cscaKey.encryptedPKCS8(passphrase: passphrase), to: path("csca.key.pem"), privateFile: true)
        let cscaSigner = SoftwareSigner(key: cscaKey)
        let cscaName = try DistinguishedName(attributes: [
            (.NameAttributes.countryName, country), (.NameAttributes.organizationName, "Utopia Passport Office"),
            (.NameAttributes.commonName, "CSCA \(country)"), (.NameAttributes.serialNumber, "001"),
        ])
        let csca = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: cscaName, signer: cscaSigner, keyUsageStart: now,
            crlDistributionPoints: ["http://pkd.example/\(country).crl"])
        try IO.write(csca.pemEncoded, to: path("csca.pem"))
        let issuer = try ICAOCertificateIssuer(signer: cscaSigner, cscaCertificate: csca)

        print("2. Document Signer key and certificate (document types P, ID)")
        let dsKey = try PrivateKey.generate(specification)
        try IO.write(dsKey.encryptedPKCS8(passphrase: passphrase), to: path("ds.key.pem"), privateFile: true)
        let dsName = try DistinguishedName(attributes: [
            (.NameAttributes.countryName, country), (.NameAttributes.organizationName, "Utopia Passport Office"),
            (.NameAttributes.commonName, "Document Signer \(country) 1"),
        ])
        let ds = try issuer.issueDocumentSigner(subject: dsName, publicKey: dsKey.publicKey, documentTypes: ["P", "ID"], keyUsageStart: now)
        try IO.write(ds.pemEncoded, to: path("ds.pem"))

        print("3. Master List Signer key and certificate")
        let mlsKey = try PrivateKey.generate(specification)
        try IO.write(mlsKey.encryptedPKCS8(passphrase: passphrase), to: path("mls.key.pem"), privateFile: true)
        let mlsName = try DistinguishedName(attributes: [
            (.NameAttributes.countryName, country), (.NameAttributes.organizationName, "Utopia Passport Office"),
            (.NameAttributes.commonName, "Master List Signer \(country)"),
        ])
        let mls = try issuer.issueListSigner(.masterList, subject: mlsName, publicKey: mlsKey.publicKey, notBefore: now)
        try IO.write(mls.pemEncoded, to: path("mls.pem"))

        print("4. CRL number 1 revoking a test serial")
        let crl = try issuer.issueCRL(
            number: 1, thisUpdate: now, nextUpdate: now.addingTimeInterval(90 * 86_400),
            revoked: [try RevokedCertificate(serialNumber: [0x42, 0x01], revocationDate: now)])
        try IO.write(crl.derEncoded, to: path("csca.crl"))

        print("5. A security-object-shaped payload signed by the DS as CMS (eContentType 2.23.136.1.1.1)")
        let payload = Array("sample LDS security object content".utf8)
        try IO.write(payload, to: path("sod-content.bin"))
        let sod = try SignedDataBuilder(eContentType: .ICAO.ldsSecurityObject, content: payload, signerCertificate: ds)
            .sign(with: SoftwareSigner(key: dsKey))
        try IO.write(sod.contentInfoDER(), to: path("sod.cms"))

        print("6. Master list of the CSCA, signed by the MLS (eContentType 2.23.136.1.1.2)")
        let list = CscaMasterList(certificates: [csca])
        let masterList = try SignedDataBuilder(
            eContentType: .ICAO.cscaMasterList, content: try list.derEncoded, signerCertificate: mls, additionalCertificates: [csca]
        ).sign(with: SoftwareSigner(key: mlsKey))
        try IO.write(masterList.contentInfoDER(), to: path("masterlist.ml"))

        print("7. Verifying what was produced")
        var failures = 0
        func check(_ name: String, _ ok: Bool) {
            print("   \(ok ? "ok  " : "FAIL") \(name)")
            if !ok { failures += 1 }
        }
        check("CSCA self-signature", try csca.isSignatureValid(issuerKey: csca.publicKey))
        check("DS certificate signed by the CSCA", try ds.isSignatureValid(issuerKey: csca.publicKey))
        check("MLS certificate signed by the CSCA", try mls.isSignatureValid(issuerKey: csca.publicKey))
        check("CRL signed by the CSCA", try crl.isSignatureValid(issuerKey: csca.publicKey))
        let dsPublicKey = try ds.publicKey
        check("DS key: explicit EC parameters in the certificate", dsPublicKey.subjectPublicKeyInfo.ecDomain?.isExplicit ?? !dsPublicKey.isEC)
        let sodReport = try SignedData(contentInfoBytes: IO.read(path("sod.cms"), what: "sod")).verify(signerCertificate: ds)
        check("CMS signed by the DS", sodReport.isValid)
        let read = try MasterListReader().read(IO.read(path("masterlist.ml"), what: "master list"))
        check("master list: signature, MLS EKU and chain to the CSCA", read.report.isValid)
        check("master list holds the CSCA", read.masterList.certificates == [csca])

        print("\nFiles in \(dir): csca.pem ds.pem mls.pem csca.crl sod.cms masterlist.ml and encrypted keys (passphrase.txt).")
        print("Check them with OpenSSL too, e.g.: openssl crl -in \(path("csca.crl")) -inform DER -CAfile \(path("csca.pem")) -noout")
        guard failures == 0 else { throw CLIFailure(message: "\(failures) check(s) failed") }
        print("demo complete: all checks passed")
    }
}

enum OpenSSLRandom {
    static func hex(_ count: Int) throws -> String {
        try CertificateBuilder.randomSerialNumber().prefix(count).hexString
    }
}

