import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import Personalization
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// A transport that loses the card after a number of commands: a card pulled out of the reader halfway.
final class PulledCard: CardTransport {
    let inner: any CardTransport
    var remaining: Int

    init(_ inner: any CardTransport, after commands: Int) {
        self.inner = inner
        remaining = commands
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        guard remaining > 0 else { throw SmartCardError(.noCard, "the card was removed") }
        remaining -= 1
        return try inner.transmit(command)
    }
}

/// The line in process against blank virtual chips: the document read back by the suite's inspection system and
/// the journal's steps, refusals and faults.
@Suite struct PersonalizationLineTests {
    static func status(_ details: JSONValue, _ name: String) -> String? {
        guard case .object(let fields) = details, let steps = fields.first(where: { $0.0 == "checks" })?.1, case .array(let checks) = steps else { return nil }
        for check in checks {
            guard case .object(let pairs) = check else { continue }
            if pairs.contains(where: { $0.0 == "name" && $0.1 == .string(name) }), let status = pairs.first(where: { $0.0 == "status" })?.1, case .string(let text) = status {
                return text
            }
        }
        return nil
    }

    @Test func personalizesAReadableGenuineChip() throws {
        let fixture = try LineFixture()
        let blank = try EMRTDChip(state: ChipState())
        let report = try fixture.line().personalize(LineFixture.order("UTO000001"), transport: InProcessTransport(blank), reader: "in process")
        #expect(report.succeeded, "\(report.jsonValue.string(pretty: true))")
        #expect(blank.lifecycle == .operational)
        #expect(report.durations.map(\.0) == ["order", "probe", "keys", "sign", "write", "lock", "verify"])
        #expect((report.statistics?.commands ?? 0) > 100)

        // Read again, apart from the line, with PACE (CAN) and with BAC, as two border posts would.
        let fixtureTerminal = fixture.terminal
        for password in [InspectionSystem.Password.can("123456"), .mrz(try BACKey(documentNumber: "UTO000001", dateOfBirth: "740812", dateOfExpiry: "320415"))] {
            let system = InspectionSystem(password: password, terminal: fixtureTerminal,
                                          passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [fixture.csca]), clock: fixture.clock))
            let inspection = system.inspect(InProcessTransport(blank))
            #expect(inspection.summary == "genuine", "\(inspection)")
            #expect(inspection.chipGenuine == .passed && inspection.dataGenuine == .passed)
            #expect(Set(inspection.dataGroups.keys) == [1, 2, 3, 11, 12, 14, 15])
            let dg1 = try DG1(bytes: try #require(inspection.dataGroups[1]))
            #expect(dg1.mrz.documentNumber == "UTO000001" && dg1.mrz.isValid)
            let dg2 = try DG2(bytes: try #require(inspection.dataGroups[2]))
            let face = try #require(dg2.faces.first?.images.first)
            #expect(face.imageData == LineFixture.photo && face.width == 480 && face.height == 640)
            let fingers = try DG3(bytes: try #require(inspection.dataGroups[3])).fingerRecords.flatMap(\.fingers)
            #expect(fingers.map(\.imageData) == [LineFixture.fingerprint(1), LineFixture.fingerprint(6)])
            let dg11 = try DG11(bytes: try #require(inspection.dataGroups[11]))
            #expect(dg11[.placeOfBirth] == "ZENITH")
        }

        // The journal: one verified attempt, each step in the audit trail, only digests of the keys.
        let journal = try fixture.journal()
        let attempts = try journal.attempts(documentNumber: "UTO000001")
        #expect(attempts.count == 1 && attempts[0].state == .verified && !attempts[0].void)
        #expect(attempts[0].keyDigests.keys.sorted() == ["activeAuthentication", "chipAuthentication"])
        let sod = try #require(blank.state.files.application[ChipFileSystem.efSOD])
        #expect(attempts[0].sodDigest == (try HashAlgorithm.sha256.hash(sod)).hexString.lowercased())
        let actions = try fixture.store.auditEntries(domain: "utopia").filter { $0.subject == "UTO000001" }.map(\.action)
        #expect(actions == ["perso.received", "perso.keysMade", "perso.signed", "perso.written", "perso.locked", "perso.verified"])
        #expect(try fixture.store.verifyAudit(domain: "utopia").isIntact)
    }

    @Test func aDocumentIsNeverPersonalizedTwiceAndALockedCardIsRefused() throws {
        let fixture = try LineFixture()
        let line = try fixture.line()
        let chip = try EMRTDChip(state: ChipState())
        #expect(line.personalize(LineFixture.order("UTO000002"), transport: InProcessTransport(chip), reader: "r1").succeeded)

        let again = line.personalize(LineFixture.order("UTO000002"), transport: InProcessTransport(try EMRTDChip(state: ChipState())), reader: "r2")
        #expect(again.outcome == "refused" && again.reason?.contains("was personalized already") == true, "\(again.line)")

        // The locked chip offered again for another document: refused before any key is made.
        let locked = line.personalize(LineFixture.order("UTO000003"), transport: InProcessTransport(chip), reader: "r1")
        #expect(locked.outcome == "failed" && locked.failedStep == "probe" && locked.reason?.contains("locked") == true, "\(locked.line)")
        let attempts = try fixture.journal().attempts(documentNumber: "UTO000003")
        #expect(attempts.count == 1 && attempts[0].state == .failed && attempts[0].keyDigests.isEmpty)
        // … and the document goes through on a blank card.
        #expect(line.personalize(LineFixture.order("UTO000003"), transport: InProcessTransport(try EMRTDChip(state: ChipState())), reader: "r1").succeeded)
    }

    @Test func aCardPulledHalfwayFailsItsDocumentAndTheNextCardWorks() throws {
        let fixture = try LineFixture()
        let line = try fixture.line()
        let chip = try EMRTDChip(state: ChipState())
        let report = line.personalize(LineFixture.order("UTO000004"), transport: PulledCard(InProcessTransport(chip), after: 60), reader: "r1")
        #expect(report.outcome == "failed" && report.failedStep == "write", "\(report.line)")
        #expect(chip.lifecycle == .personalization && !chip.state.files.application.isEmpty)
        let failed = try #require(try fixture.journal().attempts(documentNumber: "UTO000004").first)
        #expect(failed.state == .failed && failed.failedStep == "write" && failed.void && failed.sodDigest != nil)
        let voided = try fixture.store.auditEntries(domain: "utopia").last { $0.action == "perso.failed" }
        #expect(voided?.details["voidSOD"] == failed.sodDigest && voided?.details["void chipAuthentication"] != nil)

        // The half-written card is not used again; a new card takes the document with new keys and a new SOD.
        let reused = line.personalize(LineFixture.order("UTO000004"), transport: InProcessTransport(chip), reader: "r1")
        #expect(reused.outcome == "failed" && reused.reason?.contains("written before") == true, "\(reused.line)")
        let next = line.personalize(LineFixture.order("UTO000004"), transport: InProcessTransport(try EMRTDChip(state: ChipState())), reader: "r1")
        #expect(next.succeeded, "\(next.line)")
        let attempts = try fixture.journal().attempts(documentNumber: "UTO000004")
        #expect(attempts.map(\.state) == [.failed, .failed, .verified])
        #expect(attempts[2].sodDigest != attempts[0].sodDigest && attempts[2].keyDigests != attempts[0].keyDigests)
    }

    /// Crash injection found it: a card given up after the master file's files and before EF.COM passed the probe,
    /// and the line made keys and signed an SOD before CREATE FILE failed. Now it is refused at the probe.
    @Test func aCardGivenUpBeforeEFCOMIsRefusedBeforeAnyKeyIsMade() throws {
        let fixture = try LineFixture()
        let line = try fixture.line()
        var chip = try EMRTDChip(state: ChipState())
        var pulledAfter = 1
        // The first pull that leaves master-file files and no application file.
        while true {
            chip = try EMRTDChip(state: ChipState())
            _ = line.personalize(LineFixture.order("UTO000009"), transport: PulledCard(InProcessTransport(chip), after: pulledAfter), reader: "r1")
            if !chip.state.files.masterFile.isEmpty { break }
            pulledAfter += 1
            try #require(pulledAfter < 40)
        }
        #expect(chip.state.files.application.isEmpty)
        let attemptsBefore = try fixture.journal().attempts(documentNumber: "UTO000009").count
        let refused = line.personalize(LineFixture.order("UTO000009"), transport: InProcessTransport(chip), reader: "r1")
        #expect(refused.outcome == "failed" && refused.failedStep == "probe" && refused.reason?.contains("EF.ATR/INFO already") == true, "\(refused.line)")
        let attempts = try fixture.journal().attempts(documentNumber: "UTO000009")
        #expect(attempts.count == attemptsBefore + 1)
        #expect(attempts.last?.keyDigests.isEmpty == true && attempts.last?.sodDigest == nil, "no key made, nothing signed")
        #expect(line.personalize(LineFixture.order("UTO000009"), transport: InProcessTransport(try EMRTDChip(state: ChipState())), reader: "r1").succeeded)
    }

    /// A line killed after the chip was written (or locked) and before its read-back ended leaves a chip that holds the
    /// whole document; the restart voids its SOD, and the journal says that the booklet must be destroyed.
    @Test func anAttemptInterruptedAfterWritingNamesTheBookletToDestroy() throws {
        let fixture = try LineFixture()
        let journal = try fixture.journal()
        let gone = try Subprocess("/bin/true", [], environment: [:])
        _ = gone.wait()
        var begun: [(String, PersonalizationState)] = []
        for (number, state) in [("UTO000021", PersonalizationState.signed), ("UTO000022", .written), ("UTO000023", .locked)] {
            let attempt = try journal.begin(documentNumber: number, orderDigest: "00", reader: "reader 7")
            try journal.advance(attempt, to: state, sodDigest: "ab")
            begun.append((number, state))
        }
        try fixture.store.write { db in
            try db.execute(sql: "UPDATE perso_attempt SET worker = ?", arguments: ["\(ProcessInfo.processInfo.hostName):\(gone.pid)"])
        }
        #expect(try journal.recoverInterrupted().count == 3)
        for (number, state) in begun {
            let ended = try #require(try journal.attempts(documentNumber: number).first)
            #expect(ended.state == .failed && ended.failedStep == "interrupted" && ended.void)
            let destroy = ended.reason?.contains("reader 7 holds the whole document with a void SOD: take that booklet out and destroy it") == true
            #expect(destroy == (state != .signed), "\(state): \(ended.reason ?? "")")
        }
    }

    @Test func badOrdersAreRefusedBeforeAnyKeyIsMade() throws {
        let fixture = try LineFixture()
        let line = try fixture.line()
        var wrongDigit = LineFixture.order("UTO000005")
        wrongDigit.fields = nil
        wrongDigit.mrz = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C37UTO7408122F1204159ZE184226B<<<<<10"]
        var notAnImage = LineFixture.order("UTO000006")
        notAnImage.photo = Data("%PDF-1.7 this is a document, not a photo".utf8).base64EncodedString()
        for (order, expected) in [(wrongDigit, "document number check digit"), (notAnImage, "not a JPEG or JPEG 2000 image")] {
            let chip = try EMRTDChip(state: ChipState())
            let counting = PulledCard(InProcessTransport(chip), after: Int.max)
            let report = line.personalize(order, transport: counting, reader: "r1")
            #expect(report.outcome == "refused" && report.reason?.contains(expected) == true, "\(report.line)")
            #expect(counting.remaining == Int.max, "the card was not touched")
        }
        #expect(try fixture.journal().attempts().isEmpty)
        #expect(try fixture.store.auditEntries(domain: "utopia").filter { $0.action == "perso.refused" }.count == 2)
    }

    @Test func profilesOfOtherChips() throws {
        let fixture = try LineFixture()
        // PACE-CAM on P-256 with an RSA Active Authentication key and no EAC; then a BAC-only chip.
        let cam = ChipProfile(pace: .init(mapping: "CAM", parameterId: 12), chipAuthentication: .init(parameterId: 12),
                              activeAuthentication: .init(key: "rsa:2048"), terminalAuthentication: false, dataGroups: [1, 2, 11, 12, 14, 15])
        let bacOnly = ChipProfile(pace: nil, chipAuthentication: nil, activeAuthentication: nil, terminalAuthentication: false, dataGroups: [1, 2])
        for (profile, number, access) in [(cam, "UTO000007", "PACE"), (bacOnly, "UTO000008", "BAC")] {
            let chip = try EMRTDChip(state: ChipState())
            let report = try fixture.line(profile: profile, terminal: false)
                .personalize(LineFixture.order(number, fingerprints: false), transport: InProcessTransport(chip), reader: "r1")
            #expect(report.succeeded, "\(report.jsonValue.string(pretty: true))")
            let system = InspectionSystem(password: .can("123456"), terminal: nil,
                                          passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [fixture.csca]), clock: fixture.clock))
            let bac = InspectionSystem(password: .mrz(try BACKey(documentNumber: number, dateOfBirth: "740812", dateOfExpiry: "320415")), terminal: nil,
                                       passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [fixture.csca]), clock: fixture.clock))
            let inspection = (access == "PACE" ? system : bac).inspect(InProcessTransport(chip))
            #expect(inspection.dataGenuine == .passed && inspection.access?.hasPrefix(access) == true, "\(inspection)")
            #expect(inspection.summary == (access == "BAC" ? "chip genuineness not checked" : "genuine"))
            if profile.pace?.mapping == "CAM" {
                let securityFile = try #require(chip.state.files.masterFile[ChipFileSystem.efCardSecurity])
                // EF.CardSecurity is signed by the DS and names the chip's key.
                let security = try EFCardSecurity(bytes: securityFile)
                #expect(security.signedData.verify(signerCertificate: fixture.documentSigner).isValid)
                #expect(security.securityInfos.chipAuthenticationPublicKeyInfos.count == 1)
            }
        }
        #expect(throws: PersonalizationError.self) {
            try ChipProfile(pace: .init(mapping: "CAM", parameterId: 13), chipAuthentication: .init(parameterId: 12)).validate()
        }
        #expect(throws: PersonalizationError.self) { try ChipProfile(terminalAuthentication: false).validate() }
    }

    /// PACE over DH and with 3DES in a domain's profile: the OIDs they announce, the combinations Doc 9303-11 does not
    /// define refused by name, and a DH-IM 3DES chip made and then inspected with the CAN.
    @Test func profilesWithDHMappingsAnd3DES() throws {
        let dhIM = ChipProfile(pace: .init(mapping: "DH-IM", parameterId: 0, cipher: "3des"), activeAuthentication: nil,
                               terminalAuthentication: false, dataGroups: [1, 2, 14])
        try dhIM.validate()
        #expect(try dhIM.paceInfo()?.protocolIdentifier.description == "0.4.0.127.0.7.2.2.4.3.1")
        let dhGM = ChipProfile(pace: .init(mapping: "DH-GM", parameterId: 2, cipher: "aes256"))
        try dhGM.validate()
        #expect(try dhGM.paceInfo()?.protocolIdentifier.description == "0.4.0.127.0.7.2.2.4.1.4")
        #expect(try ChipProfile(pace: .init(mapping: "GM", parameterId: 13, cipher: "3DES")).paceInfo()?.protocolIdentifier.description
                == "0.4.0.127.0.7.2.2.4.2.1")
        for (profile, field) in [(ChipProfile(pace: .init(mapping: "CAM", parameterId: 13, cipher: "3des")), "AES only"),
                                 (ChipProfile(pace: .init(mapping: "DH-IM", parameterId: 13)), "DH group"),
                                 (ChipProfile(pace: .init(mapping: "GM", parameterId: 0)), "elliptic curve"),
                                 (ChipProfile(pace: .init(mapping: "GM", cipher: "des")), "3des, aes128"),
                                 (ChipProfile(chipAuthentication: .init(cipher: "3des")), "aes128, aes192 or aes256")] {
            let refused = #expect(throws: PersonalizationError.self) { try profile.validate() }
            #expect(refused?.reason.contains(field) == true, "\(String(describing: refused))")
        }

        let fixture = try LineFixture()
        let chip = try EMRTDChip(state: ChipState())
        let report = try fixture.line(profile: dhIM, terminal: false)
            .personalize(LineFixture.order("UTO000009", fingerprints: false), transport: InProcessTransport(chip), reader: "r1")
        #expect(report.succeeded, "\(report.jsonValue.string(pretty: true))")
        let system = InspectionSystem(password: .can("123456"), terminal: nil,
                                      passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [fixture.csca]), clock: fixture.clock))
        let inspection = system.inspect(InProcessTransport(chip))
        #expect(inspection.access == "PACE integratedDH 3DES (CAN)", "\(inspection)")
        #expect(inspection.dataGenuine == .passed && inspection.summary == "genuine", "\(inspection)")
    }
}
