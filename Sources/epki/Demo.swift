import ArgumentParser
import CSCA
import Foundation
import LDS
import NPKD
import PKICore

/// The suite's main job on the embedded default, as far as it is built: a country's CSCA with a Document
/// Signer and a Master List Signer, a CRL, a sample document's data groups with their EF.SOD (checked by passive
/// authentication) and a signed master list — each written to disk, checked by epki, and left for `openssl` to
/// check too.
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

        print("5. A sample document: DG1 (TD3 MRZ), DG2 (a synthetic face record), EF.COM, and its EF.SOD signed by the DS")
        let expiry = CivilDate(now.addingTimeInterval(10 * 365 * 86_400))
        let mrz = try MRZ(fields: MRZFields(
            format: .td3, documentCode: "P", issuingState: country, primaryIdentifier: "Eriksson", secondaryIdentifier: "Anna Maria",
            documentNumber: "L898902C3", nationality: country, dateOfBirth: "740812", sex: "F", dateOfExpiry: expiry.yymmdd,
            optionalData: "ZE184226B"))
        let dg1 = DG1(mrz: mrz).encode()
        // A stand-in JPEG (start and end markers around filler): the demo shows the structure, not a portrait.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x5A, count: 512) + [0xFF, 0xD9]
        let face = FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 480, height: 640, gender: 2)
        let dg2 = DG2(faces: [FacialRecord(images: [face])]).encode()
        let dataGroups = [1: dg1, 2: dg2]
        let com = try EFCOM(dataGroups: [DataGroupNumber(1), DataGroupNumber(2)].compactMap { $0 }).encode()
        let sodSigner = try SODSigner(signer: SoftwareSigner(key: dsKey), documentSigner: ds)
        let efSOD = try sodSigner.sign(dataGroups: dataGroups)  // read back and verified before it is returned
        try IO.write(dg1, to: path("dg1.bin"))
        try IO.write(dg2, to: path("dg2.bin"))
        try IO.write(com, to: path("ef.com"))
        try IO.write(efSOD.encode(), to: path("ef.sod"))
        // The ContentInfo inside the 77 wrapper, for `openssl cms -verify`.
        try IO.write(efSOD.signedData.contentInfoDER(), to: path("sod.cms"))

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
        check("EF.SOD: CMS signed by the DS", sodReport.isValid)
        let readSOD = try EFSOD(bytes: IO.read(path("ef.sod"), what: "EF.SOD"))
        check("EF.SOD: LDS security object over DG1 and DG2", readSOD.securityObject.dataGroupNumbers == [1, 2])
        let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [csca], crls: [crl]))
        let readGroups = [1: try IO.read(path("dg1.bin"), what: "DG1"), 2: try IO.read(path("dg2.bin"), what: "DG2")]
        let pa = verifier.verify(sod: try IO.read(path("ef.sod"), what: "EF.SOD"), dataGroups: readGroups,
                                 efCOM: try IO.read(path("ef.com"), what: "EF.COM"))
        check("passive authentication against the CSCA and its CRL: genuine", pa.isGenuine)
        for failure in pa.failures { print("        \(failure.name): \(failure.detail)") }
        var altered = readGroups
        altered[2]?[100] ^= 0x01
        let tampered = verifier.verify(sod: try IO.read(path("ef.sod"), what: "EF.SOD"), dataGroups: altered)
        check("passive authentication of a DG2 with one changed byte: not genuine, DG2 named",
              !tampered.isGenuine && tampered.failures.map(\.name) == [PassiveAuthentication.Check.dataGroupHash(2)])
        let read = try MasterListReader().read(IO.read(path("masterlist.ml"), what: "master list"))
        check("master list: signature, MLS EKU and chain to the CSCA", read.report.isValid)
        check("master list holds the CSCA", read.masterList.certificates == [csca])

        print("\nFiles in \(dir): csca.pem ds.pem mls.pem csca.crl dg1.bin dg2.bin ef.com ef.sod sod.cms masterlist.ml and encrypted keys (passphrase.txt).")
        print("Verify the document again with: epki pa verify --sod \(path("ef.sod")) --dg 1=\(path("dg1.bin")) --dg 2=\(path("dg2.bin")) --csca \(path("csca.pem")) --crl \(path("csca.crl"))")
        print("Check them with OpenSSL too, e.g.: openssl crl -in \(path("csca.crl")) -inform DER -CAfile \(path("csca.pem")) -noout")
        guard failures == 0 else { throw CLIFailure(message: "\(failures) check(s) failed") }
        print("demo complete: all checks passed")
    }
}

/// The UTC calendar date of a moment, in the MRZ's YYMMDD form.
struct CivilDate {
    let yymmdd: String

    init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        yymmdd = String(format: "%02d%02d%02d", (parts.year ?? 2000) % 100, parts.month ?? 1, parts.day ?? 1)
    }
}

enum OpenSSLRandom {
    static func hex(_ count: Int) throws -> String {
        try CertificateBuilder.randomSerialNumber().prefix(count).hexString
    }
}

