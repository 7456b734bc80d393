import ArgumentParser
import CSCA
import CVCA
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ICAOProfile
import LDS
import NPKD
import Inspection
import Personalization
import PKICore
import SmartCard
import Store
import VirtualChip
import SwiftASN1
import CVC

/// The suite's main job on the embedded default: a country's CSCA on a fresh data directory, with a Document
/// Signer, a Master List Signer, a revocation and its CRL, a sample document's data groups with their EF.SOD, a
/// signed master list; the country's CVCA with a domestic DV and an inspection system (EAC, BSI TR-03110); then
/// the national PKD imports the real ICAO master list and the country's own, and border control verifies the
/// sample document through the NPKD's HTTP service; a second country's DV obtains a certificate from the country's
/// CVCA through the two SPOCs. Every step is checked; files are left for `openssl` and
/// OpenPACE to check too.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up a sample national PKI in a fresh directory, run it end to end, and verify everything it produced.")

    @Option(help: "Output directory (created; must be empty or absent). The data directory is <dir>/data.")
    var dir: String = "epki-demo"

    @Option(help: "Country code of the sample CSCA.")
    var country: String = "UT"

    @Option(help: "Key algorithm for CSCA, DS and MLS keys.")
    var algorithm: String = "ec:brainpoolP256r1"

    @Option(name: .customLong("icao-master-list"), help: "The ICAO master list the NPKD imports (empty to skip).")
    var icaoMasterList: String = "Vectors/csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml"

    @Option(name: .customLong("vpcd-port"), help: "vpcd's port in a running pcscd: the sample passport is personalized into a virtual chip there (demo.sh starts a private pcscd).")
    var vpcdPort: UInt16?

    @Option(help: "The reader of --vpcd-port's first slot, as pcscd names it.") var reader: String = "Virtual PCD 00 00"

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: dir), !existing.isEmpty {
            throw PKIError(.fileError, "'\(dir)' is not empty; choose another --dir")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        // A per-run random passphrase: the demo's software keys are encrypted at rest like every other key.
        let secret = try OpenSSLRandom.hex(16)
        try IO.write(secret + "\n", to: path("passphrase.txt"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("passphrase.txt"))
        let store = try EPKIStore(directory: directory.appendingPathComponent("data"),
                                  migrations: StoreOptions.migrations)
        let keys = SoftwareKeyProvider(store: store, passphrase: Passphrase(secret))
        let ca = try CountrySigningCA(store: store, domain: country, keys: keys)
        let specification = try KeySpecification(algorithm)

        print("1. CSCA of domain \(country) (\(specification), explicit EC parameters) in \(path("data"))")
        var policy = CSCAPolicy()
        policy.crlDistributionPoints = ["https://pkd.example/\(country).crl"]
        policy.defaultDocumentTypes = ["P", "ID"]
        let csca = try ca.initialize(
            subject: DistinguishedName(attributes: [
                (.NameAttributes.countryName, country), (.NameAttributes.organizationName, "Utopia Passport Office"),
                (.NameAttributes.commonName, "CSCA \(country)"), (.NameAttributes.serialNumber, "001"),
            ]), key: specification, policy: policy)
        try IO.write(csca.pemEncoded, to: path("csca.pem"))

        print("2. Document Signer (document types P, ID) and Master List Signer")
        let organization = (ASN1ObjectIdentifier.NameAttributes.organizationName, "Utopia Passport Office")
        let ds = try ca.issueDocumentSigner(
            subject: DistinguishedName(attributes: [(.NameAttributes.countryName, country), organization,
                                                    (.NameAttributes.commonName, "Document Signer \(country) 1")]),
            key: .generate(specification))
        try IO.write(ds.certificate.pemEncoded, to: path("ds.pem"))
        let mls = try ca.issueListSigner(
            .masterList, subject: DistinguishedName(attributes: [(.NameAttributes.countryName, country), organization,
                                                                 (.NameAttributes.commonName, "Master List Signer \(country)")]),
            key: .generate(specification))
        try IO.write(mls.certificate.pemEncoded, to: path("mls.pem"))

        print("3. A compromised Document Signer revoked, and the CRL")
        let lost = try ca.issueDocumentSigner(
            subject: DistinguishedName(attributes: [(.NameAttributes.countryName, country), (.NameAttributes.commonName, "Document Signer \(country) 2")]),
            key: .generate(specification))
        try ca.revoke(serial: lost.certificate.serialNumberHex)
        guard let crl = try ca.issueCRLs().last else { throw CLIFailure(message: "no CRL was issued") }
        try IO.write(crl.derEncoded, to: path("csca.crl"))

        print("4. A sample document: DG1 (TD3 MRZ), DG2 (a synthetic face record), EF.COM, and its EF.SOD signed by the DS")
        let expiry = CivilDate(Date().addingTimeInterval(10 * 365 * 86_400))
        let mrz = try MRZ(fields: MRZFields(
            format: .td3, documentCode: "P", issuingState: country, primaryIdentifier: "Eriksson", secondaryIdentifier: "Anna Maria",
            documentNumber: "L898902C3", nationality: country, dateOfBirth: "740812", sex: "F", dateOfExpiry: expiry.yymmdd,
            optionalData: "ZE184226B"))
        let dg1 = DG1(mrz: mrz).encode()
        // A stand-in JPEG (start of image, a frame header for 480 × 640, filler, end of image): the demo shows the
        // structure, not a portrait.
        let jpeg = Self.standInJPEG
        let face = FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 480, height: 640, gender: 2)
        let dg2 = DG2(faces: [FacialRecord(images: [face])]).encode()
        let dataGroups = [1: dg1, 2: dg2]
        let com = try EFCOM(dataGroups: [DataGroupNumber(1), DataGroupNumber(2)].compactMap { $0 }).encode()
        guard let dsKey = ds.keyReference else { throw CLIFailure(message: "the DS key was not recorded") }
        let sodSigner = try SODSigner(signer: keys.signer(for: dsKey), documentSigner: ds.certificate)
        let efSOD = try sodSigner.sign(dataGroups: dataGroups)  // read back and verified before it is returned
        try IO.write(dg1, to: path("dg1.bin"))
        try IO.write(dg2, to: path("dg2.bin"))
        try IO.write(com, to: path("ef.com"))
        try IO.write(efSOD.encode(), to: path("ef.sod"))
        // The ContentInfo inside the 77 wrapper, for `openssl cms -verify`.
        try IO.write(efSOD.signedData.contentInfoDER(), to: path("sod.cms"))

        print("5. The country's master list, signed by the MLS")
        let masterList = try ca.signMasterList(certificates: [csca])
        try IO.write(masterList.contentInfoDER(), to: path("masterlist.ml"))

        print("6. EAC: the CVCA (brainpoolP256r1), a domestic Document Verifier and an inspection system, and EF.CVCA")
        let eac = try Self.extendedAccessControl(store: store, country: country, passphrase: Passphrase(secret), path: path)

        var failures = 0
        func check(_ name: String, _ ok: Bool) {
            print("   \(ok ? "ok  " : "FAIL") \(name)")
            if !ok { failures += 1 }
        }

        print("7. The national PKD: the ICAO master list, the country's own list and CRL")
        let pkd = try NationalPKD(store: store)
        if !icaoMasterList.isEmpty {
            let icao = try MasterListReader().read(IO.read(icaoMasterList, what: "ICAO master list"))
            // The operator decides to trust ICAO's Master List Signer (in production: after checking it out of band).
            let summary = try pkd.importFile(atPath: icaoMasterList, options: ImportOptions(trustSigners: icao.signerCertificate.map { [$0] } ?? []))
            check("ICAO master list: \(summary.certificatesAddedTotal) certificates imported, signature and signer chain verified", icao.report.isValid && summary.certificatesAddedTotal > 500)
        }
        _ = try pkd.importFile(atPath: path("masterlist.ml"), options: ImportOptions(trustSigners: [mls.certificate]))
        let crlImport = try pkd.importFile(atPath: path("csca.crl"))
        check("\(country) master list and CRL imported (\(crlImport.crlEntries) revoked)", crlImport.crlsAdded == 1)

        print("8. Border control verifies the document through the NPKD service (POST /v1/pa/verify on 127.0.0.1)")
        let bodies = try [("genuine", dataGroups), ("DG2 with one changed byte", { var altered = dataGroups; altered[2]?[100] ^= 0x01; return altered }())].map {
            ($0.0, try Self.requestBody(sod: efSOD.encode(), dataGroups: $0.1, efCOM: com))
        }
        // The service is stopped by cancellation once the demo has its answers; its shutdown is not news here.
        setenv("LOG_LEVEL", "critical", 0)
        let service = BorderControlService(pkd: pkd)
        let answers = try Self.askService(service, bodies: bodies.map(\.1))
        check("sample document: HTTP \(answers[0].status), genuine", answers[0].status == 200 && answers[0].genuine)
        check("altered DG2: HTTP \(answers[1].status), not genuine", answers[1].status == 422 && !answers[1].genuine)

        print("9. A personalization line: the sample passport's order into a blank virtual chip through pcscd, locked, read back")
        if let vpcdPort {
            try Self.personalize(store: store, country: country, mrz: mrz, face: jpeg, signer: keys.signer(for: dsKey), ds: ds.certificate,
                                 csca: csca, eac: eac, port: vpcdPort, reader: reader, path: path, check: check)
        } else {
            print("   skipped: no pcscd with vpcd given (--vpcd-port); scripts/demo.sh starts a private one when it runs as root")
        }

        print("10. A second country's DV asks our CVCA for a certificate through the two SPOCs (SOAP, mutual TLS, ICAO Doc 9303-12 §8)")
        try Self.spocExchange(store: store, country: country, passphrase: Passphrase(secret), csca: ca, crl: crl, directory: directory, check: check)

        print("11. Checking the rest")
        check("CSCA, DS and MLS certificates conform to Doc 9303-12", ProfileLinter.lint(csca, as: .csca).isEmpty
              && ProfileLinter.lint(ds.certificate, as: .documentSigner, issuer: csca).isEmpty
              && ProfileLinter.lint(mls.certificate, as: .masterListSigner, issuer: csca).isEmpty)
        let crlEntries = try crl.entryCount()
        check("CRL conforms, verifies with the CSCA key and lists the revoked DS",
              ProfileLinter.lint(crl, issuer: csca).isEmpty && crlEntries == 1)
        let sodReport = try IO.decode(path("sod.cms"), what: "sod") { bytes in try SignedData(contentInfoBytes: bytes) }.verify(signerCertificate: ds.certificate)
        check("EF.SOD: CMS signed by the DS", sodReport.isValid)
        let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [csca], crls: [crl]))
        let pa = verifier.verify(sod: try IO.read(path("ef.sod"), what: "EF.SOD"), dataGroups: dataGroups, efCOM: com)
        check("passive authentication against the CSCA and its CRL: genuine", pa.isGenuine)
        for failure in pa.failures { print("        \(failure.name): \(failure.detail)") }
        var altered = dataGroups
        altered[2]?[100] ^= 0x01
        let tampered = verifier.verify(sod: try IO.read(path("ef.sod"), what: "EF.SOD"), dataGroups: altered)
        check("passive authentication of a DG2 with one changed byte: not genuine, DG2 named",
              !tampered.isGenuine && tampered.failures.map(\.name) == [PassiveAuthentication.Check.dataGroupHash(2)])
        check("master list conforms (signature, MLS EKU, signingTime)", ProfileLinter.lint(masterList, kind: .masterList).isEmpty)
        let eacReport = CVChainVerifier().verify(path: CVCertificatePath(eac.chain))
        check("CV chain \(eac.chain.map(\.chr).joined(separator: " → ")) verifies (effective rights: \(eacReport.check(named: "effective authorization")?.detail ?? "none"))",
              eacReport.isValid)
        for failure in eacReport.checks where failure.status == .failed { print("        \(failure.name): \(failure.detail)") }
        check("inspection system rights within the DV's, the DV's within the CVCA's",
              eac.chain.count == 3 && eac.chain[2].chat.isSubset(of: eac.chain[1].chat) && eac.chain[1].chat.isSubset(of: eac.chain[0].chat))
        check("EF.CVCA names the trust point \(eac.efCVCA.references.joined(separator: ", "))", eac.efCVCA.references == [eac.chain[0].chr])
        check("audit trail of domain \(country) intact", try store.verifyAudit(domain: country).isIntact)
        check("audit trail of the NPKD intact", try store.verifyAudit(domain: NationalPKD.defaultDomain).isIntact)

        print("\nFiles in \(dir): csca.pem ds.pem mls.pem csca.crl dg1.bin dg2.bin ef.com ef.sod sod.cms masterlist.ml")
        print("  cvca.cvcert dv.cvcert is.cvcert ef.cvca, the CV chain in cvc/ (OpenPACE's --cvc-dir layout); the store in data/.")
        print("Verify the document again with: epki pa verify --sod \(path("ef.sod")) --dg 1=\(path("dg1.bin")) --dg 2=\(path("dg2.bin")) --csca \(path("csca.pem")) --crl \(path("csca.crl"))")
        print("Look at the CA with:            EPKI_HOME=\(path("data")) epki csca status --domain \(country)")
        print("Check with OpenSSL too, e.g.:   openssl crl -in \(path("csca.crl")) -inform DER -CAfile \(path("csca.pem")) -noout")
        print("The CV chain with OpenPACE:     cvc-print --cvc=\(path("is.cvcert")) --cvc-dir=\(path("cvc"))")
        guard failures == 0 else { throw CLIFailure(message: "\(failures) check(s) failed") }
        print("demo complete: all checks passed")
    }

    /// Step 6: the country's CVCA, its domestic DV (request, certificate, import) and an inspection system whose
    /// own key and request are made as a terminal would make them; files for OpenPACE, EF.CVCA for personalization.
    static func extendedAccessControl(store: EPKIStore, country: String, passphrase: Passphrase,
                                      path: (String) -> String) throws -> (chain: [CVCertificate], efCVCA: EFCVCA, terminalKey: SoftwareSigner) {
        let keys = SoftwareKeyProvider(store: store, passphrase: passphrase)
        let cvca = try CountryVerifyingCA(store: store, domain: country, keys: keys)
        let root = try cvca.initialize(country: country, key: .ec(.brainpoolP256r1, parameters: .namedCurve))
        let dvca = try DocumentVerifierCA(store: store, domain: country, keys: keys)
        _ = try dvca.initialize(country: country, mnemonic: "DVIS")
        let dv = try cvca.signRequest(dvca.request().request.encoded)
        _ = try dvca.importCertificate(dv.certificate)
        // The inspection system's key stays with the terminal: only its request reaches the DVCA.
        let terminalKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let request = try CVCertificateRequest.create(
            chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "BCIS", sequenceNumber: "00001"),
            car: CertificationAuthorityReference(encoded: Array(dv.certificate.chr.utf8)), signer: terminalKey, algorithm: .ecdsaSHA256)
        let terminal = try dvca.issueTerminal(request.encoded)
        let efCVCA = try cvca.efCVCA()
        try IO.write(root.encoded, to: path("cvca.cvcert"))
        try IO.write(dv.certificate.encoded, to: path("dv.cvcert"))
        try IO.write(terminal.certificate.encoded, to: path("is.cvcert"))
        try IO.write(efCVCA.encoded, to: path("ef.cvca"))
        try CVCACLI.writeChain([root, dv.certificate], to: path("cvc"))
        return (terminal.chain, efCVCA, terminalKey)
    }

    static let standInJPEG: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xE0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01,
                                       0x03, 0x11, 0x01] + Array(repeating: 0x5A, count: 512) + [0xFF, 0xD9]

    /// Step 9: the line's order for the sample passport (its MRZ, the stand-in face, two stand-in WSQ fingers),
    /// personalized into a blank chip served through vpcd, and the chip read back through pcscd by the line and
    /// again by an inspection system with Terminal Authentication.
    static func personalize(store: EPKIStore, country: String, mrz: MRZ, face: [UInt8], signer: any Signer, ds: Certificate, csca: Certificate,
                            eac: (chain: [CVCertificate], efCVCA: EFCVCA, terminalKey: SoftwareSigner), port: UInt16, reader: String,
                            path: (String) -> String, check: (String, Bool) -> Void) throws {
        let finger: (Int) -> [UInt8] = { index in
            [0xFF, 0xA0, 0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x01, 0xF4, 0x01, 0x90] + [UInt8](repeating: 0, count: 11) + [UInt8](repeating: UInt8(index), count: 800)
        }
        var order = DocumentOrder(mrz: mrz.lines, can: "123456", photo: face, fingerprints: [.init(position: 1, image: finger(1)), .init(position: 6, image: finger(6))])
        order.dg12 = ["issuingAuthority": "UTOPIA PASSPORT OFFICE"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try IO.write(Array(try encoder.encode(order)), to: path("order.json"))
        let journal = try PersonalizationJournal(store: store, domain: country)
        try journal.setProfile(ChipProfile())
        let profile = try journal.profile()
        let terminal = InspectionSystem.TerminalCredentials(chain: eac.chain, key: eac.terminalKey)
        let line = PersonalizationLine(
            journal: journal, builder: try DocumentBuilder(profile: profile, trustPoints: [eac.chain[0]]),
            sodSigner: try SODSigner(signer: signer, documentSigner: ds), readBack: InspectionReadBack(cscas: [csca], terminal: terminal, clock: SystemClock()))

        let chip = try EMRTDChip(state: ChipState())
        let connection = try VPCDConnection(port: port)
        connection.start(chip)
        defer { connection.stop() }
        let context = try PCSCTransport.Context()
        try context.waitForCard(in: reader, milliseconds: 10_000)
        let transport = try PCSCTransport(context: context, reader: reader)
        defer { transport.disconnect() }
        let report = line.personalize(order, transport: transport, reader: reader)
        try IO.write(report.jsonValue.string(pretty: true) + "\n", to: path("perso-report.json"))
        print("   " + report.line)
        check("chip personalized, locked and read back through pcscd: \(report.readBack?.summary ?? report.reason ?? "")", report.succeeded && chip.lifecycle == .operational)

        // A border post reads it again: PACE with the CAN, Chip and Terminal Authentication, DG3, passive authentication.
        let border = InspectionSystem(password: .can("123456"), terminal: terminal,
                                      passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [csca])))
        let inspection = border.inspect(transport)
        check("inspection through pcscd: \(inspection.summary) (\(inspection.access ?? "no access"), \(inspection.biometricAccess ?? "no biometrics")), fingerprints read",
              inspection.summary == "genuine" && inspection.dataGroups[3] != nil)
        let again = line.personalize(order, transport: transport, reader: reader)
        check("the same order again is refused: \(again.reason ?? "")", again.outcome == "refused")
    }

    static func requestBody(sod: [UInt8], dataGroups: [Int: [UInt8]], efCOM: [UInt8]) throws -> Data {
        let groups = Dictionary(uniqueKeysWithValues: dataGroups.map { (String($0.key), Data($0.value).base64EncodedString()) })
        return try JSONSerialization.data(withJSONObject: [
            "sod": Data(sod).base64EncodedString(), "dataGroups": groups, "efCOM": Data(efCOM).base64EncodedString(),
        ])
    }

    struct Answer: Sendable {
        let status: Int
        let genuine: Bool
    }

    /// Starts the service on a free loopback port, posts each body to /v1/pa/verify, and stops the service.
    static func askService(_ service: BorderControlService, bodies: [Data]) throws -> [Answer] {
        let answers = Locked<[Answer]>([])
        try AsyncBridge.run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
                group.addTask {
                    try await service.run(host: "127.0.0.1", port: 0) { port in continuation.yield(port) }
                }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw CLIFailure(message: "the NPKD service did not start") }
                for body in bodies {
                    guard let url = URL(string: "http://127.0.0.1:\(port)/v1/pa/verify") else { continue }
                    var request = URLRequest(url: url)
                    request.httpMethod = "POST"
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = body
                    let (data, response) = try await URLSession.shared.data(for: request)
                    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                    let answer = Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, genuine: object?["genuine"] as? Bool ?? false)
                    answers.withLock { $0.append(answer) }
                }
                group.cancelAll()
            }
        }
        return answers.withLock { $0 }
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

