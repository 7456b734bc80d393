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
///
/// Every APDU of a session goes through here on both sides, so the work per APDU is kept to the cipher: the keys are
/// set up once (`SessionCipher`), the SSC is two integers, the MAC input is built in one buffer straight from the
/// data objects' bytes, and error texts are made only when there is an error.
public struct SecureMessaging: Sendable {
    public let keys: SecureMessagingKeys
    private let crypto: SessionCipher
    private var counter: Counter

    /// The SSC as it stands: 8 bytes for 3DES, 16 for AES.
    public var sendSequenceCounter: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(counter.width)
        counter.append(to: &bytes)
        return bytes
    }

    public init(keys: SecureMessagingKeys, sendSequenceCounter: [UInt8]) throws {
        guard sendSequenceCounter.count == keys.cipher.blockSize else {
            throw ChipAccessError(.invalidValue, "an \(keys.cipher) send sequence counter has \(keys.cipher.blockSize) bytes, not \(sendSequenceCounter.count)")
        }
        self.keys = keys
        crypto = try SessionCipher(keys.cipher, encryptionKey: keys.encryption, macKey: keys.mac)
        counter = Counter(sendSequenceCounter)
    }

    /// A new session whose SSC starts at zero (PACE and Chip Authentication).
    public init(keys: SecureMessagingKeys) throws {
        try self.init(keys: keys, sendSequenceCounter: [UInt8](repeating: 0, count: keys.cipher.blockSize))
    }

    // MARK: - Terminal side

    /// The protected form of `command`; increments the SSC. Throws, before incrementing, when the command cannot
    /// be encoded (data beyond 65,535 bytes, Ne outside 1...65,536).
    public mutating func protect(_ command: CommandAPDU) throws -> CommandAPDU {
        try command.validate()
        counter.increment()
        let cla = command.cla | 0x0C
        var objects: [UInt8] = []
        objects.reserveCapacity(command.data.count + 2 * keys.cipher.blockSize + 16)
        if !command.data.isEmpty {
            try appendCryptogram(command.data, oddInstruction: command.ins & 1 == 1, to: &objects)
        }
        if let ne = command.expectedLength {
            if ne > 256 {
                let value = ne == 65_536 ? 0 : ne
                objects += [0x97, 0x02, UInt8(value >> 8), UInt8(value & 0xFF)]
            } else {
                objects += [0x97, 0x01, ne == 256 ? 0 : UInt8(ne)]
            }
        }
        let mac = try self.mac(header: (cla, command.ins, command.p1, command.p2), objects, [0..<objects.count])
        objects += [0x8E, 0x08]
        objects += mac
        let extended = command.isExtended || objects.count > 255
        return CommandAPDU(cla: cla, ins: command.ins, p1: command.p1, p2: command.p2, data: objects,
                           expectedLength: extended ? 65_536 : 256, forceExtended: extended)
    }

    /// The plain response to a protected command; increments the SSC. Throws `secureMessaging` — before using
    /// anything of it — when the MAC is missing or wrong or a data object is malformed.
    public mutating func unprotect(_ response: ResponseAPDU, command: CommandAPDU) throws -> ResponseAPDU {
        counter.increment()
        func what() -> String { "the response to \(command)" }
        let body = response.data
        let objects = try Self.dataObjects(body, what)
        guard let macObject = objects.first(where: { $0.tag == 0x8E }) else {
            throw ChipAccessError(.secureMessaging, "\(what()) carries no MAC (DO'8E'; status \(response.statusWord)): the session is closed",
                                  statusWord: response.statusWord)
        }
        let covered = objects.lazy.filter { $0.tag == 0x87 || $0.tag == 0x85 || $0.tag == 0x99 }.map(\.encoded)
        guard try mac(header: nil, body, covered).elementsEqual(body[macObject.value]) else {
            throw ChipAccessError(.secureMessaging, "\(what()): the MAC does not verify (wrong keys, or a replayed or altered response): the session is closed")
        }
        var statusWord = response.statusWord
        if let status = objects.first(where: { $0.tag == 0x99 }) {
            guard status.value.count == 2 else { throw ChipAccessError(.secureMessaging, "\(what()): DO'99' has \(status.value.count) bytes, not 2") }
            statusWord = StatusWord(sw1: body[status.value.lowerBound], sw2: body[status.value.lowerBound + 1])
        }
        var data: [UInt8] = []
        if let encrypted = objects.first(where: { $0.tag == 0x87 || $0.tag == 0x85 }) {
            data = try decipher(encrypted, in: body, what)
        }
        return ResponseAPDU(data: data, statusWord: statusWord)
    }

    // MARK: - Chip side

    /// The plain command inside a protected one; increments the SSC. Throws `secureMessaging` when CLA does not say
    /// secure messaging, a data object is missing or malformed, or the MAC does not verify.
    public mutating func unprotect(command: CommandAPDU) throws -> CommandAPDU {
        counter.increment()
        func what() -> String { "command \(command)" }
        guard command.cla & 0x0C == 0x0C else {
            throw ChipAccessError(.secureMessaging, "\(what()) is not protected (CLA \([command.cla].hexString))", statusWord: .expectedSecureMessagingObjectsMissing)
        }
        let body = command.data
        let objects = try Self.dataObjects(body, what)
        guard let macObject = objects.last, macObject.tag == 0x8E else {
            throw ChipAccessError(.secureMessaging, "\(what()) carries no MAC (DO'8E')", statusWord: .expectedSecureMessagingObjectsMissing)
        }
        let covered = objects.dropLast().lazy.filter { $0.tag == 0x85 || $0.tag == 0x87 || $0.tag == 0x97 }.map(\.encoded)
        guard try mac(header: (command.cla, command.ins, command.p1, command.p2), body, covered).elementsEqual(body[macObject.value]) else {
            throw ChipAccessError(.secureMessaging, "\(what()): the MAC does not verify", statusWord: .incorrectSecureMessagingObjects)
        }
        var plain = CommandAPDU(cla: command.cla & ~0x0C, ins: command.ins, p1: command.p1, p2: command.p2)
        if let encrypted = objects.first(where: { $0.tag == 0x87 || $0.tag == 0x85 }) {
            plain.data = try decipher(encrypted, in: body, what)
        }
        if let le = objects.first(where: { $0.tag == 0x97 }) {
            let value = body[le.value]
            switch value.count {
            case 1: plain.expectedLength = value.first == 0 ? 256 : Int(value[value.startIndex])
            case 2:
                let length = Int(value[value.startIndex]) << 8 | Int(value[value.startIndex + 1])
                plain.expectedLength = length == 0 ? 65_536 : length
                plain.forceExtended = true
            default: throw ChipAccessError(.secureMessaging, "\(what()): DO'97' has \(value.count) bytes", statusWord: .incorrectSecureMessagingObjects)
            }
        }
        return plain
    }

    /// The protected form of the chip's response; increments the SSC.
    public mutating func protect(response: ResponseAPDU) throws -> ResponseAPDU {
        counter.increment()
        var objects: [UInt8] = []
        objects.reserveCapacity(response.data.count + 2 * keys.cipher.blockSize + 16)
        if !response.data.isEmpty { try appendCryptogram(response.data, oddInstruction: false, to: &objects) }
        objects += [0x99, 0x02, response.statusWord.sw1, response.statusWord.sw2]
        let mac = try self.mac(header: nil, objects, [0..<objects.count])
        objects += [0x8E, 0x08]
        objects += mac
        return ResponseAPDU(data: objects, statusWord: response.statusWord)
    }

    // MARK: - Shared

    /// The SSC: a big-endian counter of 8 (3DES) or 16 (AES) bytes, kept as its low and high 64 bits.
    struct Counter: Sendable {
        let width: Int
        var high: UInt64 = 0
        var low: UInt64 = 0

        init(_ bytes: [UInt8]) {
            width = bytes.count
            for (index, byte) in bytes.enumerated() {
                if index < bytes.count - 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            }
        }

        /// Adds one, wrapping to zero after the largest value, as the bytes did.
        mutating func increment() {
            low &+= 1
            if low == 0, width > 8 { high &+= 1 }
        }

        func append(to bytes: inout [UInt8]) {
            if width > 8 { Self.append(high, bytes: width - 8, to: &bytes) }
            Self.append(low, bytes: min(width, 8), to: &bytes)
        }

        private static func append(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
            for shift in stride(from: (count - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
    }

    /// MAC over pad(SSC ‖ [pad(header)] ‖ the covered ranges of `bytes`), 8 bytes.
    func mac<Ranges: Sequence<Range<Int>>>(header: (UInt8, UInt8, UInt8, UInt8)?, _ bytes: [UInt8], _ covered: Ranges) throws -> [UInt8] {
        let blockSize = keys.cipher.blockSize
        var input: [UInt8] = []
        input.reserveCapacity(bytes.count + 3 * blockSize)
        counter.append(to: &input)
        if let (cla, ins, p1, p2) = header {
            input += [cla, ins, p1, p2]
            ISO9797Padding.append(to: &input, blockSize: blockSize)
        }
        for range in covered { input += bytes[range] }
        ISO9797Padding.append(to: &input, blockSize: blockSize)
        return try crypto.mac(input)
    }

    /// 3DES: a zero IV (nil). AES: E(KS_Enc, SSC).
    func initializationVector() throws -> [UInt8]? {
        switch keys.cipher {
        case .tripleDES: return nil
        default: return try crypto.encryptBlock(sendSequenceCounter)
        }
    }

    /// Appends DO'87' (01 ‖ E(KS_Enc, pad(data))), or DO'85' without the 01 for an odd INS.
    func appendCryptogram(_ data: [UInt8], oddInstruction: Bool, to objects: inout [UInt8]) throws {
        let blockSize = keys.cipher.blockSize
        var padded = data
        ISO9797Padding.append(to: &padded, blockSize: blockSize)
        let length = padded.count + (oddInstruction ? 0 : 1)
        guard length <= 0xFFFF else {
            throw ChipAccessError(.invalidValue, "\(data.count) bytes do not fit one secure messaging data object")
        }
        objects.append(oddInstruction ? 0x85 : 0x87)
        switch length {
        case ..<0x80: objects.append(UInt8(length))
        case ..<0x100: objects += [0x81, UInt8(length)]
        default: objects += [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
        }
        if !oddInstruction { objects.append(0x01) }
        try crypto.encrypt(padded[...], iv: initializationVector(), appendingTo: &objects)
    }

    func decipher(_ object: DataObject, in bytes: [UInt8], _ what: () -> String) throws -> [UInt8] {
        var encrypted = object.value
        if object.tag == 0x87 {
            guard !encrypted.isEmpty, bytes[encrypted.lowerBound] == 0x01 else {
                throw ChipAccessError(.secureMessaging, "\(what()): DO'87' does not start with the padding indicator 01", statusWord: .incorrectSecureMessagingObjects)
            }
            encrypted = (encrypted.lowerBound + 1)..<encrypted.upperBound
        }
        let blockSize = keys.cipher.blockSize
        guard !encrypted.isEmpty, encrypted.count % blockSize == 0 else {
            throw ChipAccessError(.secureMessaging, "\(what()): the cryptogram of \(encrypted.count) bytes is not whole blocks", statusWord: .incorrectSecureMessagingObjects)
        }
        var plain: [UInt8] = []
        plain.reserveCapacity(encrypted.count + 2)
        try crypto.decrypt(bytes[encrypted], iv: initializationVector(), appendingTo: &plain)
        guard ISO9797Padding.remove(from: &plain, blockSize: blockSize) else {
            throw ChipAccessError(.secureMessaging, "\(what()): the decrypted data carry no ISO/IEC 9797-1 padding", statusWord: .incorrectSecureMessagingObjects)
        }
        return plain
    }

    /// A data object of a command or response body, as ranges of that body.
    struct DataObject {
        let tag: UInt8
        /// Tag, length and value.
        let encoded: Range<Int>
        let value: Range<Int>
    }

    /// The secure messaging data objects of a command or response body: one-byte tags, BER lengths up to 0xFFFF.
    static func dataObjects(_ bytes: [UInt8], _ what: () -> String) throws -> [DataObject] {
        var objects: [DataObject] = []
        objects.reserveCapacity(4)
        var index = 0
        func fail(_ why: String) -> ChipAccessError {
            ChipAccessError(.secureMessaging, "\(what()): \(why) at offset \(index)", statusWord: .incorrectSecureMessagingObjects)
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
            objects.append(DataObject(tag: tag, encoded: start..<(index + length), value: index..<(index + length)))
            index += length
        }
        return objects
    }
}
