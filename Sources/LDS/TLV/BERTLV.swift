/// One BER-TLV data object of ISO/IEC 7816-4 §5.2, the layout of every LDS file that is not plain ASN.1.
///
/// ```
/// tag     1 to 3 octets: b5..b1 = 11111 in the first octet announce more tag octets, b8 = 1 in the
///         following ones announces yet another (5F1F, 7F61, 7F2E …)
/// length  00..7F, or 81 xx, 82 xxxx, 83 xxxxxx, 84 xxxxxxxx (no indefinite form in ISO 7816)
/// value   `length` octets; for a constructed tag (b6 of the first octet set) a sequence of TLVs
/// ```
///
/// The value is kept as a slice of the buffer it was read from, so the slice indices are offsets into the
/// file and every error can name the offset of the element at fault. The number of length octets is kept
/// too: a chip that wrote `81 05` must get `81 05` back, or the re-encoded file would no longer match the
/// hash in its security object.
public struct BERTLV: Hashable, Sendable {
    /// The tag octets read as one big-endian number: 0x61, 0x5F1F, 0x7F61.
    public var tag: UInt32
    public var value: ArraySlice<UInt8>
    /// Offset of the first tag octet in the buffer the element was read from; 0 for built elements.
    public let offset: Int
    /// Length octets seen when reading, when more than the minimum; nil writes the minimal form.
    var lengthOctetCount: Int?

    public init(tag: UInt32, value: some Sequence<UInt8>) {
        self.tag = tag
        self.value = ArraySlice(value)
        self.offset = 0
        self.lengthOctetCount = nil
    }

    /// A constructed element holding `children` in order.
    public init(tag: UInt32, children: [BERTLV]) {
        var bytes: [UInt8] = []
        for child in children { child.encode(into: &bytes) }
        self.init(tag: tag, value: bytes)
    }

    private init(tag: UInt32, value: ArraySlice<UInt8>, offset: Int, lengthOctetCount: Int?) {
        self.tag = tag
        self.value = value
        self.offset = offset
        self.lengthOctetCount = lengthOctetCount
    }

    public var isConstructed: Bool { Self.tagBytes(tag).first.map { $0 & 0x20 != 0 } ?? false }

    /// The tag as upper-case hex, as Doc 9303 writes it ("5F1F").
    public var tagHex: String { Self.tagHex(tag) }

    public static func tagHex(_ tag: UInt32) -> String {
        tagBytes(tag).map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// The tag's octets: the number written big-endian without leading zero octets.
    public static func tagBytes(_ tag: UInt32) -> [UInt8] {
        if tag <= 0xFF { return [UInt8(tag)] }
        if tag <= 0xFFFF { return [UInt8(tag >> 8), UInt8(tag & 0xFF)] }
        if tag <= 0xFF_FFFF { return [UInt8(tag >> 16), UInt8((tag >> 8) & 0xFF), UInt8(tag & 0xFF)] }
        return [UInt8(tag >> 24), UInt8((tag >> 16) & 0xFF), UInt8((tag >> 8) & 0xFF), UInt8(tag & 0xFF)]
    }

    /// Identifier, length and value.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.count + 8)
        encode(into: &bytes)
        return bytes
    }

    public func encode(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: Self.tagBytes(tag))
        Self.appendLength(value.count, minimumOctets: lengthOctetCount ?? 1, into: &bytes)
        bytes.append(contentsOf: value)
    }

    /// Writes a length in the definite form with at least `minimumOctets` octets (1 = the short form).
    static func appendLength(_ length: Int, minimumOctets: Int, into bytes: inout [UInt8]) {
        if length < 0x80 && minimumOctets <= 1 {
            bytes.append(UInt8(length))
            return
        }
        var octets: [UInt8] = []
        var rest = length
        while rest > 0 {
            octets.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        while octets.count < minimumOctets - 1 { octets.insert(0, at: 0) }
        if octets.isEmpty { octets = [0] }
        bytes.append(0x80 | UInt8(octets.count))
        bytes.append(contentsOf: octets)
    }

    /// The elements inside a constructed element's value, in order.
    public func children(_ what: String) throws -> [BERTLV] {
        try Self.parseAll(value, what: what)
    }

    /// The first child with the given tag.
    public func child(_ tag: UInt32, _ what: String) throws -> BERTLV? {
        try children(what).first { $0.tag == tag }
    }

    // MARK: - Reading

    /// Every element of `bytes`, one after the other, until the end.
    public static func parseAll(_ bytes: ArraySlice<UInt8>, what: String) throws -> [BERTLV] {
        var elements: [BERTLV] = []
        var rest = bytes
        while !rest.isEmpty {
            let element = try parseFirst(&rest, what: what)
            elements.append(element)
        }
        return elements
    }

    /// Exactly one element, with nothing after it: the shape of an LDS file.
    public static func parseSingle(_ bytes: ArraySlice<UInt8>, what: String) throws -> BERTLV {
        var rest = bytes
        guard !rest.isEmpty else { throw LDSError.malformed(what, "the file is empty") }
        let element = try parseFirst(&rest, what: what)
        guard rest.isEmpty else {
            throw LDSError.malformed(
                what, "\(rest.count) byte(s) follow the tag \(element.tagHex) element at offset \(rest.startIndex)")
        }
        return element
    }

    /// Reads the element at the start of `bytes` and advances past it.
    public static func parseFirst(_ bytes: inout ArraySlice<UInt8>, what: String) throws -> BERTLV {
        let start = bytes.startIndex
        var index = start
        guard index < bytes.endIndex else { throw LDSError.malformed(what, "input ends where a tag was expected (offset \(start))") }
        let first = bytes[index]
        // 00 and FF are not valid first tag octets (ISO 7816-4 §5.2.2.1); they show up as padding.
        guard first != 0x00 && first != 0xFF else {
            throw LDSError.malformed(what, "invalid tag octet 0x\(BERTLV.tagHex(UInt32(first))) at offset \(start)")
        }
        var tag = UInt32(first)
        index += 1
        if first & 0x1F == 0x1F {
            var count = 0
            while true {
                guard index < bytes.endIndex else { throw LDSError.malformed(what, "truncated tag at offset \(start)") }
                let octet = bytes[index]
                tag = tag << 8 | UInt32(octet)
                index += 1
                count += 1
                if octet & 0x80 == 0 { break }
                guard count < 3 else { throw LDSError.malformed(what, "tag at offset \(start) is longer than 4 octets") }
            }
        }
        guard index < bytes.endIndex else {
            throw LDSError.malformed(what, "tag \(BERTLV.tagHex(tag)) at offset \(start) has no length")
        }
        let lengthOctet = bytes[index]
        index += 1
        var length = 0
        var lengthOctetCount = 1
        if lengthOctet & 0x80 != 0 {
            let count = Int(lengthOctet & 0x7F)
            guard count != 0 else {
                throw LDSError.malformed(what, "tag \(BERTLV.tagHex(tag)) at offset \(start) uses the indefinite length, which ISO 7816 does not allow")
            }
            guard count <= 4 else {
                throw LDSError.malformed(what, "tag \(BERTLV.tagHex(tag)) at offset \(start) has a \(count)-octet length")
            }
            guard bytes.endIndex - index >= count else {
                throw LDSError.malformed(what, "truncated length of tag \(BERTLV.tagHex(tag)) at offset \(start)")
            }
            for octet in bytes[index..<(index + count)] { length = length << 8 | Int(octet) }
            index += count
            lengthOctetCount = count + 1
        } else {
            length = Int(lengthOctet)
        }
        guard length <= bytes.endIndex - index else {
            throw LDSError.malformed(
                what, "tag \(BERTLV.tagHex(tag)) at offset \(start) claims \(length) bytes but only \(bytes.endIndex - index) remain")
        }
        let value = bytes[index..<(index + length)]
        bytes = bytes[(index + length)...]
        var minimal: [UInt8] = []
        appendLength(length, minimumOctets: 1, into: &minimal)
        return BERTLV(tag: tag, value: value, offset: start, lengthOctetCount: lengthOctetCount > minimal.count ? lengthOctetCount : nil)
    }

    /// Whether the element was read with more length octets than needed (a DER deviation worth reporting).
    public var hasNonMinimalLength: Bool { lengthOctetCount != nil }

    /// Same tag, value and length form; where the element was read from does not matter.
    public static func == (lhs: BERTLV, rhs: BERTLV) -> Bool {
        lhs.tag == rhs.tag && lhs.value == rhs.value && lhs.lengthOctetCount == rhs.lengthOctetCount
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tag)
        hasher.combine(value)
    }
}

extension BERTLV {
    /// The value as text. MRZ and the DG11/DG12 fields are ASCII by the standard, but names in DG11 may carry
    /// UTF-8 (Doc 9303-10 §4.7.11 allows it); invalid sequences are shown with the replacement character.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }

    /// A primitive element holding text.
    public init(tag: UInt32, string: String) {
        self.init(tag: tag, value: Array(string.utf8))
    }
}
