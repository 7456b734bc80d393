/// The data of GENERAL AUTHENTICATE in PACE, Chip Authentication and Terminal Authentication (ISO/IEC 7816-4 §7.5.2,
/// Doc 9303-11 §4.4.4): one constructed object 7C holding context-specific objects.
///
/// ```
/// 7C L { 80 encrypted nonce | 81 mapping data (terminal) | 82 mapping data (chip) | 83 ephemeral key (terminal)
///        | 84 ephemeral key (chip) | 85 terminal token | 86 chip token | 8A encrypted chip authentication data }
/// ```
public struct DynamicAuthenticationData: Hashable, Sendable {
    public var objects: [(tag: UInt8, value: [UInt8])]

    public init(_ objects: [(tag: UInt8, value: [UInt8])] = []) {
        self.objects = objects
    }

    public subscript(tag: UInt8) -> [UInt8]? { objects.first { $0.tag == tag }?.value }

    public var encoded: [UInt8] {
        Self.tlv([0x7C], objects.flatMap { Self.tlv([$0.tag], $0.value) })
    }

    /// Reads 7C { … }; throws naming `what` when the bytes are not that.
    public init(bytes: [UInt8], _ what: String) throws {
        func fail(_ why: String) -> ChipAccessError {
            ChipAccessError(.invalidValue, "\(what): \(why)", statusWord: .incorrectParametersInData)
        }
        guard bytes.first == 0x7C else { throw fail("the data do not start with tag 7C") }
        let (length, header) = try Self.length(bytes, at: 1, fail)
        guard 1 + header + length == bytes.count else { throw fail("7C claims \(length) bytes, \(bytes.count - 1 - header) follow") }
        var index = 1 + header
        var objects: [(tag: UInt8, value: [UInt8])] = []
        while index < bytes.count {
            let tag = bytes[index]
            let (valueLength, valueHeader) = try Self.length(bytes, at: index + 1, fail)
            let start = index + 1 + valueHeader
            guard start + valueLength <= bytes.count else { throw fail("object \(String(tag, radix: 16)) runs past the end") }
            objects.append((tag, Array(bytes[start..<(start + valueLength)])))
            index = start + valueLength
        }
        self.objects = objects
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.encoded == rhs.encoded }
    public func hash(into hasher: inout Hasher) { hasher.combine(encoded) }

    static func length(_ bytes: [UInt8], at index: Int, _ fail: (String) -> ChipAccessError) throws -> (Int, Int) {
        guard index < bytes.count else { throw fail("a length is missing") }
        let first = bytes[index]
        if first < 0x80 { return (Int(first), 1) }
        let count = Int(first & 0x7F)
        guard (1...2).contains(count), index + count < bytes.count else { throw fail("length form \(String(first, radix: 16)) is not supported") }
        return (bytes[(index + 1)...(index + count)].reduce(0) { $0 << 8 | Int($1) }, 1 + count)
    }

    /// Tag ‖ length (short, 81 or 82 form) ‖ value.
    public static func tlv(_ tag: [UInt8], _ value: [UInt8]) -> [UInt8] {
        switch value.count {
        case ..<0x80: return tag + [UInt8(value.count)] + value
        case ..<0x100: return tag + [0x81, UInt8(value.count)] + value
        default: return tag + [0x82, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
    }
}
