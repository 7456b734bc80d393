import ChipAccess
import CVC
import LDS
import PKICore
import SmartCard
import SwiftASN1

/// A virtual eMRTD chip: the LDS1 application behind ISO/IEC 7816-4 commands, with the access conditions a real
/// chip enforces (ICAO Doc 9303-11 §4.2): nothing but the master file's files before BAC, the application's files
/// only under secure messaging, DG3 and DG4 not without Terminal Authentication, and a session that ends at the
/// first secure messaging error.
///
/// ```
/// SELECT               00 A4 04 0C <AID>        the eMRTD application
///                      00 A4 02 0C <FID>        an EF of the selected directory (00 A4 00 0C 3F00: the master file)
/// READ BINARY          00 B0 <offset> Le        offset 15 bits; P1 = 80|SFI: select by short identifier, offset P2
///                      00 B1 00 00 54 L <off> Le  odd INS: any offset, data in DO'53'
/// GET CHALLENGE        00 84 00 00 08
/// EXTERNAL AUTHENTICATE 00 82 00 00 28 <E_IFD ‖ M_IFD> 28      BAC
/// MSE:Set AT           00 22 C1 A4 { 80 OID, 83 password, 84 parameter ID }       PACE, as EF.CardAccess offers it
/// GENERAL AUTHENTICATE 10/00 86 00 00 7C { … } 00                                   PACE's four steps
/// MSE:Set KAT          0C 22 41 A6 { 91 PK_PCD, [84 keyId] }                        Chip Authentication, 3DES
/// MSE:Set AT + GENERAL AUTHENTICATE  0C 22 41 A4 { 80 OID } · 0C 86 { 7C { 80 PK_PCD } }   Chip Authentication, AES
/// MSE:Set DST · PSO:Verify Certificate · MSE:Set AT · GET CHALLENGE · EXTERNAL AUTHENTICATE
///                      0C 22 81 B6 {83 CAR} · 0C 2A 00 BE {7F4E 5F37} · 0C 22 81 A4 {83 CHR} · 0C 84 · 0C 82   Terminal Authentication
/// INTERNAL AUTHENTICATE 0C 88 00 00 { 08 RND.IFD } 00                              Active Authentication
/// ```
/// Terminal Authentication needs Chip Authentication (or PACE-CAM) first in the same session; its trust points
/// and the chip's current date outlive the session, and EF.CVCA follows the trust points.
public final class EMRTDChip: @unchecked Sendable {
    public internal(set) var files: ChipFileSystem
    /// Personalization (the commands of `ChipPersonalization` accepted) or operational (locked for good).
    public internal(set) var lifecycle: ChipState.Lifecycle
    /// The MRZ's key for BAC; nil on a chip that offers none.
    public internal(set) var bacKey: BACKey?
    public internal(set) var can: String?
    public internal(set) var pin: String?
    public internal(set) var puk: String?
    /// The static Chip Authentication key (DG14, EF.CardSecurity) and its curve.
    public internal(set) var chipAuthenticationKey: [UInt8]?
    public internal(set) var chipAuthenticationCurve: ECCurve
    /// Set for a DH Chip Authentication key (id-PK-DH in DG14): the group its exponent belongs to.
    public internal(set) var chipAuthenticationGroup: DHGroup?
    var chipAuthenticationDomain: KeyAgreementDomain { chipAuthenticationGroup.map { .dh($0) } ?? .ec(chipAuthenticationCurve) }
    /// The Active Authentication key (its public key is DG15) and, for ECDSA, the hash DG14 announces.
    public var activeAuthenticationKey: PrivateKey?
    public var activeAuthenticationHash: HashAlgorithm = .sha256
    /// The PKCS#8 the Active Authentication key was personalized from, kept for the state file.
    var activeAuthenticationKeyEncoding: [UInt8]?
    /// PACE as EF.CardAccess announces it (GM and IM over ECDH and DH, ECDH CAM; AES or, but for CAM, 3DES sessions),
    /// with the MRZ and the CAN.
    public internal(set) var pace: PACEChip?
    /// Terminal Authentication, with the chip's trust points and current date; nil on a chip without EAC.
    public internal(set) var terminalAuthentication: TerminalAuthenticationChip?
    /// EF.CVCA as written, instead of the one made from the trust points: a chip personalized with a wrong or
    /// malformed file (conformity tests of inspection systems, BSI TR-03105-5.1 ISO7816_E and LDS_G).
    public var fixedEFCVCA: [UInt8]? {
        didSet { lock.withLock { _ in updateDerivedState() } }
    }
    /// The document number Terminal Authentication binds to after BAC (ID_PICC), when it is not the MRZ's: a chip
    /// that stores another number than its data page (TR-03105-5.1 ISO7816_E_11).
    public var terminalAuthenticationDocumentNumber: String?
    /// Called, under the chip's lock, after every change to its persistent memory (personalization commands, the
    /// lock, trust points and date updated by Terminal Authentication): `epki chip serve --state` saves it there.
    public var onPersistentChange: (@Sendable (ChipState) -> Void)?

    // Session state, as a real chip keeps it in RAM: lost on reset.
    var directory: ChipFileSystem.Directory = .masterFile
    var selected: UInt16?
    private var challenge: [UInt8]?
    private var session: SecureMessaging?
    /// The session PACE established with its last step, whose answer still goes out in plain.
    private var pendingSession: SecureMessaging?
    /// Chip Authentication: the cipher MSE:Set AT chose, and the session that takes over once its answer is out.
    private var chipAuthenticationCipher: BlockCipher?
    private var switchAfterResponse: SecureMessaging?
    /// What Terminal Authentication binds its signature to: ID_PICC (from BAC or PACE) and Comp() of the terminal's
    /// ephemeral key of Chip Authentication (or of PACE-CAM).
    private var chipIdentifier: [UInt8]?
    private var terminalEphemeralKey: [UInt8]?
    private let lock = Locked<Void>(())

    /// `chipAuthenticationKey` is the chip's static Chip Authentication private key (its public key in DG14 and
    /// EF.CardSecurity): PACE-CAM needs it.
    /// `terminalAuthentication` gives the CVCA trust points and current date of a chip that protects DG3 and DG4 with
    /// Terminal Authentication; EF.CVCA is then written from its trust points.
    public init(files: ChipFileSystem, bacKey: BACKey?, can: String? = nil, chipAuthenticationKey: [UInt8]? = nil,
                chipAuthenticationCurve: ECCurve = .brainpoolP256r1, chipAuthenticationGroup: DHGroup? = nil,
                terminalAuthentication: TerminalAuthenticationChip? = nil) {
        var files = files
        // An operational chip announces extended length and chaining (Doc 9303-10 §3.11) unless its files say otherwise.
        if files.masterFile[ChipFileSystem.efATRInfo] == nil { files.masterFile[ChipFileSystem.efATRInfo] = ATRInfo.eMRTD.encoded }
        self.files = files
        self.lifecycle = .operational
        self.terminalAuthentication = terminalAuthentication
        self.bacKey = bacKey
        self.can = can
        self.chipAuthenticationKey = chipAuthenticationKey
        self.chipAuthenticationCurve = chipAuthenticationCurve
        self.chipAuthenticationGroup = chipAuthenticationGroup
        updateDerivedState()
    }

    /// A chip from its persistent memory (a blank one, or one read back from a state file).
    public init(state: ChipState) throws {
        files = state.files
        lifecycle = state.lifecycle
        bacKey = try state.mrz?.bacKey
        can = state.can
        pin = state.pin
        puk = state.puk
        if let key = state.chipAuthentication {
            chipAuthenticationKey = key.privateKey
            if let curve = ECCurve(rawValue: key.curve) {
                chipAuthenticationCurve = curve
            } else if let group = DHGroup.standardized(name: key.curve) {
                chipAuthenticationCurve = .brainpoolP256r1
                chipAuthenticationGroup = group
            } else {
                throw VirtualChipError(.invalidFile, "chip state: unknown curve or group '\(key.curve)' of the Chip Authentication key")
            }
        } else {
            chipAuthenticationCurve = .brainpoolP256r1
        }
        if let encoded = state.activeAuthenticationKey {
            activeAuthenticationKey = try PrivateKey(encoded: encoded, passphrase: nil, allowUnencrypted: true)
            activeAuthenticationKeyEncoding = encoded
        }
        if let name = state.activeAuthenticationHash {
            guard let hash = HashAlgorithm(rawValue: name) else {
                throw VirtualChipError(.invalidFile, "chip state: unknown Active Authentication hash '\(name)'")
            }
            activeAuthenticationHash = hash
        }
        if !state.trustPoints.isEmpty {
            let trustPoints = try state.trustPoints.map { try CVCertificate(encoded: $0) }
            let date = try state.currentDate.map { try CVDate(string: $0) } ?? trustPoints.map(\.body.effectiveDate).max() ?? CVDate(year: 2000, month: 1, day: 1)
            terminalAuthentication = try TerminalAuthenticationChip(trustPoints: trustPoints, currentDate: date)
        }
        updateDerivedState()
    }

    /// The persistent memory as it is now.
    public var state: ChipState {
        lock.withLock { _ in currentState }
    }

    var currentState: ChipState {
        var state = ChipState()
        state.lifecycle = lifecycle
        state.files = files
        state.mrz = bacKey.map { ChipState.MRZSecret(documentNumber: $0.documentNumber, dateOfBirth: $0.dateOfBirth, dateOfExpiry: $0.dateOfExpiry) }
        state.can = can
        state.pin = pin
        state.puk = puk
        state.chipAuthentication = chipAuthenticationKey.map {
            var key = ChipState.StaticKey(curve: chipAuthenticationCurve, privateKey: $0)
            if let chipAuthenticationGroup { key.curve = chipAuthenticationGroup.name }
            return key
        }
        state.activeAuthenticationKey = activeAuthenticationKeyEncoding
        state.activeAuthenticationHash = activeAuthenticationKeyEncoding == nil ? nil : activeAuthenticationHash.rawValue
        if let terminalAuthentication {
            state.trustPoints = terminalAuthentication.trustPoints.compactMap { try? $0.encoded }
            state.currentDate = terminalAuthentication.currentDate.description
        }
        return state
    }

    /// PACE from EF.CardAccess and the passwords, EF.CVCA from the trust points: rebuilt after personalization.
    func updateDerivedState() {
        if let fixedEFCVCA {
            files.application[ChipFileSystem.efCVCA] = fixedEFCVCA
        } else if let terminalAuthentication, let efCVCA = try? terminalAuthentication.efCVCA.encoded {
            files.application[ChipFileSystem.efCVCA] = efCVCA
        }
        let infos = files.masterFile[ChipFileSystem.efCardAccess].flatMap { try? EFCardAccess(bytes: $0).securityInfos.paceInfos } ?? []
        let offered = infos.compactMap { try? PACEParameters($0) }
        let passwords = [bacKey.map(PACEPassword.mrz), can.map(PACEPassword.can), pin.map(PACEPassword.pin), puk.map(PACEPassword.puk)].compactMap { $0 }
        pace = offered.isEmpty || passwords.isEmpty ? nil : PACEChip(offered: offered, passwords: passwords)
        pace?.chipAuthenticationKey = chipAuthenticationKey
    }

    /// After a change to persistent memory: the derived parts, and the owner told.
    func persistentMemoryChanged() {
        updateDerivedState()
        onPersistentChange?(currentState)
    }

    /// A reset (power on, warm reset): the master file is selected and every session is gone.
    public func reset() {
        lock.withLock { _ in
            directory = .masterFile
            selected = nil
            challenge = nil
            session = nil
            pace?.reset()
            endAuthentications()
        }
    }

    /// What a new BAC or PACE, or a reset, leaves behind: no Chip or Terminal Authentication of an earlier session.
    private func endAuthentications() {
        chipIdentifier = nil
        terminalEphemeralKey = nil
        switchAfterResponse = nil
        chipAuthenticationCipher = nil
        terminalAuthentication?.resetSession()
    }

    /// Whether secure messaging is up (after BAC).
    public var hasSecureMessaging: Bool { lock.withLock { _ in session != nil } }

    /// Answers one command APDU, as the chip's operating system would: never throws, every failure is a status word.
    public func process(_ bytes: [UInt8]) -> [UInt8] {
        lock.withLock { _ in processLocked(bytes) }
    }

    private func processLocked(_ bytes: [UInt8]) -> [UInt8] {
        guard let received = try? CommandAPDU(bytes: bytes) else { return StatusWord.wrongLength.bytes }
        var command = received
        var protected = false
        if var current = session {
            if received.cla & 0x0C == 0x0C {
                do {
                    command = try current.unprotect(command: received)
                    session = current
                    protected = true
                } catch {
                    // A MAC that does not verify, a replayed counter, a malformed object: the session ends (9303-11 §9.8).
                    session = nil
                    return ((error as? ChipAccessError)?.statusWord ?? .incorrectSecureMessagingObjects).bytes
                }
            } else {
                // A plain command ends secure messaging; it is then answered with the rights of no session.
                session = nil
            }
        } else if received.cla & 0x0C == 0x0C {
            return StatusWord.secureMessagingNotSupported.bytes
        }
        let response = dispatch(command, protected: protected)
        if let established = pendingSession {
            pendingSession = nil
            session = established
            endAuthentications()
            if let keys = pace?.established {
                chipIdentifier = try? TerminalAuthentication.chipIdentifier(paceChipPublicKey: keys.chipPublicKey, domain: keys.domain)
                if keys.mapping == .chipAuthentication { terminalEphemeralKey = keys.terminalPublicKey }
            }
            return response.encoded
        }
        guard protected, var current = session else { return response.encoded }
        do {
            let wrapped = try current.protect(response: response)
            // After Chip Authentication the answer still goes out under the old keys; the next command uses the new.
            session = switchAfterResponse ?? current
            switchAfterResponse = nil
            return wrapped.encoded
        } catch {
            session = nil
            return StatusWord.noPreciseDiagnosis.bytes
        }
    }

    private func dispatch(_ command: CommandAPDU, protected: Bool) -> ResponseAPDU {
        switch command.ins {
        case 0xA4: return select(command, protected: protected)
        case 0xB0, 0xB1: return readBinary(command, protected: protected)
        case 0x84 where protected && terminalAuthentication?.isAwaitingSignature == true:
            return terminalAuthenticationChallenge(command)
        case 0x84: return getChallenge(command)
        case 0x82 where protected: return terminalAuthenticate(command)
        case 0x82: return externalAuthenticate(command)
        case 0x22 where command.p1 == 0x81 && (command.p2 == 0xB6 || command.p2 == 0xA4),
             0x2A where command.p1 == 0x00 && command.p2 == 0xBE:
            return terminalAuthenticationStep(command, protected: protected)
        case 0x22 where command.p1 == 0xC1 && command.p2 == 0xA4:
            guard let pace else { return ResponseAPDU(statusWord: .functionNotSupported) }
            return ResponseAPDU(statusWord: pace.manageSecurityEnvironment(command.data))
        case 0x88:
            guard let key = activeAuthenticationKey else { return ResponseAPDU(statusWord: .instructionNotSupported) }
            guard protected, session != nil else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
            guard command.data.count == 8 else { return ResponseAPDU(statusWord: .wrongLength) }
            guard let signature = try? ActiveAuthentication.sign(command.data, key: key, hash: activeAuthenticationHash) else {
                return ResponseAPDU(statusWord: .noPreciseDiagnosis)
            }
            return ResponseAPDU(data: signature, statusWord: .success)
        case 0x22 where command.p1 == 0x41 && (command.p2 == 0xA6 || command.p2 == 0xA4):
            return chipAuthenticationSetUp(command, protected: protected)
        case 0x86 where protected && chipAuthenticationCipher != nil:
            return chipAuthenticate(command)
        case 0x86:
            guard let pace else { return ResponseAPDU(statusWord: .instructionNotSupported) }
            let (response, established) = pace.generalAuthenticate(command)
            if let established { pendingSession = established }
            return response
        case 0xE0, 0xD6, 0xD7, 0xDA:
            return personalize(command)
        default: return ResponseAPDU(statusWord: .instructionNotSupported)
        }
    }

    // MARK: - File access

    private func select(_ command: CommandAPDU, protected: Bool) -> ResponseAPDU {
        switch command.p1 {
        case 0x04:
            guard command.data == ChipFileSystem.ldsApplicationIdentifier else { return ResponseAPDU(statusWord: .fileNotFound) }
            directory = .application
            selected = nil
            return ResponseAPDU(statusWord: .success)
        case 0x00 where command.data.isEmpty || command.data == [0x3F, 0x00]:
            directory = .masterFile
            selected = nil
            return ResponseAPDU(statusWord: .success)
        case 0x00, 0x02:
            guard command.data.count == 2 else { return ResponseAPDU(statusWord: .incorrectParametersInData) }
            let identifier = UInt16(command.data[0]) << 8 | UInt16(command.data[1])
            guard let file = files.file(identifier, in: directory) else { return ResponseAPDU(statusWord: .fileNotFound) }
            if let refusal = accessRefusal(identifier, protected: protected, selecting: true) { return ResponseAPDU(statusWord: refusal) }
            selected = identifier
            guard command.p2 & 0x0C != 0x0C else { return ResponseAPDU(statusWord: .success) }
            // FCP: file size and identifier (ISO/IEC 7816-4 §5.3.3).
            let size = UInt16(min(file.count, 0xFFFF))
            let fcp: [UInt8] = [0x80, 0x02, UInt8(size >> 8), UInt8(size & 0xFF), 0x82, 0x01, 0x01, 0x83, 0x02, command.data[0], command.data[1]]
            return ResponseAPDU(data: [0x62, UInt8(fcp.count)] + fcp, statusWord: .success)
        default:
            return ResponseAPDU(statusWord: .incorrectP1P2)
        }
    }

    private func readBinary(_ command: CommandAPDU, protected: Bool) -> ResponseAPDU {
        var offset: Int
        var identifier = selected
        if command.ins == 0xB1 {
            // DO'54' carries the offset (ISO/IEC 7816-4 §11.3.3).
            guard command.data.count >= 3, command.data[0] == 0x54, Int(command.data[1]) == command.data.count - 2, command.data[1] <= 4 else {
                return ResponseAPDU(statusWord: .incorrectParametersInData)
            }
            offset = command.data.dropFirst(2).reduce(0) { $0 << 8 | Int($1) }
        } else if command.p1 & 0x80 != 0 {
            guard command.p1 & 0x60 == 0, let found = files.fileIdentifier(shortIdentifier: command.p1 & 0x1F, in: directory) else {
                return ResponseAPDU(statusWord: .fileNotFound)
            }
            identifier = found
            offset = Int(command.p2)
        } else {
            offset = Int(command.p1) << 8 | Int(command.p2)
        }
        guard let current = identifier, let file = files.file(current, in: directory) else {
            return ResponseAPDU(statusWord: .commandNotAllowedNoCurrentEF)
        }
        if let refusal = accessRefusal(current, protected: protected) { return ResponseAPDU(statusWord: refusal) }
        selected = current
        guard offset <= file.count else { return ResponseAPDU(statusWord: .wrongP1P2) }
        let wanted = command.expectedLength ?? 256
        let chunk = Array(file[offset..<min(file.count, offset + wanted)])
        if command.ins == 0xB1 {
            return ResponseAPDU(data: Self.tlv(0x53, chunk), statusWord: .success)
        }
        return ResponseAPDU(data: chunk, statusWord: chunk.count < wanted && wanted < 256 ? .endOfFileReached : .success)
    }

    /// The status word that refuses access to a file, nil when it is granted.
    private func accessRefusal(_ identifier: UInt16, protected: Bool, selecting: Bool = false) -> StatusWord? {
        guard directory == .application else { return nil }
        // A chip in personalization lets the line select what it writes; reading back still needs BAC (JMRTD applet).
        if selecting && lifecycle == .personalization { return nil }
        guard protected, session != nil else { return .securityStatusNotSatisfied }
        // DG3 (fingerprints) and DG4 (iris) need Terminal Authentication with the right in the effective CHAT.
        let rights = terminalAuthentication?.grantedRights ?? []
        if identifier == ChipFileSystem.dataGroup(3) && !rights.contains(.readDG3) { return .securityStatusNotSatisfied }
        if identifier == ChipFileSystem.dataGroup(4) && !rights.contains(.readDG4) { return .securityStatusNotSatisfied }
        return nil
    }

    // MARK: - BAC

    private func getChallenge(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.expectedLength == 8 else { return ResponseAPDU(statusWord: .wrongLength) }
        guard let random = try? SecureRandom.bytes(8) else { return ResponseAPDU(statusWord: .noPreciseDiagnosis) }
        challenge = random
        return ResponseAPDU(data: random, statusWord: .success)
    }

    private func externalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let bacKey, directory == .application else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        guard let rndIC = challenge else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        challenge = nil  // one try per challenge
        do {
            let (response, established) = try BasicAccessControl.chipRespond(to: command.data, keys: bacKey.keys, rndIC: rndIC)
            session = established
            endAuthentications()
            chipIdentifier = TerminalAuthentication.chipIdentifier(bacKey)
            if let number = terminalAuthenticationDocumentNumber {
                chipIdentifier = Array((number + String(MRZCheckDigit.compute(number) ?? "0")).utf8)
            }
            return ResponseAPDU(data: response, statusWord: .success)
        } catch let error as ChipAccessError {
            session = nil
            return ResponseAPDU(statusWord: error.statusWord ?? .verificationFailed)
        } catch {
            session = nil
            return ResponseAPDU(statusWord: .verificationFailed)
        }
    }

    // MARK: - Chip Authentication

    private func chipAuthenticationSetUp(_ command: CommandAPDU, protected: Bool) -> ResponseAPDU {
        chipAuthenticationCipher = nil
        guard let chipAuthenticationKey else { return ResponseAPDU(statusWord: .functionNotSupported) }
        guard protected, session != nil else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
        guard let objects = try? PACEChip.objects(command.data) else { return ResponseAPDU(statusWord: .incorrectParametersInData) }
        if command.p2 == 0xA6 {
            // MSE:Set KAT: the terminal's key is here, 3DES sessions.
            guard let terminalKey = objects[0x91] else { return ResponseAPDU(statusWord: .incorrectParametersInData) }
            return agree(terminalKey, key: chipAuthenticationKey, cipher: .tripleDES)
        }
        guard let oid = objects[0x80], let identifier = try? ASN1ObjectIdentifier(derEncoded: [0x06, UInt8(oid.count)] + oid),
              let cipher = try? ChipAuthentication.cipher(of: identifier), cipher != .tripleDES else {
            return ResponseAPDU(statusWord: .referencedDataNotFound)
        }
        chipAuthenticationCipher = cipher
        return ResponseAPDU(statusWord: .success)
    }

    private func chipAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        defer { chipAuthenticationCipher = nil }
        guard let cipher = chipAuthenticationCipher, let chipAuthenticationKey,
              let data = try? DynamicAuthenticationData(bytes: command.data, "GENERAL AUTHENTICATE"), let terminalKey = data[0x80] else {
            return ResponseAPDU(statusWord: .incorrectParametersInData)
        }
        let agreed = agree(terminalKey, key: chipAuthenticationKey, cipher: cipher)
        return agreed.statusWord.isSuccess ? ResponseAPDU(data: DynamicAuthenticationData().encoded, statusWord: .success) : agreed
    }

    private func agree(_ terminalKey: [UInt8], key: [UInt8], cipher: BlockCipher) -> ResponseAPDU {
        do {
            switchAfterResponse = try ChipAuthentication.chipSession(terminalPublicKey: terminalKey, staticKey: key, domain: chipAuthenticationDomain,
                                                                    cipher: cipher)
            terminalEphemeralKey = terminalKey
            return ResponseAPDU(statusWord: .success)
        } catch {
            return ResponseAPDU(statusWord: (error as? ChipAccessError)?.statusWord ?? .incorrectParametersInData)
        }
    }

    // MARK: - Terminal Authentication

    private func terminalAuthenticationStep(_ command: CommandAPDU, protected: Bool) -> ResponseAPDU {
        guard let terminalAuthentication else { return ResponseAPDU(statusWord: .instructionNotSupported) }
        guard protected, session != nil else { return ResponseAPDU(statusWord: .securityStatusNotSatisfied) }
        // EAC1: Terminal Authentication follows Chip Authentication (or PACE-CAM) in the same session.
        guard terminalEphemeralKey != nil else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        let status: StatusWord
        switch command.ins {
        case 0x2A:
            let before = (terminalAuthentication.trustPoints, terminalAuthentication.currentDate)
            status = terminalAuthentication.verifyCertificate(command.data, chained: command.isChained)
            if status.isSuccess, before != (terminalAuthentication.trustPoints, terminalAuthentication.currentDate) {
                persistentMemoryChanged()
            }
        case _ where command.p2 == 0xB6: status = terminalAuthentication.setDigitalSignatureTemplate(command.data)
        default: status = terminalAuthentication.setAuthenticationTemplate(command.data)
        }
        return ResponseAPDU(statusWord: status)
    }

    private func terminalAuthenticationChallenge(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.expectedLength == 8 else { return ResponseAPDU(statusWord: .wrongLength) }
        guard let random = try? terminalAuthentication?.getChallenge() else { return ResponseAPDU(statusWord: .noPreciseDiagnosis) }
        return ResponseAPDU(data: random, statusWord: .success)
    }

    private func terminalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let terminalAuthentication, let chipIdentifier, let terminalEphemeralKey else {
            return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied)
        }
        return ResponseAPDU(statusWord: terminalAuthentication.externalAuthenticate(
            signature: command.data, chipIdentifier: chipIdentifier, terminalEphemeralKey: terminalEphemeralKey))
    }

    static func tlv(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
        switch value.count {
        case ..<0x80: return [tag, UInt8(value.count)] + value
        case ..<0x100: return [tag, 0x81, UInt8(value.count)] + value
        default: return [tag, 0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
    }
}
