/// EF.ATR/INFO (FID 2F01 in the master file; ISO/IEC 7816-4 §8.2.1.1 and §12.7.1, ICAO Doc 9303-10 §3.11): what the
/// card says of itself beyond its ATR. An eMRTD announces here that it takes extended length and command chaining,
/// and how long its APDUs may be, so that a terminal reads a 40 KB DG2 in few commands.
///
/// ```
/// 47 03  card capabilities: byte 1 selection methods, byte 2 data coding, byte 3 b8 command chaining,
///        b7 extended Lc and Le fields
/// 7F66 L extended length information { 02 max bytes in a command APDU, 02 max bytes in a response APDU }
/// ```
/// Other data objects (historical bytes, card service data …) are kept as they are and not interpreted.
public struct ATRInfo: Hashable, Sendable {
    public var cardCapabilities: [UInt8]?
    public var maximumCommandLength: Int?
    public var maximumResponseLength: Int?
    /// The data objects not interpreted, in their order.
    public var otherObjects: [(tag: UInt16, value: [UInt8])] { others.map { ($0.tag, $0.value) } }
    private var others: [Other] = []

    private struct Other: Hashable, Sendable {
        var tag: UInt16
        var value: [UInt8]
    }

    public init(cardCapabilities: [UInt8]? = nil, maximumCommandLength: Int? = nil, maximumResponseLength: Int? = nil) {
        self.cardCapabilities = cardCapabilities
        self.maximumCommandLength = maximumCommandLength
        self.maximumResponseLength = maximumResponseLength
    }

    /// What the virtual chip announces: selection by DF name and file identifier, chaining and extended length, and
    /// APDUs of up to 64 KB (vpcd's messages carry two-byte lengths).
    public static let eMRTD = ATRInfo(cardCapabilities: [0xB0, 0x00, 0xC0], maximumCommandLength: 0xFFFF, maximumResponseLength: 0xFFFF)

    public var supportsCommandChaining: Bool { (cardCapabilities?.count ?? 0) >= 3 && cardCapabilities![2] & 0x80 != 0 }
    public var supportsExtendedLength: Bool { (cardCapabilities?.count ?? 0) >= 3 && cardCapabilities![2] & 0x40 != 0 }

    /// Reads the file: BER-TLV objects up to the end or to padding (00 or FF).
    public init(encoded bytes: [UInt8]) throws {
        var index = 0
        func fail(_ why: String) -> SmartCardError { SmartCardError(.malformedAPDU, "EF.ATR/INFO at offset \(index): \(why)") }
        while index < bytes.count, bytes[index] != 0x00, bytes[index] != 0xFF {
            var tag = UInt16(bytes[index])
            var cursor = index + 1
            if bytes[index] & 0x1F == 0x1F {
                guard cursor < bytes.count, bytes[cursor] & 0x80 == 0 else { throw fail("a tag of more than two bytes") }
                tag = tag << 8 | UInt16(bytes[cursor])
                cursor += 1
            }
            guard cursor < bytes.count else { throw fail("the length is missing") }
            var length = Int(bytes[cursor])
            cursor += 1
            if length > 0x80 {
                let count = length & 0x7F
                guard count <= 2, cursor + count <= bytes.count else { throw fail("length form \(length)") }
                length = bytes[cursor..<(cursor + count)].reduce(0) { $0 << 8 | Int($1) }
                cursor += count
            } else if length == 0x80 {
                throw fail("indefinite length")
            }
            guard cursor + length <= bytes.count else { throw fail("the value runs past the end of the file") }
            let value = Array(bytes[cursor..<(cursor + length)])
            switch tag {
            case 0x47:
                cardCapabilities = value
            case 0x7F66:
                let integers = try Self.integers(value)
                guard integers.count >= 2 else { throw fail("7F66 holds \(integers.count) INTEGER(s), not the two sizes") }
                maximumCommandLength = integers[0]
                maximumResponseLength = integers[1]
            default:
                others.append(Other(tag: tag, value: value))
            }
            index = cursor + length
        }
    }

    static func integers(_ bytes: [UInt8]) throws -> [Int] {
        var values: [Int] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 0x02, index + 1 < bytes.count else {
                throw SmartCardError(.malformedAPDU, "EF.ATR/INFO: 7F66 holds something other than INTEGERs")
            }
            let length = Int(bytes[index + 1])
            guard (1...4).contains(length), index + 2 + length <= bytes.count else {
                throw SmartCardError(.malformedAPDU, "EF.ATR/INFO: an INTEGER of \(length) bytes in 7F66")
            }
            values.append(bytes[(index + 2)..<(index + 2 + length)].reduce(0) { $0 << 8 | Int($1) })
            index += 2 + length
        }
        return values
    }

    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        if let cardCapabilities { bytes += [0x47, UInt8(cardCapabilities.count)] + cardCapabilities }
        if let maximumCommandLength, let maximumResponseLength {
            let value = Self.integer(maximumCommandLength) + Self.integer(maximumResponseLength)
            bytes += [0x7F, 0x66, UInt8(value.count)] + value
        }
        for other in others {
            bytes += (other.tag > 0xFF ? [UInt8(other.tag >> 8), UInt8(other.tag & 0xFF)] : [UInt8(other.tag)])
            bytes += other.value.count < 0x80 ? [UInt8(other.value.count)] : [0x82, UInt8(other.value.count >> 8), UInt8(other.value.count & 0xFF)]
            bytes += other.value
        }
        return bytes
    }

    /// DER INTEGER of a non-negative value: minimal, with a leading 00 when the top bit is set.
    static func integer(_ value: Int) -> [UInt8] {
        var content: [UInt8] = []
        var rest = value
        repeat {
            content.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        } while rest > 0
        if content[0] & 0x80 != 0 { content.insert(0, at: 0) }
        return [0x02, UInt8(content.count)] + content
    }
}
