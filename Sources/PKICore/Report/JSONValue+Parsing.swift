extension JSONValue {
    /// Reads one JSON text (RFC 8259): a value with optional whitespace around it and nothing after.
    ///
    /// Strict on syntax, since request bodies come from other systems: no trailing commas, no comments, no
    /// unescaped control characters, at most `maximumDepth` nested arrays and objects. Errors are
    /// `PKIError.malformedEncoding` naming the byte offset.
    public init(parsing bytes: [UInt8], maximumDepth: Int = 64) throws {
        var reader = JSONReader(bytes: bytes, maximumDepth: maximumDepth)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw reader.error("unexpected data after the JSON value") }
        self = value
    }
}

/// The byte-level reader behind `JSONValue(parsing:)`.
private struct JSONReader {
    let bytes: [UInt8]
    let maximumDepth: Int
    var offset = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    func error(_ reason: String) -> PKIError {
        PKIError.malformed("JSON", "\(reason) at byte \(offset)")
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    mutating func readValue(depth: Int) throws -> JSONValue {
        guard offset < bytes.count else { throw error("a value is missing") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw error("unexpected character '\(Unicode.Scalar(bytes[offset]))'")
        }
    }

    mutating func expect(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw error("truncated literal") }
        let matches = literal.withUTF8Buffer { literalBytes in
            bytes[offset..<(offset + count)].elementsEqual(literalBytes)
        }
        guard matches else { throw error("unknown literal") }
        offset += count
    }

    mutating func readObject(depth: Int) throws -> JSONValue {
        guard depth <= maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
        offset += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("an object key (a string) is expected") }
            let key = try readString()
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("':' is expected after the key \"\(key)\"") }
            offset += 1
            skipWhitespace()
            members.append((key, try readValue(depth: depth)))
            skipWhitespace()
            guard offset < bytes.count else { throw error("the object is not closed") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            if bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
            throw error("',' or '}' is expected in an object")
        }
    }

    mutating func readArray(depth: Int) throws -> JSONValue {
        guard depth <= maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
        offset += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try readValue(depth: depth))
            skipWhitespace()
            guard offset < bytes.count else { throw error("the array is not closed") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            if bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(values) }
            throw error("',' or ']' is expected in an array")
        }
    }

    mutating func readString() throws -> String {
        offset += 1  // the opening quote
        let start = offset
        // Runs without escapes are found eight bytes at a time and copied whole: a base64 face image is some
        // 20,000 bytes of one string, and encoders that write "\/" for every slash break it into short runs.
        offset = bytes.withUnsafeBytes { Self.plainRunEnd(in: $0, from: start) }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
            let text = try Self.utf8String(bytes[start..<offset], at: start)
            offset += 1
            return text
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count - start)
        var runStart = start
        while true {
            decoded.append(contentsOf: bytes[runStart..<offset])
            guard offset < bytes.count else { throw error("the string is not closed") }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return try Self.utf8String(decoded[...], at: start)
            }
            guard byte == UInt8(ascii: "\\") else { throw error("a control character must be escaped in a string") }
            offset += 1
            guard offset < bytes.count else { throw error("the string is not closed") }
            let escaped = bytes[offset]
            offset += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escaped)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw error("a high surrogate without its low surrogate")
                    }
                    offset += 2
                    let low = try readHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("a high surrogate without its low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("a low surrogate without its high surrogate")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("\\u escape is not a Unicode scalar") }
                decoded.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw error("unknown escape '\\\(Unicode.Scalar(escaped))'")
            }
            runStart = offset
            offset = bytes.withUnsafeBytes { Self.plainRunEnd(in: $0, from: runStart) }
        }
    }

    /// The index of the first quote, backslash or control character at or after `start` (or the end), eight
    /// bytes at a time: a base64 face image is some 20,000 bytes of a JSON string.
    static func plainRunEnd(in buffer: UnsafeRawBufferPointer, from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= buffer.count {
            let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // A byte is zero in `x` exactly when (x - 0x01) & ~x has its high bit set (the classic SWAR test);
            // bytes below 0x20 are found the same way against 0x20.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & highs != 0 { break }
            index += 8
        }
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return index
    }

    static func isASCII(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= buffer.count {
            high |= buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < buffer.count {
            high |= UInt64(buffer[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    mutating func readHex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    static func utf8String(_ slice: ArraySlice<UInt8>, at start: Int) throws -> String {
        // ASCII needs no validation, and String(decoding:) takes it a word at a time.
        if slice.withUnsafeBytes({ Self.isASCII($0) }) { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw PKIError.malformed("JSON", "a string is not valid UTF-8 at byte \(start)")
        }
        return text
    }

    mutating func readNumber() throws -> JSONValue {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) else { throw error("a number needs digits") }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
        }
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            let digits = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            guard offset > digits else { throw error("a fraction needs digits") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let digits = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            guard offset > digits else { throw error("an exponent needs digits") }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        guard let value = Double(text) else { throw error("the number \(text) cannot be represented") }
        return .number(value)
    }
}
