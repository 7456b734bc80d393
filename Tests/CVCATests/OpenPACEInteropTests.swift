import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// OpenPACE (Debian package `openpace`) as the independent peer: `cvc-print --cvc-dir` verifies chains epki makes,
/// epki verifies chains `cvc-create` makes, and `cvc-create --csr` certifies epki's requests.
///
/// cvc-print exits 0 even when verification fails, so these tests read its output.
@Suite struct OpenPACEInteropTests {
    static func tool(_ name: String, _ arguments: [String], in directory: URL) throws -> TestSupport.ProcessResult {
        try TestSupport.run(name, arguments, currentDirectory: directory)
    }

    /// cvc-print's verdict on `file` with the trust directory `trust` (files named by CHR, no extension).
    static func cvcPrintVerifies(_ file: String, trust: String, in directory: URL) throws -> (Bool, String) {
        let result = try tool("cvc-print", ["--cvc=\(file)", "--cvc-dir=\(trust)"], in: directory)
        let verified = result.stdout.split(separator: "\n").contains { $0 == "certificate verified" }
        return (verified, result.output)
    }

    static func writeTrustDirectory(_ certificates: [CVCertificate], in directory: URL) throws -> URL {
        let trust = directory.appendingPathComponent("trust")
        try FileManager.default.createDirectory(at: trust, withIntermediateDirectories: true)
        for certificate in certificates {
            try TestSupport.write(certificate.encoded, trust.appendingPathComponent(certificate.chr))
        }
        return trust
    }

    @Test(arguments: ["brainpool", "rsa-pss"])
    func cvcPrintVerifiesChainsEpkiMakes(_ kind: String) throws {
        let chain = try CVTestChain.recentChain(kind)
        let directory = try TestSupport.temporaryDirectory("epki-openpace")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.writeTrustDirectory([chain.cvca, chain.dv], in: directory)
        try TestSupport.write(chain.terminal.encoded, directory.appendingPathComponent("terminal.cvcert"))
        try TestSupport.write(chain.dv.encoded, directory.appendingPathComponent("dv.cvcert"))

        let (terminalVerified, terminalOutput) = try Self.cvcPrintVerifies("terminal.cvcert", trust: "trust", in: directory)
        #expect(terminalVerified, "\(terminalOutput)")
        #expect(terminalOutput.contains("CHR: ZZISTERM00001"))
        #expect(terminalOutput.contains("Read fingerprint"))
        let (dvVerified, dvOutput) = try Self.cvcPrintVerifies("dv.cvcert", trust: "trust", in: directory)
        #expect(dvVerified, "\(dvOutput)")

        // A flipped signature bit: cvc-print still exits 0, but no longer says "certificate verified".
        var tampered = chain.terminal
        tampered.signature[10] ^= 0x01
        try TestSupport.write(tampered.encoded, directory.appendingPathComponent("tampered.cvcert"))
        let (tamperedVerified, tamperedOutput) = try Self.cvcPrintVerifies("tampered.cvcert", trust: "trust", in: directory)
        #expect(!tamperedVerified, "\(tamperedOutput)")
    }

    @Test func cvcPrintVerifiesALinkCertificateChain() throws {
        let chain = try CVTestChain.recentChain("brainpool")
        let newSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let link = try CVCertificateBuilder.link(
            newKey: newSigner.publicKey, newAlgorithm: .ecdsaSHA256, newCHR: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "CVCA", sequenceNumber: "00002"),
            effectiveDate: chain.cvca.body.effectiveDate, expirationDate: try chain.cvca.body.effectiveDate.adding(months: 36), previous: chain.cvca,
            previousSigner: chain.cvcaSigner)
        let directory = try TestSupport.temporaryDirectory("epki-openpace")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.writeTrustDirectory([chain.cvca], in: directory)
        try TestSupport.write(link.encoded, directory.appendingPathComponent("link.cvcert"))
        let (verified, output) = try Self.cvcPrintVerifies("link.cvcert", trust: "trust", in: directory)
        #expect(verified, "\(output)")
    }

    /// A date as cvc-create takes it: YYMMDD.
    static func yymmdd(_ date: CVDate) -> String { String(date.description.filter(\.isNumber).dropFirst(2)) }

    /// Runs cvc-create for a CVCA → DV → terminal chain starting on `issued` and returns the three certificates: the
    /// CVCA for three years, the DV for three months, the terminal for one month (the last day included).
    static func openPACEChain(ecdsa: Bool, issued: CVDate, in directory: URL) throws -> [CVCertificate] {
        func key(_ name: String, _ rsaBits: Int) throws {
            if ecdsa {
                try TestSupport.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-outform", "DER", "-out", name], in: directory)
            } else {
                try TestSupport.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(rsaBits)", "-outform", "DER", "-out", name], in: directory)
            }
        }
        let (cvca, dv, terminal) = ecdsa ? ("ZZCVCA00001", "ZZDVIS00001", "ZZISTERM0001") : ("ZZCVCARSA001", "ZZDVRSA00001", "ZZISRSA00001")
        let (cvcaScheme, scheme) = ecdsa ? ("ECDSA_SHA_256", "ECDSA_SHA_256") : ("RSA_v1_5_SHA_256", "RSA_PSS_SHA_256")
        try key("\(cvca).pkcs8", 3072)
        try key("\(dv).pkcs8", 2048)
        let (from, cvcaEnd, dvEnd, terminalEnd) = try (
            yymmdd(issued), yymmdd(issued.adding(months: 36).adding(days: -1)), yymmdd(issued.adding(months: 3).adding(days: -1)),
            yymmdd(issued.adding(months: 1).adding(days: -1)))
        let steps: [[String]] = [
            ["--role=cvca", "--type=is", "--chr=\(cvca)", "--issued=\(from)", "--expires=\(cvcaEnd)", "--sign-with=\(cvca).pkcs8",
             "--scheme=\(cvcaScheme)", "--read-finger", "--read-iris"],
            ["--role=dv_domestic", "--chr=\(dv)", "--issued=\(from)", "--expires=\(dvEnd)", "--sign-with=\(cvca).pkcs8", "--sign-as=\(cvca).cvcert",
             "--key=\(dv).pkcs8", "--scheme=\(scheme)", "--read-finger", "--read-iris"],
            ["--role=terminal", "--chr=\(terminal)", "--issued=\(from)", "--expires=\(terminalEnd)", "--sign-with=\(dv).pkcs8", "--sign-as=\(dv).cvcert",
             "--scheme=\(scheme)", "--read-finger"],
        ]
        for arguments in steps {
            let result = try tool("cvc-create", arguments, in: directory)
            guard result.output.contains("Created") else { throw TestFailure("cvc-create \(arguments.joined(separator: " ")): \(result.output)") }
        }
        return try [cvca, dv, terminal].map { try CVCertificate(encoded: TestSupport.read(directory.appendingPathComponent("\($0).cvcert"))) }
    }

    @Test(arguments: [true, false])
    func epkiVerifiesChainsCvcCreateMakes(_ ecdsa: Bool) throws {
        let directory = try TestSupport.temporaryDirectory("epki-openpace")
        defer { try? FileManager.default.removeItem(at: directory) }
        // epki's own verdict, under fixed clocks: a chain issued on 1 November 2026, checked on the 15th and the 1st of December.
        let certificates = try Self.openPACEChain(ecdsa: ecdsa, issued: CVDate(year: 2026, month: 11, day: 1), in: directory)
        #expect(certificates.map(\.body.expirationDate.description) == ["2029-10-31", "2027-01-31", "2026-11-30"])
        for (index, certificate) in certificates.enumerated() {
            let bytes = try TestSupport.read(directory.appendingPathComponent("\(certificate.chr).cvcert"))
            #expect(try certificate.encoded == bytes)
            #expect(certificate.publicKey.hasDomainParameters == (ecdsa && index == 0))
        }
        #expect(certificates[0].publicKey.algorithm == (ecdsa ? .ecdsaSHA256 : .rsaV1_5SHA256))
        #expect(certificates[1].publicKey.algorithm == (ecdsa ? .ecdsaSHA256 : .rsaPSSSHA256))
        #expect(certificates[0].chat.inspectionSystemRights == [.readDG3, .readDG4])
        let clock = FixedClock(try CVDate(year: 2026, month: 11, day: 15).start)
        let report = CVChainVerifier(clock: clock).verify(certificates[2], pool: CVCertificatePool(Array(certificates[0...1])))
        #expect(report.isValid, "\(report)")
        #expect(report.check(named: "effective authorization")?.detail == "id-IS 01 (terminal; read DG3)")
        if !ecdsa {
            // OpenPACE signs RSA-PSS with the longest salt that fits, not the hash length TR-03110 asks for.
            #expect(report.check(named: "signature encoding ZZISRSA00001")?.status == .warning)
        }
        // And the same chain once the terminal has expired.
        let later = FixedClock(try CVDate(year: 2026, month: 12, day: 1).start)
        #expect(!CVChainVerifier(clock: later).verify(certificates[2], pool: CVCertificatePool(Array(certificates[0...1]))).isValid)
    }

    @Test func cvcCreateCertifiesAnEpkiRequest() throws {
        let directory = try TestSupport.temporaryDirectory("epki-openpace")
        defer { try? FileManager.default.removeItem(at: directory) }
        // cvc-print checks validity against the machine's clock: the chain starts two weeks before today.
        let issuedOn = try CVTestChain.recent
        let certificates = try Self.openPACEChain(ecdsa: true, issued: issuedOn, in: directory)
        let cvca = certificates[0]

        // A DV key made by epki, its request made by epki.
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let request = try CVCertificateRequest.create(
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVNEW", sequenceNumber: "00001"),
            car: CertificationAuthorityReference(encoded: Array(cvca.chr.utf8)), signer: dvSigner, algorithm: .ecdsaSHA256)
        try TestSupport.write(request.encoded, directory.appendingPathComponent("dvnew.cvreq"))

        let printed = try Self.tool("cvc-print", ["--csr=dvnew.cvreq"], in: directory)
        #expect(printed.stdout.contains("certificate request verified"), "\(printed.output)")

        let issued = try Self.tool(
            "cvc-create",
            ["--csr=dvnew.cvreq", "--role=dv_domestic", "--type=is", "--issued=\(Self.yymmdd(issuedOn))",
             "--expires=\(Self.yymmdd(try issuedOn.adding(months: 3)))", "--sign-with=\(cvca.chr).pkcs8",
             "--scheme=ECDSA_SHA_256", "--read-finger", "--out-cert=dvnew.cvcert"], in: directory)
        #expect(issued.output.contains("Created"), "\(issued.output)")
        let dv = try CVCertificate(encoded: TestSupport.read(directory.appendingPathComponent("dvnew.cvcert")))
        #expect(dv.chr == "ZZDVNEW00001")
        #expect(dv.publicKey.isSameKey(as: request.publicKey))
        let report = CVChainVerifier(clock: FixedClock(try issuedOn.adding(days: 14).start)).verify(dv, pool: CVCertificatePool([cvca]))
        #expect(report.isValid, "\(report)")

        // epki issues a terminal certificate under OpenPACE's DV with the epki-held DV key; cvc-print checks it.
        let terminalSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(terminalSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "ISNEW", sequenceNumber: "00001"), rights: [0x01],
            effectiveDate: issuedOn.adding(days: 1), expirationDate: issuedOn.adding(months: 1), issuer: dv,
            issuerSigner: dvSigner, issuerDomainParameters: cvca.publicKey.domainParameters)
        _ = try Self.writeTrustDirectory([cvca, dv], in: directory)
        try TestSupport.write(terminal.encoded, directory.appendingPathComponent("isnew.cvcert"))
        let (verified, output) = try Self.cvcPrintVerifies("isnew.cvcert", trust: "trust", in: directory)
        #expect(verified, "\(output)")
    }

    @Test func epkiSignsWithAKeyOpenSSLMade() throws {
        // cvc-create's key files are SEC1/PKCS#1 DER; epki reads them unencrypted here only because it is a test.
        let directory = try TestSupport.temporaryDirectory("epki-openpace")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try Self.openPACEChain(ecdsa: true, issued: CVTestChain.recent, in: directory)
        let der = try TestSupport.read(directory.appendingPathComponent("ZZCVCA00001.pkcs8"))
        let key = try PrivateKey(encoded: der, passphrase: nil, allowUnencrypted: true)
        let cvcaSigner = SoftwareSigner(key: key)
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: true),
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVEPKI", sequenceNumber: "00001"), role: .foreignDV,
            rights: [0x02], effectiveDate: certificates[0].body.effectiveDate,
            expirationDate: certificates[0].body.effectiveDate.adding(months: 3).adding(days: -1),
            issuer: certificates[0], issuerSigner: cvcaSigner)
        _ = try Self.writeTrustDirectory([certificates[0]], in: directory)
        try TestSupport.write(dv.encoded, directory.appendingPathComponent("dvepki.cvcert"))
        let (verified, output) = try Self.cvcPrintVerifies("dvepki.cvcert", trust: "trust", in: directory)
        #expect(verified, "\(output)")
        #expect(output.contains("Read iris"))
    }
}
