/// Reads the fixed-width big-endian fields of the ISO/IEC 19794 records, naming the field and offset of a
/// record that ends too early instead of trapping on an index.
struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private(set) var index: Int
    let what: String

    init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.bytes = bytes
        self.index = bytes.startIndex
        self.what = what
    }

    var remaining: Int { bytes.endIndex - index }
    /// Offset from the start of the record.
    var position: Int { index - bytes.startIndex }

    mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw LDSError.malformed(what, "\(field) needs \(count) bytes at offset \(position), only \(remaining) remain")
        }
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    /// An unsigned big-endian integer of `width` bytes (1 to 8).
    mutating func integer(_ width: Int, _ field: String) throws -> UInt64 {
        try take(width, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func uint8(_ field: String) throws -> UInt8 { UInt8(try integer(1, field)) }
    mutating func uint16(_ field: String) throws -> UInt16 { UInt16(try integer(2, field)) }
    mutating func uint32(_ field: String) throws -> UInt32 { UInt32(try integer(4, field)) }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { index = bytes.endIndex }
        return bytes[index...]
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` as `width` big-endian bytes.
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: UInt64(value) >> UInt64(shift)))
        }
    }
}
