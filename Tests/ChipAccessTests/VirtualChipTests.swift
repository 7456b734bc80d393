import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// The virtual eMRTD chip and the terminal side, in process: BAC, secure messaging, every file read back, and the
/// refusals a real chip gives (status words on the chip side, typed errors on the terminal side).
@Suite struct VirtualChipTests {
    /// A chip holding the BSI TR-03105-5 DG1 and EF.SOD, EF.COM of 9303-11 D.4, a DG3 stand-in and the EF.CardAccess
    /// of 9303-11 G.1 (PACE ECDH-GM, AES-128, brainpoolP256r1); its BAC key from the DG1's MRZ, its CAN 123456.
    struct Document {
        let chip: EMRTDChip
        let key: BACKey
        let dg1: [UInt8]
        let sod: [UInt8]
        let com: [UInt8] = [0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30, 0x36, 0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30,
                            0x30, 0x30, 0x5C, 0x02, 0x61, 0x75]
        let cardAccess: [UInt8]
        static let can = "123456"
        /// A DG3 of 1,000 bytes: enough to need several reads.
        let dg3: [UInt8] = [0x63, 0x82, 0x03, 0xE4] + [UInt8](repeating: 0xA5, count: 996)

        init() throws {
            dg1 = try TestSupport.vector("pymrtd/DG1_BSI_TR03105-5.bin")
            sod = try TestSupport.vector("pymrtd/EF_SOD_BSI_TR03105-5.bin")
            cardAccess = try PACEWorkedExampleTests.hex("efCardAccess_PACEInfo")
            let mrz = try DG1(bytes: dg1).mrz
            key = try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)
            let files = ChipFileSystem(
                masterFile: [ChipFileSystem.efCardAccess: cardAccess],
                application: [ChipFileSystem.efCOM: com, ChipFileSystem.dataGroup(1): dg1, ChipFileSystem.dataGroup(3): dg3,
                              ChipFileSystem.efSOD: sod])
            chip = EMRTDChip(files: files, bacKey: key, can: Self.can)
        }
    }

    static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: ChipFileSystem.ldsApplicationIdentifier)

    /// SELECT the application, BAC, and read back every file the chip holds (DG3 aside).
    static func readEverything(_ transport: any CardTransport, key: BACKey) throws -> (SecureMessagingTransport, [UInt16: [UInt8]]) {
        _ = try transport.sendSuccessfully(selectApplication, "SELECT eMRTD application")
        let secure = try BasicAccessControl.authenticate(over: transport, key: key)
        let reader = ElementaryFileReader(secure)
        var read: [UInt16: [UInt8]] = [:]
        for identifier in [ChipFileSystem.efCOM, ChipFileSystem.dataGroup(1), ChipFileSystem.efSOD] {
            read[identifier] = try reader.read(identifier)
        }
        return (secure, read)
    }

    @Test func bacAndEveryFileInProcess() throws {
        let document = try Document()
        let transport = InProcessTransport(document.chip)
        // EF.CardAccess is readable before any access control.
        #expect(try ElementaryFileReader(transport).read(ChipFileSystem.efCardAccess) == document.cardAccess)
        let (secure, read) = try Self.readEverything(transport, key: document.key)
        #expect(read[ChipFileSystem.efCOM] == document.com)
        #expect(read[ChipFileSystem.dataGroup(1)] == document.dg1)
        #expect(read[ChipFileSystem.efSOD] == document.sod)
        #expect(document.sod.count > 1_000, "EF.SOD needs several READ BINARY commands")
        #expect(secure.session.keys.cipher == .tripleDES)
        // What was read is what passive authentication reads: the DG1 hash in the SOD matches.
        let sod = try EFSOD(bytes: read[ChipFileSystem.efSOD] ?? [])
        #expect(try sod.securityObject.hashValue(for: 1) == HashAlgorithm.sha256.hash(read[ChipFileSystem.dataGroup(1)] ?? []))
    }

    @Test func refusalsWithTheirStatusWords() throws {
        let document = try Document()
        let transport = InProcessTransport(document.chip)
        _ = try transport.sendSuccessfully(Self.selectApplication, "SELECT")

        // DG1 before BAC: 6982.
        let early = #expect(throws: SmartCardError.self) { try ElementaryFileReader(transport).read(ChipFileSystem.dataGroup(1)) }
        #expect(early?.statusWord == .securityStatusNotSatisfied, "\(String(describing: early))")

        // A wrong MRZ: BAC fails with 6300.
        let wrongKey = try BACKey(documentNumber: document.key.documentNumber, dateOfBirth: "010101", dateOfExpiry: document.key.dateOfExpiry)
        let wrong = #expect(throws: ChipAccessError.self) { try BasicAccessControl.authenticate(over: transport, key: wrongKey) }
        #expect(wrong?.code == .authenticationFailed && wrong?.statusWord == .verificationFailed, "\(String(describing: wrong))")

        // After BAC, DG3 still needs Terminal Authentication: 6982, under secure messaging.
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        let dg3 = #expect(throws: SmartCardError.self) { try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) }
        #expect(dg3?.statusWord == .securityStatusNotSatisfied, "\(String(describing: dg3))")
        // The session survives a refused command: DG1 still reads.
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(1)) == document.dg1)
    }

    /// A response whose MAC was changed in transit ends the session on the terminal side; the chip then refuses a
    /// replayed command with 6988 and drops its own session.
    @Test func tamperedAndReplayedSecureMessaging() throws {
        let document = try Document()
        let tap = TappedTransport(InProcessTransport(document.chip))
        _ = try tap.sendSuccessfully(Self.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: tap, key: document.key)
        _ = try secure.sendSuccessfully(ElementaryFileReader.select(ChipFileSystem.efCOM), "SELECT EF.COM")
        let protectedSelect = try #require(tap.commands.last)

        tap.flipLastByteOfNextResponseData = true
        let tampered = #expect(throws: ChipAccessError.self) {
            try secure.send(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 4))
        }
        #expect(tampered?.code == .secureMessaging, "\(String(describing: tampered))")
        #expect(secure.isClosed)
        let closed = #expect(throws: ChipAccessError.self) { try secure.send(ElementaryFileReader.select(ChipFileSystem.dataGroup(1))) }
        #expect(closed?.reason.contains("closed") == true, "\(String(describing: closed))")

        // The protected SELECT sent again, byte for byte: its counter is stale, the MAC fails, the chip says 6988.
        let replayed = try ResponseAPDU(bytes: document.chip.process(protectedSelect))
        #expect(replayed.statusWord == .incorrectSecureMessagingObjects)
        #expect(!document.chip.hasSecureMessaging)
    }
}

/// A transport that records the commands it passes and can alter a response, as an attacker on the wire could.
final class TappedTransport: CardTransport {
    let inner: any CardTransport
    var commands: [[UInt8]] = []
    var flipLastByteOfNextResponseData = false

    init(_ inner: any CardTransport) { self.inner = inner }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        commands.append(command)
        var response = try inner.transmit(command)
        if flipLastByteOfNextResponseData, response.count > 2 {
            flipLastByteOfNextResponseData = false
            response[response.count - 3] ^= 0x01  // the last byte of DO'8E'
        }
        return response
    }
}

/// PACE against the virtual chip: with the MRZ and with the CAN, a wrong CAN refused, and the chip's first two
/// answers byte for byte those of 9303-11 G.1 when it is given the example's nonce and mapping key.
@Suite struct VirtualChipPACETests {
    static func paceRead(_ transport: any CardTransport, password: PACEPassword) throws -> (PACETerminal.Outcome, [UInt8]) {
        let outcome = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: password).authenticate(over: transport)
        _ = try outcome.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT eMRTD application")
        return (outcome, try ElementaryFileReader(outcome.transport).read(ChipFileSystem.dataGroup(1)))
    }

    @Test func paceWithTheMRZAndWithTheCAN() throws {
        let document = try VirtualChipTests.Document()
        let transport = InProcessTransport(document.chip)
        for password in [PACEPassword.mrz(document.key), .can(VirtualChipTests.Document.can)] {
            let (outcome, dg1) = try Self.paceRead(transport, password: password)
            #expect(dg1 == document.dg1, "\(password.name)")
            #expect(outcome.sessionKeys.cipher == .aes128)
            #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efSOD) == document.sod)
        }
    }

    @Test func aWrongCANIsRefused() throws {
        let document = try VirtualChipTests.Document()
        let transport = InProcessTransport(document.chip)
        let refused = #expect(throws: ChipAccessError.self) { try Self.paceRead(transport, password: .can("654321")) }
        #expect(refused?.code == .authenticationFailed && refused?.statusWord == .verificationFailed, "\(String(describing: refused))")
        // Without a session the application's files stay closed.
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let closed = #expect(throws: SmartCardError.self) { try ElementaryFileReader(transport).read(ChipFileSystem.dataGroup(1)) }
        #expect(closed?.statusWord == .securityStatusNotSatisfied)
    }

    @Test func chipAnswersOfTheWorkedExample() throws {
        let example = try PACEWorkedExampleTests.example
        let pairs = try #require(example["apdus"] as? [[String]])
        let parameters = try PACEWorkedExampleTests.parameters
        let chip = PACEChip(offered: [parameters], passwords: [try PACEWorkedExampleTests.password])
        chip.fixedNonce = try PACEWorkedExampleTests.hex("nonce_s")
        chip.fixedMappingKey = try PACEWorkedExampleTests.hex("skMapIC")
        #expect(chip.manageSecurityEnvironment(try PACE.mseSetAT(parameters, password: PACEWorkedExampleTests.password).data) == .success)
        for pair in pairs.prefix(2) {
            let command = try CommandAPDU(bytes: #require([UInt8](hex: pair[0])))
            let (response, session) = chip.generalAuthenticate(command)
            #expect(response.encoded == [UInt8](hex: pair[1]), "\(pair[0])")
            #expect(session == nil)
        }
    }
}

/// A virtual chip offering PACE-CAM (the PACEInfo of 9303-11 I.1) with a static key of its own: the terminal
/// checks the Chip Authentication data against the static public key, and a chip with another key is caught.
@Suite struct VirtualChipPACECAMTests {
    @Test func chipAuthenticationMappingProvesTheChip() throws {
        let document = try VirtualChipTests.Document()
        let arithmetic = ECPointArithmetic(.brainpoolP256r1)
        let staticKey = try arithmetic.randomScalar()
        let staticPublic = try arithmetic.multiply(staticKey)
        var files = document.chip.files
        files.masterFile[ChipFileSystem.efCardAccess] = [0x31, 0x14] + (try PACECAMWorkedExampleTests.hex("paceInfo"))
        let chip = EMRTDChip(files: files, bacKey: document.key, chipAuthenticationKey: staticKey)
        let parameters = try PACECAMWorkedExampleTests.parameters
        let outcome = try PACETerminal(parameters: parameters, password: .mrz(document.key)).authenticate(over: InProcessTransport(chip))
        try PACE.verifyChipAuthenticationMapping(outcome, chipStaticPublicKey: staticPublic, curve: .brainpoolP256r1)
        _ = try outcome.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.dataGroup(1)) == document.dg1)

        // A clone that holds the data but not the static key cannot produce Chip Authentication data that fits.
        let clone = EMRTDChip(files: files, bacKey: document.key, chipAuthenticationKey: try arithmetic.randomScalar())
        let cloned = try PACETerminal(parameters: parameters, password: .mrz(document.key)).authenticate(over: InProcessTransport(clone))
        let caught = #expect(throws: ChipAccessError.self) {
            try PACE.verifyChipAuthenticationMapping(cloned, chipStaticPublicKey: staticPublic, curve: .brainpoolP256r1)
        }
        #expect(caught?.reason.contains("not genuine") == true, "\(String(describing: caught))")
    }
}

/// Big files read with extended-length APDUs under secure messaging: a 40 KB DG2 in 4,000-byte chunks, past offset
/// 32,767 with the odd READ BINARY (B1), under 3DES (BAC) and AES (PACE), in process and through pcscd.
@Suite struct ExtendedLengthTests {
    static let dg2: [UInt8] = {
        var random = SplitMix64(seed: 0xD62)
        let body = (0..<40_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        return [0x75, 0x83, 0x00, 0x9C, 0x40] + body
    }()

    static func document() throws -> (VirtualChipTests.Document, EMRTDChip) {
        let document = try VirtualChipTests.Document()
        var files = document.chip.files
        files.application[ChipFileSystem.dataGroup(2)] = dg2
        return (document, EMRTDChip(files: files, bacKey: document.key, can: VirtualChipTests.Document.can))
    }

    static func readDG2(over transport: any CardTransport, key: BACKey, pace: Bool) throws -> [UInt8] {
        let secure: SecureMessagingTransport
        if pace {
            secure = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: .mrz(key)).authenticate(over: transport).transport
            _ = try secure.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        } else {
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            secure = try BasicAccessControl.authenticate(over: transport, key: key)
        }
        return try ElementaryFileReader(secure, chunkSize: 4_000).read(ChipFileSystem.dataGroup(2))
    }

    /// EF.ATR/INFO, readable in the master file before any authentication, announces extended length and chaining
    /// and the APDU sizes; a terminal that reads it first knows it may ask for 4,000 bytes at a time.
    @Test func efATRInfoAnnouncesExtendedLength() throws {
        let (_, chip) = try Self.document()
        let transport = InProcessTransport(chip)
        _ = try transport.sendSuccessfully(CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00]), "SELECT MF")
        let bytes = try ElementaryFileReader(transport).read(ChipFileSystem.efATRInfo, size: 256)
        #expect(bytes.hexString == "4703B000C07F660A020300FFFF020300FFFF")
        let info = try ATRInfo(encoded: bytes)
        #expect(info.supportsExtendedLength && info.supportsCommandChaining)
        #expect(info.maximumCommandLength == 65_535 && info.maximumResponseLength == 65_535)
        #expect(info == .eMRTD)
    }

    /// EF.ATR/INFO as other cards write it: other objects kept, padding ignored, a file cut short a typed error.
    @Test func efATRInfoOfOtherLayouts() throws {
        // Historical bytes (5F52), capabilities without extended length, 7F66 with two-byte sizes, FF padding.
        let bytes: [UInt8] = [0x5F, 0x52, 0x02, 0x80, 0x31, 0x47, 0x03, 0x80, 0x01, 0x80, 0x7F, 0x66, 0x08, 0x02, 0x02, 0x01, 0x00,
                              0x02, 0x02, 0x01, 0x00, 0xFF, 0xFF]
        let info = try ATRInfo(encoded: bytes)
        #expect(info.supportsCommandChaining && !info.supportsExtendedLength)
        #expect(info.maximumCommandLength == 256 && info.maximumResponseLength == 256)
        #expect(info.otherObjects.count == 1 && info.otherObjects[0].tag == 0x5F52)
        #expect(try ATRInfo(encoded: info.encoded) == info)
        let caught = #expect(throws: SmartCardError.self) { _ = try ATRInfo(encoded: [0x7F, 0x66, 0x08, 0x02, 0x02, 0x01]) }
        #expect(caught?.reason.contains("runs past the end") == true, "\(String(describing: caught))")
    }

    @Test(arguments: [false, true])
    func inProcess(_ pace: Bool) throws {
        let (document, chip) = try Self.document()
        #expect(try Self.readDG2(over: InProcessTransport(chip), key: document.key, pace: pace) == Self.dg2)
    }

    @Test(.disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
    func throughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let (document, chip) = try Self.document()
            let context = try PCSCTransport.Context()
            try context.waitForCard(in: PCSCTests.reader, present: false, milliseconds: 5_000)
            let connection = try VPCDConnection(port: pcscd.port)
            connection.start(chip)
            defer { connection.stop() }
            try context.waitForCard(in: PCSCTests.reader, milliseconds: 5_000)
            let transport = try PCSCTransport(context: context, reader: PCSCTests.reader)
            #expect(try Self.readDG2(over: transport, key: document.key, pace: true) == Self.dg2)
        }
    }
}
