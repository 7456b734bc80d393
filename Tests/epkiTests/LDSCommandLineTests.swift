import Foundation
import PKICore
import Testing
import TestSupport

/// `epki lds`, `epki sod` and `epki pa` driven as an operator would, with an OpenSSL-made CSCA and DS.
@Suite struct LDSCommandLineTests {
    static let td3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]

    static func epki(_ arguments: [String], in directory: URL? = nil) throws -> TestSupport.ProcessResult {
        try CommandLineTests.epki(arguments, in: directory)
    }

    /// A CSCA and a DS (P-256) made by OpenSSL, the DS key imported encrypted, DG1 and DG14 files.
    static func setUp(_ directory: URL) throws {
        try TestSupport.write("a passphrase for tests\n", directory.appendingPathComponent("pass"))
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "csca.key",
                                 "-out", "csca.pem", "-days", "3650", "-subj", "/C=UT/O=Utopia/CN=CSCA UT",
                                 "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
        try TestSupport.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ds.key",
                                 "-out", "ds.csr", "-subj", "/C=UT/O=Utopia/CN=DS 1"], in: directory)
        try TestSupport.write("keyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n",
                              directory.appendingPathComponent("ds.ext"))
        try TestSupport.openssl(["x509", "-req", "-in", "ds.csr", "-CA", "csca.pem", "-CAkey", "csca.key", "-CAcreateserial", "-days", "365",
                                 "-extfile", "ds.ext", "-out", "ds.pem"], in: directory)
        let imported = try epki(["key", "import", "--in", "ds.key", "--out", "ds.enc.pem", "--passphrase-file", "pass"], in: directory)
        #expect(imported.status == 0, "\(imported.output)")
        let dg1 = try epki(["lds", "dg1", "--mrz"] + Self.td3 + ["--out", "dg1.bin"], in: directory)
        #expect(dg1.status == 0, "\(dg1.output)")
        try TestSupport.write(try TestSupport.vector("pymrtd/DG14_BSI_TR03105-5.bin"), directory.appendingPathComponent("dg14.bin"))
    }

    @Test func dg1FromLinesAndFieldsAndItsCheckDigits() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try Self.epki(["lds", "dg1", "--mrz"] + Self.td3 + ["--out", "a.bin"], in: directory).status == 0)
        let fields = try Self.epki(["lds", "dg1", "--format", "td3", "--document-code", "P", "--issuing-state", "UTO", "--surname", "Eriksson",
                                    "--given-names", "Anna Maria", "--document-number", "L898902C3", "--nationality", "UTO",
                                    "--birth-date", "740812", "--sex", "F", "--expiry-date", "120415", "--optional-data", "ZE184226B",
                                    "--out", "b.bin"], in: directory)
        #expect(fields.status == 0, "\(fields.output)")
        let a = try TestSupport.read(directory.appendingPathComponent("a.bin"))
        #expect(a == (try TestSupport.read(directory.appendingPathComponent("b.bin"))))
        #expect(a.prefix(4) == [0x61, 0x5B, 0x5F, 0x1F])

        let bad = try Self.epki(["lds", "dg1", "--mrz", Self.td3[0], "L898902C37UTO7408122F1204159ZE184226B<<<<<10", "--out", "c.bin"], in: directory)
        #expect(bad.status == 1 && bad.stderr.contains("document number check digit is 7, expected 6"), "\(bad.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("c.bin").path))
        let badField = try Self.epki(["lds", "dg1", "--format", "td3", "--document-code", "P", "--issuing-state", "UTO", "--surname", "Ström",
                                      "--document-number", "X1", "--nationality", "UTO", "--birth-date", "740812", "--expiry-date", "120415",
                                      "--out", "d.bin"], in: directory)
        #expect(badField.status == 1 && badField.stderr.contains("primary identifier"), "\(badField.output)")

        let shown = try Self.epki(["lds", "show", "a.bin", "--json"], in: directory)
        #expect(shown.status == 0, "\(shown.output)")
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(object?["file"] as? String == "DG1")
        #expect(object?["documentNumber"] as? String == "L898902C3")
        #expect(object?["secondaryIdentifier"] as? String == "ANNA MARIA")
    }

    @Test func sodSignShowAndPassiveAuthentication() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.setUp(directory)
        let signed = try Self.epki(["sod", "sign", "--ds-cert", "ds.pem", "--key", "ds.enc.pem", "--passphrase-file", "pass", "--dg", "1=dg1.bin",
                                    "--dg", "14=dg14.bin", "--lds-version", "1.8", "--csca", "csca.pem", "--out", "EF.SOD"], in: directory)
        #expect(signed.status == 0, "\(signed.output)")
        #expect(signed.stdout.contains("LDS security object v1") && signed.stdout.contains("verified after signing"))

        // OpenSSL verifies the ContentInfo inside the 77 wrapper, chain included.
        let sod = try TestSupport.read(directory.appendingPathComponent("EF.SOD"))
        #expect(sod.first == 0x77)
        let header = sod[1] & 0x80 == 0 ? 2 : 2 + Int(sod[1] & 0x7F)
        try TestSupport.write(Array(sod.dropFirst(header)), directory.appendingPathComponent("sod.cms"))
        let openssl = try TestSupport.run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", "sod.cms", "-CAfile", "csca.pem",
                                                      "-purpose", "any", "-out", "/dev/null"], currentDirectory: directory)
        #expect(openssl.stderr.contains("Verification successful"), "\(openssl.output)")

        let shown = try Self.epki(["sod", "show", "EF.SOD", "--json"], in: directory)
        #expect(shown.status == 0, "\(shown.output)")
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let lso = object?["securityObject"] as? [String: Any]
        #expect(lso?["version"] as? Int == 1 && lso?["ldsVersion"] as? String == "1.8")
        #expect((lso?["dataGroupHashes"] as? [[String: Any]])?.map { $0["dataGroup"] as? Int } == [1, 14])

        #expect(try Self.epki(["lds", "com", "--dg", "1", "--dg", "14", "--lds-version", "1.8", "--out", "EF.COM"], in: directory).status == 0)
        let pa = try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "1=dg1.bin", "--dg", "14=dg14.bin", "--com", "EF.COM",
                                "--csca", "csca.pem", "--json"], in: directory)
        #expect(pa.status == 0, "\(pa.output)")
        let report = try JSONSerialization.jsonObject(with: Data(pa.stdout.utf8)) as? [String: Any]
        #expect(report?["genuine"] as? Bool == true)

        // A trust directory works as --csca does.
        let trust = directory.appendingPathComponent("trust")
        try FileManager.default.createDirectory(at: trust, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("csca.pem"), to: trust.appendingPathComponent("csca.pem"))
        #expect(try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "1=dg1.bin", "--trust-dir", "trust"], in: directory).status == 0)

        // One changed byte in DG14: exit 1, the report and the message name DG14.
        var dg14 = try TestSupport.read(directory.appendingPathComponent("dg14.bin"))
        dg14[200] ^= 0x01
        try TestSupport.write(dg14, directory.appendingPathComponent("dg14x.bin"))
        let tampered = try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "1=dg1.bin", "--dg", "14=dg14x.bin", "--csca", "csca.pem"], in: directory)
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("[failed] DG14 hash"), "\(tampered.output)")
        #expect(tampered.stderr.contains("NOT genuine: DG14 hash"), "\(tampered.stderr)")

        // Another CSCA: unknown.
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "other.key",
                                 "-out", "other.pem", "-days", "30", "-subj", "/C=XX/CN=CSCA XX"], in: directory)
        let unknown = try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "1=dg1.bin", "--csca", "other.pem"], in: directory)
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown CSCA"), "\(unknown.output)")

        // Usage and input errors.
        let noTrust = try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "1=dg1.bin"], in: directory)
        #expect(noTrust.status != 0 && noTrust.stderr.contains("--csca"))
        let badDG = try Self.epki(["pa", "verify", "--sod", "EF.SOD", "--dg", "17=dg1.bin", "--csca", "csca.pem"], in: directory)
        #expect(badDG.status != 0 && badDG.stderr.contains("1 to 16"))
        let wrongKey = try Self.epki(["sod", "sign", "--ds-cert", "csca.pem", "--key", "ds.enc.pem", "--passphrase-file", "pass",
                                      "--dg", "1=dg1.bin", "--dg", "14=dg14.bin", "--out", "x.sod"], in: directory)
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("not the key of the DS certificate"), "\(wrongKey.output)")
    }

    @Test func showsEveryVectorAndTheReferenceSODs() throws {
        for path in ["pymrtd/DG1_BSI_TR03105-5.bin", "pymrtd/DG14_ETSI_TR103200.bin", "pymrtd/DG15_ETSI_TR103200.bin",
                     "pymrtd/EF_SOD_BSI_TR03105-5.bin", "eac-worked-example/EF_CardAccess.bin", "eac-worked-example/EF_CardSecurity.bin"] {
            let result = try Self.epki(["lds", "show", TestSupport.vectorPath(path)])
            #expect(result.status == 0, "\(path): \(result.output)")
        }
        let sod = try Self.epki(["sod", "show", TestSupport.vectorPath("pymrtd/EF_SOD_BSI_TR03105-5.bin")])
        #expect(sod.stdout.contains("hashAlgorithmParameters: NULL") && sod.stdout.contains("rsa-pss-sha256"), "\(sod.output)")
        let garbage = try Self.epki(["lds", "show", TestSupport.vectorPath("pymrtd/dsc_de_0142fd5cf927.cer")])
        #expect(garbage.status == 1 && garbage.stderr.contains("EF.CardSecurity"), "\(garbage.output)")

        // The reference SOD against a CSCA it was not issued by: everything else passes, the chain does not.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k",
                                 "-out", "csca.pem", "-days", "30", "-subj", "/C=DE/CN=Some CSCA"], in: directory)
        let pa = try Self.epki(["pa", "verify", "--sod", TestSupport.vectorPath("pymrtd/EF_SOD_BSI_TR03105-5.bin"),
                                "--dg", "1=" + TestSupport.vectorPath("pymrtd/DG1_BSI_TR03105-5.bin"),
                                "--dg", "14=" + TestSupport.vectorPath("pymrtd/DG14_BSI_TR03105-5.bin"),
                                "--csca", "csca.pem", "--at", "2014-05-13"], in: directory)
        #expect(pa.status == 1)
        #expect(pa.stdout.contains("[passed] CMS signature") && pa.stdout.contains("[passed] DG1 hash") && pa.stdout.contains("[passed] DG14 hash"),
                "\(pa.output)")
        #expect(pa.stdout.contains("[failed] DS issued by CSCA: unknown CSCA"))
        #expect(pa.stdout.contains("[not checked] DG2 hash"))
    }

    @Test func demoSignsAndVerifiesASampleDocument() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try Self.epki(["demo", "--dir", directory.appendingPathComponent("pki").path, "--icao-master-list", ""])
        #expect(demo.status == 0, "\(demo.output)")
        #expect(demo.stdout.contains("ok   passive authentication against the CSCA and its CRL: genuine"))
        #expect(demo.stdout.contains("ok   passive authentication of a DG2 with one changed byte"))
        let pki = directory.appendingPathComponent("pki")
        let pa = try Self.epki(["pa", "verify", "--sod", "ef.sod", "--dg", "1=dg1.bin", "--dg", "2=dg2.bin", "--com", "ef.com",
                                "--csca", "csca.pem", "--crl", "csca.crl"], in: pki)
        #expect(pa.status == 0, "\(pa.output)")
        #expect(pa.stdout.contains("[passed] DS revocation"))
        // Explicit EC parameters: OpenSSL checks the signature alone.
        let cms = try TestSupport.run("openssl", ["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", "sod.cms", "-out", "/dev/null"],
                                      currentDirectory: pki)
        #expect(cms.stderr.contains("Verification successful"), "\(cms.output)")
    }
}
