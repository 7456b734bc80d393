import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// `epki chip new` and `epki chip serve --state`: a state file made from a document folder and key files, and a
/// blank chip personalized through pcscd that keeps what it was given after its process is killed.
@Suite(.serialized) struct ChipCommandLineTests {
    static let statePassphrase = "state passphrase for the chip CLI tests"
    static let keyPassphrase = "key passphrase for the chip CLI tests"

    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["EPKI_CHIP_PASSPHRASE": statePassphrase, "EPKI_PASSPHRASE": keyPassphrase]) { $1 }
    }

    static func epki(_ arguments: [String], environment: [String: String] = Self.environment) throws -> TestSupport.ProcessResult {
        try TestSupport.run(try TestSupport.epkiExecutable(), arguments, environment: environment)
    }

    /// `chip new --files … --ca-key … --trust-point …`: a locked chip whose state file opens with the passphrase and
    /// answers BAC, Chip Authentication with the given key, and Terminal Authentication under the given CVCA.
    @Test func newFromADocumentFolderAndKeys() throws {
        let directory = try TestSupport.temporaryDirectory("epki-chip-new")
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = try VirtualChipTests.Document()
        let files = directory.appendingPathComponent("document")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try TestSupport.write(document.dg1, files.appendingPathComponent("EF.DG1.bin"))
        try TestSupport.write(document.dg3, files.appendingPathComponent("EF.DG3.bin"))
        try TestSupport.write(document.sod, files.appendingPathComponent("EF.SOD.bin"))
        try TestSupport.write(document.com, files.appendingPathComponent("EF.COM.bin"))
        try TestSupport.write(document.cardAccess, files.appendingPathComponent("EF.CardAccess.bin"))
        let caKey = directory.appendingPathComponent("ca.key").path
        let generated = try Self.epki(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", caKey])
        #expect(generated.status == 0, "\(generated.output)")
        let chain = try TerminalAuthenticationTests.Chain()
        let cvca = directory.appendingPathComponent("cvca.cvcert")
        try TestSupport.write(try chain.cvca.encoded, cvca)
        let state = directory.appendingPathComponent("chip.json").path

        let made = try Self.epki(["chip", "new", "--state", state, "--files", files.path, "--can", VirtualChipTests.Document.can,
                                  "--ca-key", caKey, "--trust-point", cvca.path, "--date", "2026-11-15"])
        #expect(made.status == 0, "\(made.output)")
        #expect(made.stdout.contains("personalized and locked chip"), "\(made.output)")
        #expect(made.stdout.contains("Terminal Authentication (ZZCVCA00001, date 2026-11-15)"), "\(made.output)")
        // Not over an existing file without --force; with a wrong passphrase, not at all.
        let again = try Self.epki(["chip", "new", "--state", state])
        #expect(again.status != 0 && again.output.contains("give --force"), "\(again.output)")
        let onDisk = try #require(FileManager.default.contents(atPath: state))
        #expect(onDisk.firstRange(of: Data(document.dg1)) == nil)

        let chip = try EMRTDChip(state: ChipStateFile(path: state, passphrase: Passphrase(Self.statePassphrase)).load())
        #expect(chip.lifecycle == .operational)
        let transport = InProcessTransport(chip)
        let (secure, read) = try VirtualChipTests.readEverything(transport, key: document.key)
        #expect(read[ChipFileSystem.dataGroup(1)] == document.dg1)
        let publicKey = try PrivateKey(encoded: IO.read(caKey), passphrase: Passphrase(Self.keyPassphrase)).publicKey
        let point = Array(publicKey.subjectPublicKeyInfo.subjectPublicKey.bytes)
        let ephemeral = try ChipAuthentication.authenticate(
            over: secure, chipKey: .init(curve: .brainpoolP256r1, publicPoint: point), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
        let (terminal, key) = try chain.terminal(.readDG3)
        try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: key,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)

        let wrong = try Self.epki(["chip", "serve", "--state", state, "--vpcd", "127.0.0.1:1"],
                                  environment: Self.environment.merging(["EPKI_CHIP_PASSPHRASE": "another passphrase"]) { $1 })
        #expect(wrong.status != 0 && wrong.output.contains("the passphrase is wrong"), "\(wrong.output)")
    }

    enum IO {
        static func read(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
            return Array(data)
        }
    }

    /// A blank chip served by `epki chip serve --state` is personalized through pcscd, its server killed (SIGKILL)
    /// and started again: the files, keys, CAN and lock are all there.
    @Test(.disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
    func aBlankChipPersonalizedThroughPCSCDSurvivesAKill() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let directory = try TestSupport.temporaryDirectory("epki-chip-serve")
            defer { try? FileManager.default.removeItem(at: directory) }
            let state = directory.appendingPathComponent("chip.json").path
            let blank = try Self.epki(["chip", "new", "--state", state])
            #expect(blank.status == 0 && blank.stdout.contains("blank chip"), "\(blank.output)")
            let environment = Self.environment.merging(pcscd.environment) { $1 }

            func serve(_ round: Int) throws -> Subprocess {
                let context = try PCSCTransport.Context()
                try context.waitForCard(in: PCSCTests.reader, present: false, milliseconds: 10_000)
                let server = try Subprocess(try TestSupport.epkiExecutable(), ["chip", "serve", "--state", state, "--vpcd", "127.0.0.1:\(pcscd.port)"],
                                            environment: environment, standardOutput: directory.appendingPathComponent("serve\(round).out").path,
                                            standardError: directory.appendingPathComponent("serve\(round).err").path)
                try context.waitForCard(in: PCSCTests.reader, milliseconds: 10_000)
                return server
            }

            let line = try ChipPersonalizationTests.Personalized()
            let first = try serve(1)
            do {
                let transport = try PCSCTransport(context: PCSCTransport.Context(), reader: PCSCTests.reader)
                try line.run(over: transport)
                transport.disconnect()
            }
            first.signal(SIGKILL)
            _ = first.wait()

            let second = try serve(2)
            defer {
                second.signal(SIGKILL)
                _ = second.wait()
            }
            let transport = try PCSCTransport(context: PCSCTransport.Context(), reader: PCSCTests.reader)
            let (secure, read) = try VirtualChipTests.readEverything(transport, key: line.document.key)
            #expect(read[ChipFileSystem.dataGroup(1)] == line.document.dg1)
            #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(2)) == line.dg2)
            #expect(try secure.send(ChipPersonalizationTests.putData(0x00, 0x65, Array("999999".utf8))).statusWord == .conditionsOfUseNotSatisfied)
        }
    }
}

/// Terminal Authentication with the chain epki's own CVCA and DVCA issue through the CLI, as an operator runs
/// them: the chip trusts the CVCA certificate `epki cvca init` wrote, holds the EF.CVCA `epki cvca ef-cvca` wrote, and
/// opens DG3 to the inspection system `epki dvca issue-terminal` certified.
@Suite struct EACWithEpkiCVCATests {
    @Test func terminalAuthenticationWithTheCLIsChain() throws {
        let directory = try TestSupport.temporaryDirectory("epki-eac-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let passphrase = "eac cli passphrase"
        try TestSupport.write(passphrase + "\n", directory.appendingPathComponent("pass"))
        let key = ["--passphrase-file", "pass"]
        func epki(_ arguments: [String]) throws {
            let store = ["cvca", "dvca"].contains(arguments.first ?? "") ? ["--data-dir", "data"] : []
            let result = try TestSupport.run(TestSupport.epkiExecutable(), arguments + store, currentDirectory: directory)
            #expect(result.status == 0, "epki \(arguments.joined(separator: " ")): \(result.output)")
        }
        try epki(["cvca", "init", "--domain", "UT", "--country", "UT", "--out", "cvca.cvcert"] + key)
        try epki(["dvca", "init", "--domain", "UT", "--country", "UT", "--mnemonic", "DVIS"])
        try epki(["dvca", "request", "--domain", "UT", "--out", "dv.req"] + key)
        try epki(["cvca", "sign-request", "dv.req", "--domain", "UT", "--out", "dv.cvcert"] + key)
        try epki(["dvca", "import", "dv.cvcert", "--domain", "UT"])
        try epki(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", "is.pem"] + key)
        try epki(["cvc", "request", "--key", "is.pem", "--chr", "UTBCIS00001", "--car", "UTDVIS00001", "--algorithm", "ecdsa-sha256", "--out", "is.req"] + key)
        try epki(["dvca", "issue-terminal", "is.req", "--domain", "UT", "--rights", "DG3,DG4", "--out", "is.cvcert"] + key)
        try epki(["cvca", "ef-cvca", "--domain", "UT", "--out", "ef.cvca"])
        func read(_ name: String) throws -> [UInt8] { try ChipCommandLineTests.IO.read(directory.appendingPathComponent(name).path) }
        let cvca = try CVCertificate(encoded: read("cvca.cvcert"))
        let dv = try CVCertificate(encoded: read("dv.cvcert"))
        let terminal = try CVCertificate(encoded: read("is.cvcert"))
        let terminalKey = SoftwareSigner(key: try PrivateKey(encoded: read("is.pem"), passphrase: Passphrase(passphrase)))

        let (chip, document) = try TerminalAuthenticationTests.chip(trustPoint: cvca, currentDate: cvca.body.effectiveDate)
        let (secure, ephemeral) = try TerminalAuthenticationTests.openSession(chip, document)
        let efCVCA = try ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size)
        #expect(efCVCA == (try read("ef.cvca")))
        let certificates = try TerminalAuthentication.certificatesToSend([cvca, dv, terminal], trustPoints: EFCVCA(encoded: efCVCA).references)
        try TerminalAuthentication.authenticate(over: secure, certificates: certificates, terminalKey: terminalKey,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        let expected = try #require(CVCertificatePath([cvca, dv, terminal]).effectiveAuthorization?.inspectionSystemRights)
        #expect(chip.terminalAuthentication?.grantedRights == expected)
        #expect(expected.contains(.readDG3))
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)
    }
}
