import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import PKICore
import SmartCard
import SwiftASN1
import VirtualChip

/// Both ends of the chip interface: the virtual chip's command parser fed APDUs (plain, and protected inside a BAC,
/// PACE or Chip Authentication session the harness opens as the terminal), the terminal's response parsers fed
/// chip answers, and a whole inspection of a chip whose files and answers the fuzzer writes.
enum ChipTargets {
    static let all: [FuzzTarget] = [chip, terminal, inspection]

    // MARK: - The document behind the chips

    /// A complete document: EF.CardAccess and EF.CardSecurity of the BSI EAC worked example (PACE, CA with its
    /// brainpoolP256r1 key `npa_key`, TA), DG1/DG2 of the seed document, DG14 naming the CA key, DG15 an AA key,
    /// EF.SOD over them by the seed PKI's DS, and a CV chain CVCA → DV → IS for Terminal Authentication.
    struct Document: Sendable {
        static let can = "123456"
        let files: ChipFileSystem
        let bacKey: BACKey
        let staticKey: [UInt8]
        let activeAuthenticationKey: PrivateKey
        let chain: CVCTargets.Chain
        let terminalCertificate: CVCertificate
        let terminalKey: SoftwareSigner
        let pki: SeedPKI
        let caKeyInfo: ChipAuthenticationPublicKeyInfo
        let caProtocol: ASN1ObjectIdentifier
        static let currentDate = try? CVDate(year: 2026, month: 1, day: 2)

        init() throws {
            let cardAccess = try Vectors.read("eac-worked-example/EF_CardAccess.bin")
            let cardSecurity = try Vectors.read("eac-worked-example/EF_CardSecurity.bin")
            staticKey = try Vectors.read("eac-worked-example/npa_key")
            let infos = try EFCardSecurity(bytes: cardSecurity).securityInfos
            guard let keyInfo = infos.chipAuthenticationPublicKeyInfos.first else { throw FuzzSetupError("EF.CardSecurity names no CA key") }
            caKeyInfo = keyInfo
            // After BAC the session is 3DES; the worked example's CA protocol is AES, which works over either.
            caProtocol = try EFCardAccess(bytes: cardAccess).securityInfos.chipAuthenticationInfos.first?.protocolIdentifier
                ?? [0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2]
            activeAuthenticationKey = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
            let dg1 = try SeedDocument.dg1()
            let dg2 = SeedDocument.dg2()
            let dg14 = try DG14(securityInfos: infos).encode()
            let dg15 = try DG15(subjectPublicKeyInfo: activeAuthenticationKey.publicKey.subjectPublicKeyInfo).encode()
            pki = try SeedPKI()
            let sod = try pki.sod(dataGroups: [1: dg1, 2: dg2, 14: dg14, 15: dg15]).encode()
            let com = try EFCOM(dataGroups: [1, 2, 3, 14, 15].compactMap { DataGroupNumber($0) }).encode()
            let mrz = try DG1(bytes: dg1).mrz
            bacKey = try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)
            chain = try CVCTargets.Chain()
            let isKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
            terminalKey = isKey
            terminalCertificate = try CVCertificateBuilder.terminal(
                publicKey: try CVPublicKey(isKey.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
                chr: try CertificationAuthorityReference(encoded: Array("UTTERM00001".utf8)), rights: [0x03],
                effectiveDate: try CVDate(year: 2026, month: 1, day: 1), expirationDate: try CVDate(year: 2026, month: 2, day: 1),
                issuer: chain.dv, issuerSigner: chain.dvKey, issuerDomainParameters: chain.cvca.publicKey.domainParameters)
            let dg3: [UInt8] = SeedDocument.dg3()
            files = ChipFileSystem(
                masterFile: [ChipFileSystem.efCardAccess: cardAccess, ChipFileSystem.efCardSecurity: cardSecurity],
                application: [ChipFileSystem.efCOM: com, ChipFileSystem.dataGroup(1): dg1, ChipFileSystem.dataGroup(2): dg2,
                              ChipFileSystem.dataGroup(3): dg3, ChipFileSystem.dataGroup(14): dg14, ChipFileSystem.dataGroup(15): dg15,
                              ChipFileSystem.efSOD: sod])
        }

        /// A fresh operational chip holding `files` (these, or the fuzzer's).
        func chip(files: ChipFileSystem? = nil) -> EMRTDChip? {
            guard let date = Self.currentDate, let ta = try? TerminalAuthenticationChip(trustPoints: [chain.cvca], currentDate: date) else { return nil }
            let chip = EMRTDChip(files: files ?? self.files, bacKey: bacKey, can: Self.can, chipAuthenticationKey: staticKey,
                                 chipAuthenticationCurve: .brainpoolP256r1, terminalAuthentication: ta)
            chip.activeAuthenticationKey = activeAuthenticationKey
            return chip
        }
    }

    static let document: Document? = {
        do {
            return try Document()
        } catch {
            FileHandle.standardError.write(Data("EPKIFuzz: the chip document cannot be made: \(error)\n".utf8))
            return nil
        }
    }()

    // MARK: - Input framing

    /// Splits `bytes` into chunks, each `length (2 octets, big-endian; the top bit a flag) ‖ bytes`. A length past the
    /// end takes what is left.
    static func chunks(_ bytes: ArraySlice<UInt8>) -> [(flag: Bool, bytes: [UInt8])] {
        var rest = bytes
        var out: [(Bool, [UInt8])] = []
        while rest.count >= 2 {
            let header = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
            let length = min(header & 0x7FFF, rest.count)
            out.append((header & 0x8000 != 0, Array(rest.prefix(length))))
            rest = rest.dropFirst(length)
        }
        return out
    }

    static func chunk(_ bytes: [UInt8], raw: Bool = false) -> [UInt8] {
        [UInt8(bytes.count >> 8) | (raw ? 0x80 : 0), UInt8(bytes.count & 0xFF)] + bytes
    }

    // MARK: - The chip's command parser

    enum ChipMode: UInt8, CaseIterable {
        case plain = 0, bac, pace, chipAuthentication, personalization
    }

    /// Byte 0 picks how the session starts (`ChipMode`); then chunks, each a command APDU. Inside a session a chunk is
    /// protected by the harness's terminal side unless its flag is set (then it goes to the chip as it is).
    static let chip = FuzzTarget("chip", "virtual chip: EMRTDChip.process fed APDUs, plain, under BAC, PACE, BAC+CA, and under personalization", seeds: {
        try chipSeeds()
    }) { bytes in
        guard let first = bytes.first, let document else { return }
        let mode = ChipMode(rawValue: first % UInt8(ChipMode.allCases.count)) ?? .plain
        let commands = chunks(bytes.dropFirst()).prefix(64)
        let chip: EMRTDChip
        if mode == .personalization {
            guard let blank = try? EMRTDChip(state: ChipState()) else { return }
            chip = blank
        } else {
            guard let operational = document.chip() else { return }
            chip = operational
        }
        let plain = InProcessTransport(chip)
        var session: SecureMessaging?
        switch mode {
        case .plain, .personalization:
            break
        case .bac, .chipAuthentication:
            _ = try? plain.send(selectApplication)
            guard let secure = try? BasicAccessControl.authenticate(over: plain, key: document.bacKey) else { return }
            if mode == .chipAuthentication {
                guard let key = try? ChipAuthentication.ChipKey(document.caKeyInfo),
                      (try? ChipAuthentication.authenticate(over: secure, chipKey: key, protocolIdentifier: document.caProtocol)) != nil else { return }
            }
            session = secure.session
        case .pace:
            guard let info = try? EFCardAccess(bytes: document.files.masterFile[ChipFileSystem.efCardAccess] ?? []).securityInfos.paceInfos.first,
                  let parameters = try? PACEParameters(info),
                  let outcome = try? PACETerminal(parameters: parameters, password: .can(Document.can)).authenticate(over: plain) else { return }
            session = outcome.transport.session
            _ = try? outcome.transport.send(selectApplication)
            session = outcome.transport.session
        }
        for command in commands {
            if var current = session, !command.flag, let apdu = try? CommandAPDU(bytes: command.bytes),
               let protected = try? current.protect(apdu), let encoded = try? protected.encoded() {
                let answer = chip.process(encoded)
                if let response = try? ResponseAPDU(bytes: answer) { _ = try? current.unprotect(response, command: apdu) }
                session = current
            } else {
                let answer = chip.process(command.bytes)
                precondition(answer.count >= 2, "the chip answered \(command.bytes.hexString) without a status word")
            }
        }
    }

    static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: ChipFileSystem.ldsApplicationIdentifier)

    static func select(_ fid: UInt16) -> [UInt8] { [0x00, 0xA4, 0x02, 0x0C, 0x02, UInt8(fid >> 8), UInt8(fid & 0xFF)] }
    static func read(offset: Int, _ length: UInt8) -> [UInt8] { [0x00, 0xB0, UInt8(offset >> 8), UInt8(offset & 0xFF), length] }

    static func chipSeeds() throws -> [(name: String, bytes: [UInt8])] {
        let document = try Document()
        let selectMF: [UInt8] = [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]
        let selectApp = try selectApplication.encoded()
        let readFiles: [[UInt8]] = [select(ChipFileSystem.efCOM), read(offset: 0, 0x20), select(ChipFileSystem.dataGroup(1)), read(offset: 0, 0x60),
                                    select(ChipFileSystem.efSOD), read(offset: 0, 0xDF), read(offset: 0x100, 0x40), [0x00, 0xB1, 0x00, 0x00, 0x04, 0x54, 0x02, 0x00, 0x10, 0x20],
                                    [0x00, 0xB0, 0x81, 0x00, 0x08], [0x00, 0x84, 0x00, 0x00, 0x08], [0x00, 0x88, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00]]
        let plainCommands: [[UInt8]] = [selectMF, select(ChipFileSystem.efCardAccess), read(offset: 0, 0x10), select(ChipFileSystem.efATRInfo),
                                        read(offset: 0, 0x20), selectApp, [0x00, 0x84, 0x00, 0x00, 0x08],
                                        [0x00, 0x82, 0x00, 0x00, 0x28] + [UInt8](repeating: 0x11, count: 40) + [0x28],
                                        [0x00, 0x22, 0xC1, 0xA4, 0x0F, 0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02, 0x83, 0x01, 0x02],
                                        [0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00]]
        // Terminal Authentication as the inspection system sends it after Chip Authentication.
        let cvcaReference = Array(document.chain.cvca.chr.utf8)
        let dvReference = Array(document.chain.dv.chr.utf8)
        let taCommands: [[UInt8]] = [
            [0x00, 0x22, 0x81, 0xB6, UInt8(cvcaReference.count + 2), 0x83, UInt8(cvcaReference.count)] + cvcaReference,
            try CommandAPDU(ins: 0x2A, p1: 0x00, p2: 0xBE, data: try document.chain.dv.bodyAndSignature).encoded(),
            [0x00, 0x22, 0x81, 0xB6, UInt8(dvReference.count + 2), 0x83, UInt8(dvReference.count)] + dvReference,
            try CommandAPDU(ins: 0x2A, p1: 0x00, p2: 0xBE, data: try document.terminalCertificate.bodyAndSignature).encoded(),
            [0x00, 0x84, 0x00, 0x00, 0x08], [0x00, 0x82, 0x00, 0x00, 0x40] + [UInt8](repeating: 0x22, count: 64),
            select(ChipFileSystem.dataGroup(3)), read(offset: 0, 0x40),
        ]
        let cvca = try document.chain.cvca.encoded
        let personalization: [[UInt8]] = [
            selectApp, [0x00, 0xE0, 0x00, 0x00, 0x0D, 0x62, 0x0B, 0x80, 0x02, 0x00, 0x40, 0x82, 0x01, 0x01, 0x83, 0x02, 0x01, 0x01],
            [0x00, 0xD6, 0x00, 0x00, 0x08, 0x61, 0x06, 0x5F, 0x1F, 0x03, 0x41, 0x42, 0x43],
            [0x00, 0xD7, 0x00, 0x00, 0x09, 0x54, 0x02, 0x00, 0x08, 0x53, 0x03, 0x44, 0x45, 0x46],
            [0x00, 0xDA, 0x00, 0x62, 0x17, 0x62, 0x15, 0x04, 0x09] + Array("L898902C3".utf8) + [0x04, 0x06] + Array("740812".utf8)
                + [0x04, 0x00],
            [0x00, 0xDA, 0x00, 0x63, UInt8(document.staticKey.count + 15), 0x63, UInt8(document.staticKey.count + 13),
             0x06, 0x09, 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07, 0x04, UInt8(document.staticKey.count)] + document.staticKey,
            try CommandAPDU(ins: 0xDA, p1: 0x01, p2: 0x64, data: cvca).encoded(),
            [0x00, 0xDA, 0x00, 0x65, 0x06] + Array("123456".utf8), [0x00, 0xDA, 0x00, 0x68, 0x06, 0x02, 0x06, 0x00, 0x01, 0x00, 0x02],
            [0x00, 0xDA, 0x00, 0x69, 0x06] + Array("sha256".utf8), [0x00, 0xDA, 0xDE, 0xAD],
        ]
        func input(_ mode: ChipMode, _ commands: [[UInt8]]) -> [UInt8] { [mode.rawValue] + commands.flatMap { chunk($0) } }
        return [
            ("plain.bin", input(.plain, plainCommands)), ("bac.bin", input(.bac, readFiles)), ("pace.bin", input(.pace, readFiles)),
            ("ca-ta.bin", input(.chipAuthentication, taCommands)), ("personalization.bin", input(.personalization, personalization)),
        ]
    }

    // MARK: - The terminal's response parsers

    /// The parsers a terminal runs over what a chip answers, each fed the same bytes; then PACE as the terminal
    /// against a chip whose four GENERAL AUTHENTICATE answers (and MSE answer) are chunks of the input.
    static let terminal = FuzzTarget("terminal", "terminal side: ResponseAPDU, secure messaging unprotect, DynamicAuthenticationData, ATR/INFO, EF.CVCA, CA keys, AA signatures, PACE vs scripted answers", seeds: {
        let dad = DynamicAuthenticationData([(0x80, [UInt8](repeating: 0x5A, count: 16))]).encoded
        let point = try Vectors.read("eac-worked-example/pace_picc_ephemeral_pub_key.bin")
        let pace = [0x90, 0x00] + chunk(dad + [0x90, 0x00]) + chunk(DynamicAuthenticationData([(0x82, point)]).encoded + [0x90, 0x00])
            + chunk(DynamicAuthenticationData([(0x84, point)]).encoded + [0x90, 0x00])
            + chunk(DynamicAuthenticationData([(0x86, [UInt8](repeating: 1, count: 8))]).encoded + [0x90, 0x00])
        return [("dad.bin", dad + [0x90, 0x00]), ("pace.bin", pace), ("atr.bin", ATRInfo.eMRTD.encoded),
                ("sm.bin", [0x87, 0x09, 0x01] + [UInt8](repeating: 2, count: 8) + [0x99, 0x02, 0x90, 0x00, 0x8E, 0x08] + [UInt8](repeating: 3, count: 8) + [0x90, 0x00])]
    }) { bytes in
        _ = try? ResponseAPDU(bytes: bytes)
        _ = try? CommandAPDU(bytes: bytes)
        _ = try? DynamicAuthenticationData(bytes: bytes, "fuzz")
        _ = try? PACEChip.objects(bytes)
        _ = SimpleTLV.parse(bytes)
        _ = try? ATRInfo(encoded: bytes)
        _ = try? EFCVCA(encoded: bytes)
        _ = try? TerminalAuthentication.compressed(bytes)
        _ = try? TerminalAuthentication.chipIdentifier(paceChipPublicKey: bytes)
        if let infos = try? SecurityInfos(bytes: bytes, what: "fuzz") {
            for info in infos.chipAuthenticationPublicKeyInfos { _ = try? ChipAuthentication.ChipKey(info) }
            for info in infos.paceInfos { _ = try? PACEParameters(info) }
        }
        if let response = try? ResponseAPDU(bytes: bytes), let keys = terminalKeys {
            for cipher in keys {
                guard var session = try? SecureMessaging(keys: cipher) else { continue }
                _ = try? session.unprotect(response, command: CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 16))
            }
        }
        if let document {
            let challenge: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            _ = try? ActiveAuthentication.verify(bytes, challenge: challenge, publicKey: document.activeAuthenticationKey.publicKey, hash: .sha256)
            if let rsa = rsaActiveAuthenticationKey {
                _ = try? ActiveAuthentication.verify(bytes, challenge: challenge, publicKey: rsa, hash: .sha256)
            }
            // PACE as the terminal: the first two bytes answer MSE:Set AT, then one chunk per GENERAL AUTHENTICATE.
            if bytes.count >= 2, let info = try? EFCardAccess(bytes: document.files.masterFile[ChipFileSystem.efCardAccess] ?? []).securityInfos.paceInfos.first,
               let parameters = try? PACEParameters(info) {
                let answers = [Array(bytes.prefix(2))] + chunks(bytes.dropFirst(2)).map(\.bytes)
                _ = try? PACETerminal(parameters: parameters, password: .can(Document.can)).authenticate(over: ScriptedCard(answers))
            }
        }
    }

    static let terminalKeys: [SecureMessagingKeys]? = {
        guard let tripleDES = try? SecureMessagingKeys(seed: [UInt8](repeating: 7, count: 16), cipher: .tripleDES),
              let aes = try? SecureMessagingKeys(seed: [UInt8](repeating: 7, count: 16), cipher: .aes128) else { return nil }
        return [tripleDES, aes]
    }()

    static let rsaActiveAuthenticationKey: PublicKey? = (try? PrivateKey.generate(.rsa(bits: 2048)))?.publicKey

    // MARK: - A whole inspection of a hostile chip

    /// The input is records `type ‖ length (2) ‖ bytes`: type < 0x80 replaces application file 01xx (type = xx:
    /// 1E EF.COM, 01…10 DGs, 1D EF.SOD, 1C EF.CVCA), 0x81 the master file's EF.ATR/INFO, other types ≥ 0x80 master file
    /// 01xx with xx = type & 7F (1C EF.CardAccess, 1D EF.CardSecurity), 0xF0 an answer `index (1) ‖ response` that
    /// replaces the chip's answer to the index-th command. Byte 0 picks the password (MRZ or CAN) and whether the
    /// inspection system holds a terminal certificate for Terminal Authentication.
    static let inspection = FuzzTarget("inspection", "inspection system vs a hostile chip: the virtual chip with the fuzzer's files and answers, read by InspectionSystem.inspect", seeds: {
        let document = try Document()
        func record(_ type: UInt8, _ bytes: [UInt8]) -> [UInt8] { [type, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
        var all: [UInt8] = []
        for (fid, content) in document.files.application.sorted(by: { $0.key < $1.key }) { all += record(UInt8(fid & 0x7F), content) }
        let withoutPACE = record(0x9C, [0x31, 0x00])
        return [("mrz-files.bin", [0] + all), ("can-ta.bin", [3] + all), ("mrz-bac-only.bin", [2] + withoutPACE + all),
                ("answers.bin", [0] + record(0xF0, [5, 0x6A, 0x82]) + record(0xF0, [9, 0x90, 0x00]))]
    }) { bytes in
        guard let first = bytes.first, let document else { return }
        var files = document.files
        var answers: [Int: [UInt8]] = [:]
        var rest = bytes.dropFirst()
        while rest.count >= 3 {
            let type = rest[rest.startIndex]
            let length = min(Int(rest[rest.startIndex + 1]) << 8 | Int(rest[rest.startIndex + 2]), rest.count - 3)
            let content = Array(rest.dropFirst(3).prefix(length))
            rest = rest.dropFirst(3 + length)
            switch type {
            case 0xF0:
                if let index = content.first { answers[Int(index)] = Array(content.dropFirst()) }
            case 0x81:
                files.masterFile[ChipFileSystem.efATRInfo] = content
            case 0x80...:
                files.masterFile[0x0100 | UInt16(type & 0x7F)] = content
            default:
                files.application[0x0100 | UInt16(type)] = content
            }
        }
        guard let chip = document.chip(files: files) else { return }
        let password: InspectionSystem.Password = first & 1 == 0 ? .mrz(document.bacKey) : .can(Document.can)
        let credentials = first & 2 == 0 ? [] : [InspectionSystem.TerminalCredentials(
            chain: [document.chain.cvca, document.chain.dv, document.terminalCertificate], key: document.terminalKey)]
        let system = InspectionSystem(password: password, terminals: credentials, passiveAuthenticationService: passiveAuthentication)
        let report = system.inspect(AnswerReplacingCard(InProcessTransport(chip), answers: answers))
        _ = report.steps.checks.count
    }

    static let passiveAuthentication: any PassiveAuthenticationService = {
        let trust = document.map { StaticTrustSource(cscas: [$0.pki.csca]) }
        return LocalPassiveAuthentication(PassiveAuthentication(trustSource: trust, clock: FixedClock(SeedPKI.now), cacheChainResults: false))
    }()
}

/// A card that answers each command with the next scripted answer, then 6A82.
final class ScriptedCard: CardTransport {
    private var answers: [[UInt8]]

    init(_ answers: [[UInt8]]) {
        self.answers = answers
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        guard !answers.isEmpty else { return [0x6A, 0x82] }
        return answers.removeFirst()
    }
}

/// A card in front of another whose answers to chosen commands (by their position) are replaced.
final class AnswerReplacingCard: CardTransport {
    let card: any CardTransport
    let answers: [Int: [UInt8]]
    private var count = 0

    init(_ card: any CardTransport, answers: [Int: [UInt8]]) {
        self.card = card
        self.answers = answers
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        defer { count += 1 }
        let answer = try card.transmit(command)
        return answers[count] ?? answer
    }
}

struct FuzzSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The repository's `Vectors/`, found from this file as the tests find it.
enum Vectors {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Vectors")

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }
}
