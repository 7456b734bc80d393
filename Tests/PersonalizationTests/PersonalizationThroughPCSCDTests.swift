import CVC
import Foundation
import LDS
import Personalization
import PKICore
import SmartCard
import Store
import Testing
import TestSupport
import VirtualChip

/// A line's files: the CSCA, the DS and its encrypted key, the CVCA trust point, the line's IS chain and key, a
/// data directory, orders.
struct LineFiles {
    let fixture: LineFixture
    let directory: URL
    let dataDirectory: URL
    let orders: URL
    static let passphrase = "perso line test passphrase"

    init() throws {
        fixture = try LineFixture(aroundNow: true)
        directory = fixture.directory
        dataDirectory = directory.appendingPathComponent("data")
        orders = directory.appendingPathComponent("orders")
        try FileManager.default.createDirectory(at: orders, withIntermediateDirectories: true)
        try TestSupport.write(fixture.csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(fixture.documentSigner.pemEncoded, directory.appendingPathComponent("ds.pem"))
        try TestSupport.write(try fixture.dsKey.encryptedPKCS8(passphrase: Passphrase(Self.passphrase)), directory.appendingPathComponent("ds.key"))
        try TestSupport.write(try fixture.cvca.encoded, directory.appendingPathComponent("cvca.cvcert"))
        for (index, certificate) in fixture.terminal.chain.enumerated() {
            try TestSupport.write(try certificate.encoded, directory.appendingPathComponent("is-\(index).cvcert"))
        }
        let isKey = try #require(fixture.terminal.key as? SoftwareSigner).key
        try TestSupport.write(try isKey.encryptedPKCS8(passphrase: Passphrase(Self.passphrase)), directory.appendingPathComponent("is.key"))
    }

    func writeOrder(_ number: String) throws {
        try JSONEncoder().encode(LineFixture.order(number)).write(to: orders.appendingPathComponent("\(number).json"))
    }

    var lineArguments: [String] {
        ["--data-dir", dataDirectory.path, "--domain", "utopia", "--ds-cert", directory.appendingPathComponent("ds.pem").path,
         "--key", directory.appendingPathComponent("ds.key").path, "--csca", directory.appendingPathComponent("csca.pem").path,
         "--trust-point", directory.appendingPathComponent("cvca.cvcert").path]
            + (0..<3).flatMap { ["--is-chain", directory.appendingPathComponent("is-\($0).cvcert").path] }
            + ["--is-key", directory.appendingPathComponent("is.key").path]
    }

    func environment(_ pcscd: PrivatePCSCD) -> [String: String] {
        pcscd.environment.merging(["EPKI_PASSPHRASE": Self.passphrase]) { $1 }
    }

    func journal() throws -> PersonalizationJournal {
        try PersonalizationJournal(store: EPKIStore(directory: dataDirectory, migrations: PersonalizationJournal.migrations), domain: "utopia")
    }
}

/// Puts blank chips into one vpcd slot, one after another: a new card whenever the line has written a report for
/// this reader (the booklet moved on), until stopped.
final class CardFeeder: @unchecked Sendable {
    let port: UInt16
    let reader: String
    let reports: URL
    private let lock = NSLock()
    private var stopped = false
    private(set) var chips: [EMRTDChip] = []
    private let thread = DispatchGroup()

    init(port: UInt16, reader: String, reports: URL) {
        self.port = port
        self.reader = reader
        self.reports = reports
    }

    func reportCount() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: reports.path)) ?? []
        return names.filter { name in
            guard let data = FileManager.default.contents(atPath: reports.appendingPathComponent(name).path),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
            return object["reader"] as? String == reader
        }.count
    }

    func start() {
        thread.enter()
        Thread.detachNewThread { [self] in
            defer { thread.leave() }
            while !lock.withLock({ stopped }) {
                guard let chip = try? EMRTDChip(state: ChipState()), let connection = try? VPCDConnection(port: port) else {
                    usleep(100_000)
                    continue
                }
                lock.withLock { chips.append(chip) }
                let before = reportCount()
                connection.start(chip)
                while !lock.withLock({ stopped }) && reportCount() == before { usleep(50_000) }
                connection.stop()
                usleep(100_000)
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        thread.wait()
    }
}

/// The line through the real PC/SC stack: `epki perso` against blank virtual chips in the private pcscd's vpcd
/// readers, read back by the suite and by a pyscard client that shares no code with it.
@Suite(.serialized, .disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
struct PersonalizationThroughPCSCDTests {
    /// The four slots of the two vpcd readers after the first ("Virtual PCD 1", "Virtual PCD 2"), which no other
    /// suite uses.
    static func lineReaders(_ pcscd: PrivatePCSCD) throws -> [(port: UInt16, name: String)] {
        let names = ["Virtual PCD 1 00 00", "Virtual PCD 1 00 01", "Virtual PCD 2 00 00", "Virtual PCD 2 00 01"]
        let listed = try PCSCTransport.Context().readers()
        guard Set(names).isSubset(of: listed), pcscd.ports.count >= 6 else { throw TestFailure("the private pcscd lists \(listed), not \(names)") }
        return names.enumerated().map { (pcscd.ports[$0.offset + 2], $0.element) }
    }

    @Test func anOrderPersonalizedThroughPCSCDReadsBackInAnIndependentClient() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let files = try LineFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let (port, reader) = try Self.lineReaders(pcscd)[0]
        try files.writeOrder("UTO100001")
        let context = try PCSCTransport.Context()
        let chip = try EMRTDChip(state: ChipState())
        let connection = try VPCDConnection(port: port)
        connection.start(chip)
        defer { connection.stop() }
        try context.waitForCard(in: reader, milliseconds: 10_000)

        let report = files.directory.appendingPathComponent("UTO100001.report.json")
        let run = try TestSupport.run(try TestSupport.epkiExecutable(),
                                      ["perso", "run", "--order", files.orders.appendingPathComponent("UTO100001.json").path, "--reader", reader,
                                       "--report", report.path] + files.lineArguments, environment: files.environment(pcscd))
        #expect(run.status == 0, "\(run.output)")
        #expect(run.stdout.contains("UTO100001: personalized and verified on \(reader)"), "\(run.output)")
        #expect(chip.lifecycle == .operational)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let card = try #require(json["card"] as? [String: Any])
        #expect((card["commands"] as? Int ?? 0) > 100 && (card["bytesSent"] as? Int ?? 0) > 20_000, "\(card)")
        let readBack = try #require(json["readBack"] as? [String: Any])
        #expect(readBack["passed"] as? Bool == true, "\(readBack["summary"] ?? "")")

        // pyscard with its own BAC and secure messaging reads every file the order made, equal to what the order says.
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/PersonalizationTests/Peers/bac_read.py").path
        let fids = ["011E", "0101", "0102", "010B", "010C", "010E", "010F", "011D"]
        let read = try TestSupport.run("/usr/bin/python3", [script, reader, "UTO100001", "740812", "320415"] + fids, environment: pcscd.environment)
        #expect(read.status == 0, "\(read.output)")
        let hex = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: String], "\(read.output)")
        let bytes = try hex.mapValues { try #require([UInt8](hex: $0)) }
        let dg1 = try DG1(bytes: try #require(bytes["0101"]))
        #expect(dg1.mrz.lines == (try LineFixture.order("UTO100001").validated().mrz.lines))
        let dg2 = try DG2(bytes: try #require(bytes["0102"]))
        #expect(dg2.faces.first?.images.first?.imageData == LineFixture.photo)
        let dg11 = try DG11(bytes: try #require(bytes["010B"]))
        #expect(dg11[.fullName] == "ERIKSSON<<ANNA<MARIA" && dg11[.placeOfBirth] == "ZENITH")
        let dg12 = try DG12(bytes: try #require(bytes["010C"]))
        #expect(dg12[.issuingAuthority] == "UTOPIA PASSPORT OFFICE")
        #expect(try EFCOM(bytes: try #require(bytes["011E"])).dataGroups.map(\.value) == [1, 2, 3, 11, 12, 14, 15])
        // EF.SOD: openssl verifies the signature to the CSCA, and its hashes are those of the files pyscard read.
        let sodBytes = try #require(bytes["011D"])
        let sod = try EFSOD(bytes: sodBytes)
        for (fid, number) in [("0101", 1), ("0102", 2), ("010B", 11), ("010C", 12), ("010E", 14), ("010F", 15)] {
            #expect(sod.securityObject.hashValue(for: number) == (try HashAlgorithm.sha256.hash(try #require(bytes[fid]))), "DG\(number)")
        }
        let cms = files.directory.appendingPathComponent("sod.p7b")
        try TestSupport.write(try sod.signedData.contentInfoDER(), cms)
        let verified = try TestSupport.run("openssl", ["cms", "-verify", "-inform", "DER", "-in", cms.path, "-CAfile",
                                                       files.directory.appendingPathComponent("csca.pem").path, "-purpose", "any",
                                                       "-out", files.directory.appendingPathComponent("lso.der").path])
        #expect(verified.status == 0 && verified.output.contains("Verification successful"), "\(verified.output)")

        let status = try TestSupport.run(try TestSupport.epkiExecutable(), ["perso", "status", "--data-dir", files.dataDirectory.path,
                                                                              "--domain", "utopia", "--document", "UTO100001"])
        #expect(status.stdout.contains("UTO100001 attempt 1: verified on \(reader)"), "\(status.output)")
        // The same order again: refused, the document is made.
        let again = try TestSupport.run(try TestSupport.epkiExecutable(),
                                        ["perso", "run", "--order", files.orders.appendingPathComponent("UTO100001.json").path, "--reader", reader]
                                            + files.lineArguments, environment: files.environment(pcscd))
        #expect(again.status == 1 && again.stdout.contains("was personalized already"), "\(again.output)")
    }

    @Test func aBatchOverFourReadersSurvivesAKillAndMakesEachDocumentOnce() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let files = try LineFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let readers = try Self.lineReaders(pcscd)
        let numbers = (1...12).map { String(format: "UTO2%05d", $0) }
        for number in numbers { try files.writeOrder(number) }
        let reports = files.directory.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        let feeders = readers.map { CardFeeder(port: $0.port, reader: $0.name, reports: reports) }
        feeders.forEach { $0.start() }
        defer { feeders.forEach { $0.stop() } }
        let arguments = ["perso", "batch", "--orders", files.orders.path, "--readers", readers.map(\.name).joined(separator: ","),
                         "--reports", reports.path, "--card-timeout", "20"] + files.lineArguments

        // The first run is killed (kill -9) once a few documents are done and others are on their cards. On a
        // loaded machine the card in progress may be finished between the look at the journal and the kill: then
        // the batch is started and killed again (the restart below must cope with any number of such runs).
        let log = files.directory.appendingPathComponent("first.out")
        let journal = try files.journal()
        var beforeRestart: [PersonalizationAttempt] = []
        var unfinished: [PersonalizationAttempt] = []
        for _ in 1...4 where unfinished.isEmpty {
            let first = try Subprocess(try TestSupport.epkiExecutable(), arguments, environment: ProcessInfo.processInfo.environment.merging(files.environment(pcscd)) { $1 },
                                       standardOutput: log.path, standardError: log.path)
            let deadline = Date().addingTimeInterval(120)
            // Killed with documents done and at least one on its card (its attempt neither verified nor failed).
            while first.isRunning && Date() < deadline {
                let attempts = try journal.attempts()
                if attempts.filter({ $0.state == .verified }).count >= 3 && attempts.contains(where: { $0.state != .verified && $0.state != .failed }) { break }
                usleep(2_000)
            }
            first.signal(SIGKILL)
            _ = first.wait()
            beforeRestart = try journal.attempts()
            unfinished = beforeRestart.filter { $0.state != .verified && $0.state != .failed }
        }
        #expect(beforeRestart.filter { $0.state == .verified }.count >= 3, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(!unfinished.isEmpty, "the kill came while a card was being made")

        // The restart ends what the killed process left, skips what it finished, and completes the rest.
        let second = try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: files.environment(pcscd))
        // A kill after the chip was written leaves a whole, locked booklet in its reader (the restart names it for
        // destruction). The card feeder may offer that card again: the probe refuses it, the order is made on another
        // card, and the batch reports the refused attempt with exit 1 (seen once under ASan on a loaded machine).
        let leftBooklet = unfinished.contains { $0.state == .written || $0.state == .locked }
        let failures = second.stdout.split(separator: "\n").filter { $0.contains(": failed at ") }
        #expect(second.status == 0 || (leftBooklet && second.status == 1 && !failures.isEmpty && failures.allSatisfy { $0.contains("failed at probe") }),
                "\(second.output)")
        let attempts = try journal.attempts()
        let verified = attempts.filter { $0.state == .verified }
        #expect(verified.map(\.documentNumber).sorted() == numbers, "\(second.output)")
        for attempt in unfinished {
            let ended = try #require(attempts.first { $0.id == attempt.id })
            #expect(ended.state == .failed && ended.failedStep == "interrupted" && ended.void, "\(ended)")
        }
        #expect(second.stdout.contains("personalized before; skipped"), "\(second.output)")
        // Each verified document has its report; the readers worked side by side (how many documents each made
        // depends on the machine's load: a slow worker may find the other readers have taken every card).
        let names = try FileManager.default.contentsOfDirectory(atPath: reports.path)
        for attempt in verified { #expect(names.contains("\(attempt.documentNumber)-\(attempt.attempt).json")) }
        #expect(Set(verified.map(\.reader)).count >= 2, "\(verified.map(\.reader))")
        #expect(try files.journal().store.verifyAudit(domain: "utopia").isIntact)
    }

    /// The README's main job, with its personalization step through pcscd (demo.sh gives it a private pcscd).
    @Test func theDemoPersonalizesItsSamplePassport() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let (port, reader) = try Self.lineReaders(pcscd)[1]
        let directory = try TestSupport.temporaryDirectory("epki-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try TestSupport.run(try TestSupport.epkiExecutable(),
                                       ["demo", "--dir", directory.appendingPathComponent("pki").path, "--icao-master-list", "",
                                        "--vpcd-port", String(port), "--reader", reader], environment: pcscd.environment)
        #expect(demo.status == 0, "\(demo.output)")
        #expect(demo.stdout.contains("L898902C3: personalized and verified on \(reader)"), "\(demo.output)")
        #expect(demo.stdout.contains("ok   inspection through pcscd: genuine"), "\(demo.output)")
        #expect(demo.stdout.contains("demo complete: all checks passed"), "\(demo.output)")
    }

    /// A card pulled out of the reader halfway through its files: the document fails at the write, its SOD and keys
    /// void; the half-written card is refused; the next blank card takes the document.
    @Test func aCardPulledHalfwayThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let files = try LineFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let (port, reader) = try Self.lineReaders(pcscd)[2]
        try files.writeOrder("UTO500001")
        let order = files.orders.appendingPathComponent("UTO500001.json").path
        let context = try PCSCTransport.Context()

        func insert(_ chip: EMRTDChip) throws -> VPCDConnection {
            try context.waitForCard(in: reader, present: false, milliseconds: 10_000)
            let connection = try VPCDConnection(port: port)
            connection.start(chip)
            try context.waitForCard(in: reader, milliseconds: 10_000)
            return connection
        }
        let pulled = try EMRTDChip(state: ChipState())
        let first = try insert(pulled)
        // The hand that pulls the card: once four of the application's files exist.
        let watcher = DispatchGroup()
        watcher.enter()
        Thread.detachNewThread {
            defer { watcher.leave() }
            let deadline = Date().addingTimeInterval(30)
            while pulled.state.files.application.count < 4 && Date() < deadline { usleep(500) }
            first.stop()
        }
        let failed = try TestSupport.run(try TestSupport.epkiExecutable(), ["perso", "run", "--order", order, "--reader", reader, "--json"] + files.lineArguments,
                                         environment: files.environment(pcscd))
        watcher.wait()
        #expect(failed.status == 1, "\(failed.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any], "\(failed.output)")
        #expect(report["outcome"] as? String == "failed" && report["failedStep"] as? String == "write", "\(report)")
        #expect(pulled.lifecycle == .personalization)
        let attempt = try #require(try files.journal().attempts(documentNumber: "UTO500001").first)
        #expect(attempt.state == .failed && attempt.failedStep == "write" && attempt.void)

        // The half-written card back in the reader: refused before any key is made.
        let again = try insert(pulled)
        let refused = try TestSupport.run(try TestSupport.epkiExecutable(), ["perso", "run", "--order", order, "--reader", reader] + files.lineArguments,
                                          environment: files.environment(pcscd))
        again.stop()
        #expect(refused.status == 1 && refused.stdout.contains("failed at probe") && refused.stdout.contains("written before"), "\(refused.output)")

        // A new blank card: the document is made, with new keys and a new SOD.
        let fresh = try EMRTDChip(state: ChipState())
        let third = try insert(fresh)
        defer { third.stop() }
        let made = try TestSupport.run(try TestSupport.epkiExecutable(), ["perso", "run", "--order", order, "--reader", reader] + files.lineArguments,
                                       environment: files.environment(pcscd))
        #expect(made.status == 0 && fresh.lifecycle == .operational, "\(made.output)")
        let attempts = try files.journal().attempts(documentNumber: "UTO500001")
        #expect(attempts.map(\.state) == [.failed, .failed, .verified])
        #expect(attempts[2].sodDigest != attempts[0].sodDigest)
    }

    /// The DS key in an HSM (a private SoftHSM2 token): the line signs EF.SOD and EF.CardSecurity through PKCS#11.
    @Test func aDocumentSignerKeyInAToken() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let hsm = try SoftHSM.make(tokens: ["DS-UT"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let files = try LineFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let (port, reader) = try Self.lineReaders(pcscd)[3]
        let uri = "pkcs11:token=DS-UT;object=ds-line-1"
        let publicKey = files.directory.appendingPathComponent("ds-token.pub.pem")
        let generated = try TestSupport.run(try TestSupport.epkiExecutable(), ["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--pkcs11", uri,
                                                                                 "--pin-file", hsm.pinFile.path, "--public-out", publicKey.path],
                                            environment: hsm.environment)
        #expect(generated.status == 0, "\(generated.output)")
        // The CSCA certifies the token's key as a DS.
        let key = try PublicKey(derEncoded: try PEM.decodeIfPEM(Array(try Data(contentsOf: publicKey)), label: "PUBLIC KEY"))
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        let now = Date()
        let ds = try CertificateBuilder(issuer: files.fixture.csca.subject, subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS line HSM"),
                                        notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(3_650 * 86_400),
                                        subjectPublicKeyInfo: key.subjectPublicKeyInfo, extensions: extensions).sign(with: files.fixture.cscaSigner)
        let dsFile = files.directory.appendingPathComponent("ds-token.pem")
        try TestSupport.write(ds.pemEncoded, dsFile)
        var arguments = files.lineArguments
        arguments[try #require(arguments.firstIndex(of: "--ds-cert")) + 1] = dsFile.path
        arguments[try #require(arguments.firstIndex(of: "--key")) + 1] = uri
        try files.writeOrder("UTO600001")

        let context = try PCSCTransport.Context()
        try context.waitForCard(in: reader, present: false, milliseconds: 10_000)
        let chip = try EMRTDChip(state: ChipState())
        let connection = try VPCDConnection(port: port)
        connection.start(chip)
        defer { connection.stop() }
        try context.waitForCard(in: reader, milliseconds: 10_000)
        let run = try TestSupport.run(try TestSupport.epkiExecutable(),
                                      ["perso", "run", "--order", files.orders.appendingPathComponent("UTO600001.json").path, "--reader", reader,
                                       "--pin-file", hsm.pinFile.path] + arguments,
                                      environment: files.environment(pcscd).merging(hsm.environment) { $1 })
        #expect(run.status == 0 && run.stdout.contains("personalized and verified"), "\(run.output)")
        let sod = try EFSOD(bytes: try #require(chip.state.files.application[0x011D]))
        #expect(sod.documentSignerCertificate == ds)
        let security = try EFCardSecurity(bytes: try #require(chip.state.files.masterFile[0x011D]))
        #expect(security.signedData.verify(signerCertificate: ds).isValid)
    }
}
