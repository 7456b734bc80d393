import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// Through the real PC/SC stack: a private pcscd with vsmartcard's vpcd, the virtual chip connected to it as a card,
/// epki's PC/SC terminal, and OpenSC's opensc-tool as a client nobody here wrote.
@Suite(.serialized, .disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
struct PCSCTests {
    static let reader = "Virtual PCD 00 00"

    /// Inserts `document`'s chip into the first vpcd slot and connects to it through pcscd.
    static func insert(_ document: VirtualChipTests.Document, into pcscd: PrivatePCSCD) throws -> (VPCDConnection, PCSCTransport.Context, PCSCTransport) {
        try insert(document.chip, into: pcscd)
    }

    static func insert(_ chip: EMRTDChip, into pcscd: PrivatePCSCD) throws -> (VPCDConnection, PCSCTransport.Context, PCSCTransport) {
        let context = try PCSCTransport.Context()
        // The slot must be empty first: pcscd notices a card that left with its next poll.
        try context.waitForCard(in: reader, present: false, milliseconds: 5_000)
        let connection = try VPCDConnection(port: pcscd.port)
        connection.start(chip)
        try context.waitForCard(in: reader, milliseconds: 5_000)
        return (connection, context, try PCSCTransport(context: context, reader: reader))
    }

    @Test func bacAndEveryFileThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let document = try VirtualChipTests.Document()
            let (connection, context, transport) = try Self.insert(document, into: pcscd)
            defer { connection.stop() }
            let readers = try context.readers()
            #expect(readers.contains(Self.reader), "\(readers)")
            #expect(transport.atr == VPCDConnection.defaultATR)
            let (_, read) = try VirtualChipTests.readEverything(transport, key: document.key)
            #expect(read[ChipFileSystem.efCOM] == document.com)
            #expect(read[ChipFileSystem.dataGroup(1)] == document.dg1)
            #expect(read[ChipFileSystem.efSOD] == document.sod)
            transport.disconnect()

            // OpenSC's opensc-tool, through the same pcscd: the reader with a card, its ATR, and a GET CHALLENGE.
            let listed = try TestSupport.run("opensc-tool", ["--list-readers"], environment: pcscd.environment)
            #expect(listed.stdout.contains("Yes") && listed.stdout.contains(Self.reader), "\(listed.output)")
            let atr = try TestSupport.run("opensc-tool", ["--reader", "0", "--atr"], environment: pcscd.environment)
            #expect(atr.stdout.contains("3b:80:80:01:01"), "\(atr.output)")
            let challenge = try TestSupport.run("opensc-tool", ["--reader", "0", "--send-apdu", "00:A4:04:0C:07:A0:00:00:02:47:10:01", "--send-apdu", "00:84:00:00:08"],
                                                environment: pcscd.environment)
            #expect(challenge.stdout.contains("SW1=0x90, SW2=0x00"), "\(challenge.output)")
            #expect(challenge.output.components(separatedBy: "Received (SW1=0x90, SW2=0x00)").count == 3, "\(challenge.output)")
        }
    }

    /// PACE with the CAN through pcscd, then the data groups under AES secure messaging.
    @Test func paceThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let document = try VirtualChipTests.Document()
            let (connection, _, transport) = try Self.insert(document, into: pcscd)
            defer { connection.stop() }
            let (outcome, dg1) = try VirtualChipPACETests.paceRead(transport, password: .can(VirtualChipTests.Document.can))
            #expect(dg1 == document.dg1)
            #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efCOM) == document.com)
        }
    }

    /// Extended Access Control through pcscd: BAC, Chip Authentication, Terminal Authentication with a CVCA → DV →
    /// IS chain (the DV's CHAT capping the terminal's to DG3), then DG3 read and DG4 refused.
    @Test func terminalAuthenticationThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let chain = try TerminalAuthenticationTests.Chain(rights: .readDG3)
            let (chip, document) = try TerminalAuthenticationTests.chip(trustPoint: chain.cvca)
            let (connection, _, transport) = try Self.insert(chip, into: pcscd)
            defer { connection.stop() }
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
            let ephemeral = try ChipAuthentication.authenticate(
                over: secure, chipKey: TerminalAuthenticationTests.chipKey.get(),
                protocolIdentifier: .init(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
            let (terminal, key) = try chain.terminal([.readDG3, .readDG4])
            let trustPoints = try EFCVCA(encoded: ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size)).references
            try TerminalAuthentication.authenticate(
                over: secure, certificates: TerminalAuthentication.certificatesToSend([chain.cvca, chain.dv, terminal], trustPoints: trustPoints),
                terminalKey: key, chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
            #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)
            #expect(try TerminalAuthenticationTests.readStatus(secure, ChipFileSystem.dataGroup(4)) == .securityStatusNotSatisfied)
        }
    }

    /// PACE-CAM with the MRZ and Active Authentication (RSA) through pcscd: the chip proves its static key twice,
    /// then every file is read under the PACE session.
    @Test func chipAuthenticationMappingAndActiveAuthenticationThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let document = try VirtualChipTests.Document()
            let arithmetic = ECPointArithmetic(.brainpoolP256r1)
            let staticKey = try arithmetic.randomScalar()
            var files = document.chip.files
            files.masterFile[ChipFileSystem.efCardAccess] = [0x31, 0x14] + (try PACECAMWorkedExampleTests.hex("paceInfo"))
            let chip = EMRTDChip(files: files, bacKey: document.key, chipAuthenticationKey: staticKey)
            let activeKey = try PrivateKey.generate(.rsa(bits: 2048))
            chip.activeAuthenticationKey = activeKey
            let (connection, _, transport) = try Self.insert(chip, into: pcscd)
            defer { connection.stop() }
            let outcome = try PACETerminal(parameters: try PACECAMWorkedExampleTests.parameters, password: .mrz(document.key)).authenticate(over: transport)
            try PACE.verifyChipAuthenticationMapping(outcome, chipStaticPublicKey: arithmetic.multiply(staticKey), curve: .brainpoolP256r1)
            _ = try outcome.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            try ActiveAuthentication.authenticate(over: outcome.transport, publicKey: activeKey.publicKey)
            let reader = ElementaryFileReader(outcome.transport)
            for (identifier, content) in [(ChipFileSystem.efCOM, document.com), (ChipFileSystem.dataGroup(1), document.dg1), (ChipFileSystem.efSOD, document.sod)] {
                #expect(try reader.read(identifier) == content)
            }
        }
    }

    /// PACE with the Integrated Mapping through pcscd, with the MRZ and then the CAN, as EF.CardAccess announces it.
    @Test func integratedMappingThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let (chip, document) = try VirtualChipPACEIMTests.chip(cardAccess: PACEIMWorkedExampleTests.cardAccess)
            let (connection, _, transport) = try Self.insert(chip, into: pcscd)
            defer { connection.stop() }
            let cardAccess = try ElementaryFileReader(transport).read(ChipFileSystem.efCardAccess)
            let parameters = try PACEParameters(try #require(try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first))
            #expect(parameters.mapping == .integrated)
            for password in [PACEPassword.mrz(document.key), .can(VirtualChipTests.Document.can)] {
                let (outcome, dg1) = try VirtualChipPACEIMTests.paceRead(transport, parameters, password: password)
                #expect(dg1 == document.dg1, "\(password.name)")
                #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efSOD) == document.sod)
            }
        }
    }

    /// The card leaves in the middle of reading EF.SOD: a typed error, and no part of the file is handed out.
    @Test func cardRemovedDuringARead() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let document = try VirtualChipTests.Document()
            let (connection, context, transport) = try Self.insert(document, into: pcscd)
            defer { connection.stop() }
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
            let pulling = RemovingTransport(secure, after: 3) { connection.stop() }
            var result: [UInt8]?
            let error = #expect(throws: (any Error).self) { result = try ElementaryFileReader(pulling).read(ChipFileSystem.efSOD) }
            #expect(result == nil)
            let code = (error as? SmartCardError)?.code
            #expect(code == .cardRemoved || code == .noCard, "\(String(describing: error))")
            try context.waitForCard(in: Self.reader, present: false, milliseconds: 5_000)
        }
    }
}

/// Passes commands through and pulls the card (`remove`) after `count` of them.
final class RemovingTransport: CardTransport {
    let inner: any CardTransport
    var left: Int
    let remove: () -> Void

    init(_ inner: any CardTransport, after count: Int, remove: @escaping () -> Void) {
        self.inner = inner
        self.left = count
        self.remove = remove
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        if left == 0 { remove() }
        left -= 1
        return try inner.transmit(command)
    }
}
