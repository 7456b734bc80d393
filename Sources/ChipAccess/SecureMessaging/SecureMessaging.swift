import PKICore
import SmartCard

/// Secure messaging of ICAO Doc 9303-11 §9.8 (ISO/IEC 7816-4 §6), both ways: the terminal protects commands and
/// checks responses, the chip checks commands and protects responses, with one send sequence counter (SSC) that
/// each side increments before every command and every response.
///
/// ```
/// protected command   CLA|0C INS P1 P2 Lc' [DO'87' | DO'85'] [DO'97'] DO'8E' Le'
///   DO'87'  87 L 01 ‖ E(KS_Enc, pad(data))          (DO'85' without the 01 for an odd INS)
///   DO'97'  97 01 Le  or  97 02 Le1 Le2                (extended length)
///   DO'8E'  8E 08 MAC(KS_MAC, pad(SSC ‖ pad(CLA|0C INS P1 P2) ‖ DO'87' ‖ DO'97'))
/// protected response  [DO'87'] DO'99' DO'8E' SW1 SW2
///   DO'99'  99 02 SW1 SW2
///   DO'8E'  8E 08 MAC(KS_MAC, pad(SSC ‖ DO'87' ‖ DO'99'))
/// 3DES: CBC with a zero IV, retail MAC.  AES: CBC with IV = E(KS_Enc, SSC), CMAC cut to 8 bytes.
/// ```
/// A response whose MAC is wrong or missing is never used: the check comes first, and it ends the session (a
/// counter that has moved on cannot be trusted again).
public struct SecureMessaging: Sendable {
    public let keys: SecureMessagingKeys
    /// The SSC as it stands: 8 bytes for 3DES, 16 for AES.
    public private(set) var sendSequenceCounter: [UInt8]

    public init(keys: SecureMessagingKeys, sendSequenceCounter: [UInt8]) throws {
        guard sendSequenceCounter.count == keys.cipher.blockSize else {
            throw ChipAccessError(.invalidValue, "an \(keys.cipher) send sequence counter has \(keys.cipher.blockSize) bytes, not \(sendSequenceCounter.count)")
        }
        self.keys = keys
        self.sendSequenceCounter = sendSequenceCounter
    }

    /// A new session whose SSC starts at zero (PACE and Chip Authentication).
    public init(keys: SecureMessagingKeys) throws {
        try self.init(keys: keys, sendSequenceCounter: [UInt8](repeating: 0, count: keys.cipher.blockSize))
    }

    // MARK: - Terminal side

    /// The protected form of `command`; increments the SSC.
    public mutating func protect(_ command: CommandAPDU) throws -> CommandAPDU {
        increment()
        let cla = command.cla | 0x0C
        var objects: [UInt8] = []
        if !command.data.isEmpty {
            objects += try cryptogram(command.data, oddInstruction: command.ins & 1 == 1)
        }
        if let ne = command.expectedLength {
            objects += ne > 256 ? [0x97, 0x02, UInt8((ne == 65_536 ? 0 : ne) >> 8), UInt8((ne == 65_536 ? 0 : ne) & 0xFF)]
                                : [0x97, 0x01, ne == 256 ? 0 : UInt8(ne)]
        }
        let header = ISO9797Padding.pad([cla, command.ins, command.p1, command.p2], blockSize: keys.cipher.blockSize)
        objects += [0x8E, 0x08] + (try mac(header + objects))
        let extended = command.isExtended || objects.count > 255
        return CommandAPDU(cla: cla, ins: command.ins, p1: command.p1, p2: command.p2, data: objects,
                           expectedLength: extended ? 65_536 : 256, forceExtended: extended)
    }

    /// The plain response to a protected command; increments the SSC. Throws `secureMessaging` — before using
    /// anything of it — when the MAC is missing or wrong or a data object is malformed.
    public mutating func unprotect(_ response: ResponseAPDU, command: CommandAPDU) throws -> ResponseAPDU {
        increment()
        let what = "the response to \(command)"
        let objects = try Self.dataObjects(response.data, what)
        guard let macObject = objects.first(where: { $0.tag == 0x8E }) else {
            throw ChipAccessError(.secureMessaging, "\(what) carries no MAC (DO'8E'; status \(response.statusWord)): the session is closed",
                                  statusWord: response.statusWord)
        }
        let covered = objects.filter { $0.tag == 0x87 || $0.tag == 0x85 || $0.tag == 0x99 }.flatMap(\.encoded)
        guard try mac(covered) == macObject.value else {
            throw ChipAccessError(.secureMessaging, "\(what): the MAC does not verify (wrong keys, or a replayed or altered response): the session is closed")
        }
        var statusWord = response.statusWord
        if let status = objects.first(where: { $0.tag == 0x99 }) {
            guard status.value.count == 2 else { throw ChipAccessError(.secureMessaging, "\(what): DO'99' has \(status.value.count) bytes, not 2") }
            statusWord = StatusWord(sw1: status.value[0], sw2: status.value[1])
        }
        var data: [UInt8] = []
        if let encrypted = objects.first(where: { $0.tag == 0x87 || $0.tag == 0x85 }) {
            data = try decipher(encrypted, what)
        }
        return ResponseAPDU(data: data, statusWord: statusWord)
    }

    // MARK: - Chip side

    /// The plain command inside a protected one; increments the SSC. Throws `secureMessaging` when CLA does not say
    /// secure messaging, a data object is missing or malformed, or the MAC does not verify.
    public mutating func unprotect(command: CommandAPDU) throws -> CommandAPDU {
        increment()
        let what = "command \(command)"
        guard command.cla & 0x0C == 0x0C else {
            throw ChipAccessError(.secureMessaging, "\(what) is not protected (CLA \([command.cla].hexString))", statusWord: .expectedSecureMessagingObjectsMissing)
        }
        let objects = try Self.dataObjects(command.data, what)
        guard let macObject = objects.last, macObject.tag == 0x8E else {
            throw ChipAccessError(.secureMessaging, "\(what) carries no MAC (DO'8E')", statusWord: .expectedSecureMessagingObjectsMissing)
        }
        let header = ISO9797Padding.pad([command.cla, command.ins, command.p1, command.p2], blockSize: keys.cipher.blockSize)
        let covered = objects.dropLast().filter { [0x85, 0x87, 0x97].contains($0.tag) }.flatMap(\.encoded)
        guard try mac(header + covered) == macObject.value else {
            throw ChipAccessError(.secureMessaging, "\(what): the MAC does not verify", statusWord: .incorrectSecureMessagingObjects)
        }
        var plain = CommandAPDU(cla: command.cla & ~0x0C, ins: command.ins, p1: command.p1, p2: command.p2)
        if let encrypted = objects.first(where: { $0.tag == 0x87 || $0.tag == 0x85 }) {
            plain.data = try decipher(encrypted, what)
        }
        if let le = objects.first(where: { $0.tag == 0x97 }) {
            switch le.value.count {
            case 1: plain.expectedLength = le.value[0] == 0 ? 256 : Int(le.value[0])
            case 2:
                let value = Int(le.value[0]) << 8 | Int(le.value[1])
                plain.expectedLength = value == 0 ? 65_536 : value
                plain.forceExtended = true
            default: throw ChipAccessError(.secureMessaging, "\(what): DO'97' has \(le.value.count) bytes", statusWord: .incorrectSecureMessagingObjects)
            }
        }
        return plain
    }

    /// The protected form of the chip's response; increments the SSC.
    public mutating func protect(response: ResponseAPDU) throws -> ResponseAPDU {
        increment()
        var objects: [UInt8] = []
        if !response.data.isEmpty { objects += try cryptogram(response.data, oddInstruction: false) }
        objects += [0x99, 0x02] + response.statusWord.bytes
        objects += [0x8E, 0x08] + (try mac(objects))
        return ResponseAPDU(data: objects, statusWord: response.statusWord)
    }

    // MARK: - Shared

    mutating func increment() {
        for index in sendSequenceCounter.indices.reversed() {
            sendSequenceCounter[index] &+= 1
            if sendSequenceCounter[index] != 0 { break }
        }
    }

    /// MAC over pad(SSC ‖ input), 8 bytes.
    func mac(_ input: [UInt8]) throws -> [UInt8] {
        let padded = ISO9797Padding.pad(sendSequenceCounter + input, blockSize: keys.cipher.blockSize)
        switch keys.cipher {
        case .tripleDES: return try MessageAuthenticationCode.retailMAC(key: keys.mac, paddedData: padded)
        default: return Array(try MessageAuthenticationCode.cmac(key: keys.mac, data: padded).prefix(8))
        }
    }

    /// 3DES: a zero IV. AES: E(KS_Enc, SSC).
    func initializationVector() throws -> [UInt8] {
        switch keys.cipher {
        case .tripleDES: return [UInt8](repeating: 0, count: 8)
        default: return try keys.cipher.encryptBlock(sendSequenceCounter, key: keys.encryption)
        }
    }

    func cryptogram(_ data: [UInt8], oddInstruction: Bool) throws -> [UInt8] {
        let encrypted = try keys.cipher.encrypt(ISO9797Padding.pad(data, blockSize: keys.cipher.blockSize), key: keys.encryption,
                                                iv: initializationVector())
        return oddInstruction ? Self.tlv(0x85, encrypted) : Self.tlv(0x87, [0x01] + encrypted)
    }

    func decipher(_ object: DataObject, _ what: String) throws -> [UInt8] {
        var encrypted = object.value
        if object.tag == 0x87 {
            guard encrypted.first == 0x01 else {
                throw ChipAccessError(.secureMessaging, "\(what): DO'87' does not start with the padding indicator 01", statusWord: .incorrectSecureMessagingObjects)
            }
            encrypted.removeFirst()
        }
        guard !encrypted.isEmpty, encrypted.count % keys.cipher.blockSize == 0 else {
            throw ChipAccessError(.secureMessaging, "\(what): the cryptogram of \(encrypted.count) bytes is not whole blocks", statusWord: .incorrectSecureMessagingObjects)
        }
        let padded = try keys.cipher.decrypt(encrypted, key: keys.encryption, iv: initializationVector())
        guard let plain = ISO9797Padding.unpad(padded, blockSize: keys.cipher.blockSize) else {
            throw ChipAccessError(.secureMessaging, "\(what): the decrypted data carry no ISO/IEC 9797-1 padding", statusWord: .incorrectSecureMessagingObjects)
        }
        return plain
    }

    struct DataObject {
        let tag: UInt8
        let value: [UInt8]
        let encoded: [UInt8]
    }

    /// The secure messaging data objects of a command or response body: one-byte tags, BER lengths up to 0xFFFF.
    static func dataObjects(_ bytes: [UInt8], _ what: String) throws -> [DataObject] {
        var objects: [DataObject] = []
        var index = 0
        func fail(_ why: String) -> ChipAccessError {
            ChipAccessError(.secureMessaging, "\(what): \(why) at offset \(index)", statusWord: .incorrectSecureMessagingObjects)
        }
        while index < bytes.count {
            let start = index
            let tag = bytes[index]
            index += 1
            guard index < bytes.count else { throw fail("data object \([tag].hexString) has no length") }
            var length = Int(bytes[index])
            index += 1
            if length == 0x81 || length == 0x82 {
                let count = length - 0x80
                guard index + count <= bytes.count else { throw fail("the length of data object \([tag].hexString) is cut short") }
                length = bytes[index..<(index + count)].reduce(0) { $0 << 8 | Int($1) }
                index += count
            } else if length > 0x7F {
                throw fail("data object \([tag].hexString) has an unsupported length form \([UInt8(length)].hexString)")
            }
            guard index + length <= bytes.count else { throw fail("data object \([tag].hexString) claims \(length) bytes but \(bytes.count - index) remain") }
            objects.append(DataObject(tag: tag, value: Array(bytes[index..<(index + length)]), encoded: Array(bytes[start..<(index + length)])))
            index += length
        }
        return objects
    }

    static func tlv(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
        switch value.count {
        case ..<0x80: return [tag, UInt8(value.count)] + value
        case ..<0x100: return [tag, 0x81, UInt8(value.count)] + value
        default: return [tag, 0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
    }
}
