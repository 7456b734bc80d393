import SwiftASN1

/// One data object of a CV certificate, request or EF.CVCA, as TR-03110-3 Appendix D restricts ISO/IEC 7816-4 TLVs.
///
/// ```
/// tag     1 or 2 octets (7F21, 5F29, 42, 86); a first octet with b5..b1 = 11111 announces a second one
/// length  00..7F, 81 xx, 82 xxxx: "one, two, or three octets", the minimum number, at most 65535
/// value   `length` octets; a sequence of data objects when b6 of the first tag octet is set
/// ```
///
/// The value is a slice of the input buffer, so its indices are offsets into the input and every error can
/// name the offset of the object at fault.
struct TLVObject {
    let tag: UInt32
    /// Offset of the first tag octet in the input.
    let offset: Int
    /// Tag, length and value exactly as read: the bytes a signature covers.
    let encoded: ArraySlice<UInt8>
    let value: ArraySlice<UInt8>

    var isConstructed: Bool { encoded.first.map { $0 & 0x20 != 0 } ?? false }

    /// A reader over the value, for a constructed object.
    func children(_ context: String) throws -> TLVReader {
        guard isConstructed else {
            throw CVCError(.malformedEncoding, "\(context): \(CVTag.named(tag)) at offset \(offset) is not constructed", offset: offset)
        }
        return TLVReader(value, context: context)
    }
}

/// Reads the data objects of one level in order, refusing anything TR-03110-3 D does not allow.
struct TLVReader {
    private var remaining: ArraySlice<UInt8>
    /// What is being read, for messages: "CV certificate", "certificate body".
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.remaining = bytes
        self.context = context
    }

    var isAtEnd: Bool { remaining.isEmpty }
    /// Offset of the next object (or of the end of this level).
    var offset: Int { remaining.startIndex }

    /// The next object, nil at the end of this level.
    mutating func next() throws -> TLVObject? {
        guard let first = remaining.first else { return nil }
        let start = remaining.startIndex
        var index = start + 1
        var tag = UInt32(first)
        if first & 0x1F == 0x1F {
            // A second tag octet; TR-03110 uses no tag longer than two octets, and ISO 7816 none above three.
            guard index < remaining.endIndex else { throw error(.malformedEncoding, "truncated tag", at: start) }
            let second = remaining[index]
            index += 1
            tag = tag << 8 | UInt32(second)
            guard second & 0x80 == 0 else {
                throw error(.malformedEncoding, "tag \(CVTag.hex(tag))… is longer than the two octets TR-03110 uses", at: start)
            }
            guard second >= 0x1F else {
                throw error(.malformedEncoding, "tag \(CVTag.hex(tag)) encodes a number below 31 in two octets", at: start)
            }
        }
        guard index < remaining.endIndex else {
            throw error(.malformedEncoding, "\(CVTag.named(tag)) has no length octet (input ends)", at: start)
        }
        let lengthOctet = remaining[index]
        index += 1
        var length = 0
        switch lengthOctet {
        case 0x00...0x7F:
            length = Int(lengthOctet)
        case 0x80:
            throw error(.malformedEncoding, "\(CVTag.named(tag)) uses the indefinite length form, which TR-03110 does not allow", at: start)
        case 0x81, 0x82:
            let count = Int(lengthOctet & 0x7F)
            guard remaining.endIndex - index >= count else {
                throw error(.malformedEncoding, "\(CVTag.named(tag)) has a truncated length", at: start)
            }
            for octet in remaining[index..<(index + count)] { length = length << 8 | Int(octet) }
            index += count
            // DER and TR-03110-3 D: the minimum number of length octets.
            let minimal = length < 0x80 ? 0 : (length < 0x100 ? 1 : 2)
            guard count == minimal else {
                throw error(.malformedEncoding, "\(CVTag.named(tag)) length \(length) is encoded in \(count + 1) octets instead of \(minimal + 1)", at: start)
            }
        default:
            throw error(
                .malformedEncoding,
                "\(CVTag.named(tag)) has a length of \(Int(lengthOctet & 0x7F)) octets; TR-03110 allows at most 65535 bytes (82 xxxx)",
                at: start)
        }
        guard length <= remaining.endIndex - index else {
            throw error(
                .malformedEncoding,
                "\(CVTag.named(tag)) claims \(length) bytes but only \(remaining.endIndex - index) remain", at: start)
        }
        let end = index + length
        let object = TLVObject(tag: tag, offset: start, encoded: remaining[start..<end], value: remaining[index..<end])
        remaining = remaining[end...]
        return object
    }

    /// The next object without consuming it.
    func peek() throws -> TLVObject? {
        var copy = self
        return try copy.next()
    }

    /// The next object, which must be there and carry `tag`.
    mutating func expect(_ tag: CVTag) throws -> TLVObject {
        let at = offset
        guard let object = try next() else {
            throw error(.unexpectedTag, "\(tag) is missing at offset \(at) (the data object ends)", at: at)
        }
        guard object.tag == tag.value else {
            throw error(.unexpectedTag, "expected \(tag) at offset \(object.offset), found \(CVTag.named(object.tag))", at: object.offset)
        }
        return object
    }

    /// The next object if it carries `tag`; nothing is consumed otherwise.
    mutating func optional(_ tag: CVTag) throws -> TLVObject? {
        guard let object = try peek(), object.tag == tag.value else { return nil }
        return try next()
    }

    /// Nothing may follow the objects already read.
    func expectEnd() throws {
        var copy = self
        guard let extra = try copy.next() else { return }
        throw error(.unexpectedTag, "unexpected \(CVTag.named(extra.tag)) at offset \(extra.offset)", at: extra.offset)
    }

    func error(_ code: CVCError.Code, _ detail: String, at offset: Int) -> CVCError {
        let located = detail.contains("offset") ? detail : "\(detail) (offset \(offset))"
        return CVCError(code, "\(context): \(located)", offset: offset)
    }

    /// Reads a whole input that must be exactly one data object with the given tag.
    static func single(_ bytes: [UInt8], _ tag: CVTag, context: String) throws -> TLVObject {
        var reader = TLVReader(bytes[...], context: context)
        let object = try reader.expect(tag)
        guard reader.isAtEnd else {
            throw reader.error(.malformedEncoding, "\(bytes.count - reader.offset) bytes follow the \(tag) at offset \(reader.offset)", at: reader.offset)
        }
        return object
    }
}

/// Writes data objects with the minimal length encoding TR-03110-3 D requires.
struct TLVWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func append(_ tag: CVTag, _ value: some Collection<UInt8>) throws {
        bytes.append(contentsOf: tag.octets)
        try appendLength(value.count, tag)
        bytes.append(contentsOf: value)
    }

    mutating func appendConstructed(_ tag: CVTag, _ build: (inout TLVWriter) throws -> Void) throws {
        var inner = TLVWriter()
        try build(&inner)
        try append(tag, inner.bytes)
    }

    /// An already encoded data object, copied as it is.
    mutating func appendEncoded(_ encoded: some Collection<UInt8>) {
        bytes.append(contentsOf: encoded)
    }

    mutating func append(_ oid: ASN1ObjectIdentifier) throws {
        var serializer = DER.Serializer()
        try serializer.serialize(oid)
        bytes.append(contentsOf: serializer.serializedBytes)
    }

    private mutating func appendLength(_ length: Int, _ tag: CVTag) throws {
        switch length {
        case ..<0x80: bytes.append(UInt8(length))
        case ..<0x100: bytes.append(contentsOf: [0x81, UInt8(length)])
        case ...0xFFFF: bytes.append(contentsOf: [0x82, UInt8(length >> 8), UInt8(length & 0xFF)])
        default:
            throw CVCError(.invalidValue, "\(tag) would hold \(length) bytes; TR-03110 allows at most 65535")
        }
    }
}

extension TLVObject {
    /// The value of an Object Identifier data object (tag 06).
    func objectIdentifier(_ context: String) throws -> ASN1ObjectIdentifier {
        do {
            return try ASN1ObjectIdentifier(derEncoded: Array(encoded))
        } catch {
            throw CVCError(.invalidValue, "\(context): the object identifier at offset \(offset) is not valid", offset: offset)
        }
    }
}
