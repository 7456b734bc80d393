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

/// The virtual chip's personalization state: a blank chip written with CREATE FILE, UPDATE BINARY and PUT DATA as a
/// line would, then locked; after the lock it answers as a passport (BAC, PACE, CA, TA) and refuses every
/// personalization command for good; its state file, sealed under a passphrase, brings it back after a restart.
@Suite struct ChipPersonalizationTests {
    static let passphrase = Passphrase("chip state test passphrase")

    static func tlv(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
        value.count < 0x80 ? [tag, UInt8(value.count)] + value
            : value.count < 0x100 ? [tag, 0x81, UInt8(value.count)] + value : [tag, 0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
    }

    static func createFile(_ identifier: UInt16, size: Int) -> CommandAPDU {
        let fcp = tlv(0x80, [UInt8(size >> 8), UInt8(size & 0xFF)]) + tlv(0x82, [0x01]) + tlv(0x83, [UInt8(identifier >> 8), UInt8(identifier & 0xFF)])
        return CommandAPDU(ins: 0xE0, p1: 0, p2: 0, data: tlv(0x62, fcp))
    }

    /// CREATE FILE, then UPDATE BINARY in chunks of 200 bytes (D7 with DO'54' past offset 32,767).
    static func write(_ identifier: UInt16, _ content: [UInt8], over transport: any CardTransport) throws {
        _ = try transport.sendSuccessfully(createFile(identifier, size: content.count), "CREATE FILE")
        var offset = 0
        while offset < content.count {
            let chunk = Array(content[offset..<min(content.count, offset + 200)])
            let command = offset <= 0x7FFF
                ? CommandAPDU(ins: 0xD6, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), data: chunk)
                : CommandAPDU(ins: 0xD7, p1: 0, p2: 0, data: tlv(0x54, [UInt8(offset >> 16), UInt8(offset >> 8 & 0xFF), UInt8(offset & 0xFF)]) + tlv(0x53, chunk))
            _ = try transport.sendSuccessfully(command, "UPDATE BINARY at \(offset)")
            offset += chunk.count
        }
    }

    static func putData(_ p1: UInt8, _ p2: UInt8, _ data: [UInt8]) -> CommandAPDU {
        CommandAPDU(ins: 0xDA, p1: p1, p2: p2, data: data)
    }

    /// What a line writes: the document's files, a big DG2, the MRZ, CAN, Chip Authentication key, a trust point and
    /// the date; then the lock.
    struct Personalized {
        let document: VirtualChipTests.Document
        let chain: TerminalAuthenticationTests.Chain
        let dg2: [UInt8]

        init() throws {
            document = try VirtualChipTests.Document()
            chain = try TerminalAuthenticationTests.Chain()
            // 40 KB: past the 15-bit offset of UPDATE BINARY.
            dg2 = [0x75, 0x82, 0x9C, 0x3C] + (0..<40_000).map { UInt8($0 % 251) }
        }

        func run(over transport: any CardTransport, lock: Bool = true) throws {
            _ = try transport.sendSuccessfully(CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00]), "SELECT MF")
            try write(ChipFileSystem.efCardAccess, document.cardAccess, over: transport)
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT application")
            try write(ChipFileSystem.efCOM, document.com, over: transport)
            try write(ChipFileSystem.dataGroup(1), document.dg1, over: transport)
            try write(ChipFileSystem.dataGroup(2), dg2, over: transport)
            try write(ChipFileSystem.dataGroup(3), document.dg3, over: transport)
            try write(ChipFileSystem.efSOD, document.sod, over: transport)
            let mrz = try DG1(bytes: document.dg1).mrz
            let secret = tlv(0x62, tlv(0x04, Array(mrz.documentNumber.utf8)) + tlv(0x04, Array(mrz.dateOfBirth.utf8)) + tlv(0x04, Array(mrz.dateOfExpiry.utf8)))
            _ = try transport.sendSuccessfully(putData(0x00, 0x62, secret), "PUT DATA MRZ")
            _ = try transport.sendSuccessfully(putData(0x00, 0x65, Array(VirtualChipTests.Document.can.utf8)), "PUT DATA CAN")
            let curveOID: [UInt8] = [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07]  // brainpoolP256r1
            let caKey = tlv(0x63, tlv(0x06, curveOID) + tlv(0x04, try TerminalAuthenticationTests.vector("npa_key")))
            _ = try transport.sendSuccessfully(putData(0x00, 0x63, caKey), "PUT DATA CA key")
            _ = try transport.sendSuccessfully(putData(0x01, 0x64, try chain.cvca.encoded), "PUT DATA trust point")
            _ = try transport.sendSuccessfully(putData(0x00, 0x68, [2, 6, 1, 1, 0, 1]), "PUT DATA date")
            if lock { _ = try transport.sendSuccessfully(putData(0xDE, 0xAD, []), "PUT DATA lock") }
        }
    }

    @Test func aBlankChipPersonalizedAndLockedAnswersAsAPassport() throws {
        let chip = try EMRTDChip(state: ChipState())
        #expect(chip.lifecycle == .personalization)
        let transport = InProcessTransport(chip)
        let line = try Personalized()
        try line.run(over: transport)
        #expect(chip.lifecycle == .operational)
        #expect(chip.terminalAuthentication?.currentDate == (try CVDate(year: 2026, month: 11, day: 1)))

        // BAC and every file, DG2 read past offset 32,767.
        let (secure, read) = try VirtualChipTests.readEverything(transport, key: line.document.key)
        #expect(read[ChipFileSystem.dataGroup(1)] == line.document.dg1)
        #expect(read[ChipFileSystem.efSOD] == line.document.sod)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(2)) == line.dg2)
        // Chip and Terminal Authentication with the personalized key and trust point.
        let ephemeral = try ChipAuthentication.authenticate(
            over: secure, chipKey: TerminalAuthenticationTests.chipKey.get(), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
        let (terminal, key) = try line.chain.terminal(.readDG3)
        try TerminalAuthentication.authenticate(over: secure, certificates: [line.chain.dv, terminal], terminalKey: key,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(line.document.key), terminalEphemeralKey: ephemeral)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == line.document.dg3)
        // PACE with the personalized CAN.
        let (_, dg1) = try VirtualChipPACETests.paceRead(transport, password: .can(VirtualChipTests.Document.can))
        #expect(dg1 == line.document.dg1)
    }

    /// After the lock, every personalization command is refused (6985), plain or under secure messaging, and the
    /// files stay as they were.
    @Test func personalizationCommandsAfterTheLockAreRefused() throws {
        let chip = try EMRTDChip(state: ChipState())
        let transport = InProcessTransport(chip)
        let line = try Personalized()
        try line.run(over: transport)
        let before = chip.state
        let refused: [CommandAPDU] = [
            Self.createFile(ChipFileSystem.dataGroup(11), size: 10),
            CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: [0x61]),
            Self.putData(0x00, 0x65, Array("999999".utf8)),
            Self.putData(0x01, 0x64, try line.chain.cvca.encoded),
            Self.putData(0xDE, 0xAD, []),
        ]
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        for command in refused {
            #expect(try transport.send(command).statusWord == .conditionsOfUseNotSatisfied, "\(command)")
        }
        let secure = try BasicAccessControl.authenticate(over: transport, key: line.document.key)
        _ = try secure.sendSuccessfully(ElementaryFileReader.select(ChipFileSystem.dataGroup(1)), "SELECT DG1")
        for command in refused {
            #expect(try secure.send(command).statusWord == .conditionsOfUseNotSatisfied, "\(command)")
        }
        #expect(chip.state == before)
    }

    /// Bad personalization data gets its status word and changes nothing.
    @Test func badPersonalizationDataIsRefused() throws {
        let chip = try EMRTDChip(state: ChipState())
        let transport = InProcessTransport(chip)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        _ = try transport.sendSuccessfully(Self.createFile(ChipFileSystem.efCOM, size: 4), "CREATE")
        let cases: [(CommandAPDU, StatusWord)] = [
            (Self.createFile(ChipFileSystem.efCOM, size: 4), .fileAlreadyExists),
            (CommandAPDU(ins: 0xE0, p1: 0, p2: 0, data: [0x62, 0x03, 0x80, 0x01, 0x04]), .incorrectParametersInData),
            (CommandAPDU(ins: 0xD6, p1: 0, p2: 2, data: [1, 2, 3]), .wrongLength),
            (CommandAPDU(ins: 0xD6, p1: 0, p2: 5, data: [1]), .wrongP1P2),
            (Self.putData(0x00, 0x62, [0x62, 0x02, 0x04, 0x00]), .incorrectParametersInData),
            (Self.putData(0x00, 0x63, Self.tlv(0x63, Self.tlv(0x06, [0x2A, 0x03]) + Self.tlv(0x04, [1]))), .incorrectParametersInData),
            (Self.putData(0x00, 0x65, Array("12a456".utf8)), .incorrectParametersInData),
            (Self.putData(0x01, 0x64, [0x7F, 0x21, 0x01, 0x00]), .incorrectParametersInData),
            (Self.putData(0x00, 0x68, [2, 6, 1, 1, 0, 1]), .conditionsOfUseNotSatisfied),
            (Self.putData(0x00, 0x99, [0]), .incorrectP1P2),
        ]
        let before = chip.state
        for (command, expected) in cases {
            #expect(try transport.send(command).statusWord == expected, "\(command)")
        }
        #expect(chip.state == before)
        #expect(chip.lifecycle == .personalization)
    }

    /// The state file: written after each change, sealed (no key or MRZ byte in it), read back into a chip that
    /// answers as before; a wrong passphrase or a changed byte is a typed error, never a half-read chip.
    @Test func theStateFileSurvivesARestartAndKeepsSecretsSealed() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("chip.json").path
        let file = ChipStateFile(path: path, passphrase: Self.passphrase)
        file.iterations = 1_000
        let chip = try EMRTDChip(state: ChipState())
        let saves = Counter()
        chip.onPersistentChange = { [file] state in
            try? file.save(state)
            saves.increment()
        }
        let line = try Personalized()
        try line.run(over: InProcessTransport(chip))
        #expect(saves.value > 10)

        let onDisk = try #require(FileManager.default.contents(atPath: path))
        let text = String(decoding: onDisk, as: UTF8.self)
        #expect(text.contains(ChipStateFile.format))
        let caKey = try TerminalAuthenticationTests.vector("npa_key")
        #expect(onDisk.firstRange(of: Data(caKey)) == nil)
        #expect(!text.contains(String(try DG1(bytes: line.document.dg1).mrz.documentNumber.prefix(9))))
        #expect(!text.contains(caKey.hexString.lowercased()) && !text.contains(caKey.hexString))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // A restart: a new chip from the file.
        let restarted = try EMRTDChip(state: file.load())
        #expect(restarted.state == chip.state)
        #expect(restarted.lifecycle == .operational)
        let (_, read) = try VirtualChipTests.readEverything(InProcessTransport(restarted), key: line.document.key)
        #expect(read[ChipFileSystem.dataGroup(1)] == line.document.dg1)

        let wrong = #expect(throws: VirtualChipError.self) { _ = try ChipStateFile(path: path, passphrase: Passphrase("not it")).load() }
        #expect(wrong?.reason.contains("passphrase is wrong") == true, "\(String(describing: wrong))")
        // One bit of the ciphertext changed: the MAC catches it before anything is decrypted.
        var envelope = try #require(try JSONSerialization.jsonObject(with: onDisk) as? [String: Any])
        var sealed = try #require(envelope["sealed"] as? [String: Any])
        let encodedCiphertext = try #require(sealed["ciphertext"] as? String)
        var ciphertext = try #require(Data(base64Encoded: encodedCiphertext))
        ciphertext[ciphertext.startIndex + 5] ^= 0x01
        sealed["ciphertext"] = ciphertext.base64EncodedString()
        envelope["sealed"] = sealed
        try JSONSerialization.data(withJSONObject: envelope).write(to: URL(fileURLWithPath: path))
        let changed = #expect(throws: VirtualChipError.self) { _ = try ChipStateFile(path: path, passphrase: Self.passphrase).load() }
        #expect(changed?.code == .invalidFile)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
