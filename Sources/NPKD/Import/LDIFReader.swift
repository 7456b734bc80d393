import Foundation

/// Reads LDIF (RFC 2849) record by record from a file or from bytes, holding one record at a time: an ICAO PKD
/// collection runs to hundreds of megabytes.
///
/// ```
/// ldif-file  = [version-spec 1*SEP] record *(1*SEP record) *SEP
/// SEP        = CR LF / LF
/// ; a line that starts with one SPACE continues the previous line (the space is dropped): "folding"
/// ; a line that starts with "#" is a comment, and may be folded too
/// ```
/// Errors are `NPKDError.malformedLDIF` naming the line: a continuation line with nothing to continue, an
/// attribute line without ':', a value that is not base64, a record without `dn:`, a file that ends inside a
/// base64 value.
public struct LDIFReader {
    private var source: () throws -> [UInt8]?
    private var buffer: [UInt8] = []
    private var position = 0
    private var sourceDone = false
    private var lineNumber = 0
    private var pending: (bytes: [UInt8], line: Int)?
    private var recordCount = 0
    /// The `version:` line's value, when the file has one.
    public private(set) var version: Int?
    /// Whether the last line had no line break: a hint that the file was cut off.
    public private(set) var endsWithoutNewline = false
    /// Bytes consumed so far, for progress.
    public private(set) var bytesRead = 0

    static let chunkSize = 1 << 20

    /// Streams from an open file, reading 1 MiB at a time.
    public init(fileHandle: FileHandle) {
        source = { try fileHandle.read(upToCount: LDIFReader.chunkSize).map(Array.init) }
    }

    public init(bytes: [UInt8]) {
        var handed = false
        source = {
            if handed { return nil }
            handed = true
            return bytes
        }
    }

    /// The next physical line without its line break, and its number; nil at the end.
    private mutating func nextPhysicalLine() throws -> (bytes: ArraySlice<UInt8>, line: Int)? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[position..<end]
                bytesRead += newline + 1 - position
                position = newline + 1
                lineNumber += 1
                return (line, lineNumber)
            }
            if !sourceDone, let chunk = try source() {
                if position > 0 {
                    buffer.removeFirst(position)
                    position = 0
                }
                buffer.append(contentsOf: chunk)
                if chunk.isEmpty { sourceDone = true }
                continue
            }
            sourceDone = true
            guard position < buffer.count else { return nil }
            var line = buffer[position...]
            if line.last == 0x0D { line = line.dropLast() }
            bytesRead += buffer.count - position
            position = buffer.count
            lineNumber += 1
            endsWithoutNewline = true
            return (line, lineNumber)
        }
    }

    /// The next logical line (folds joined), or an empty line for a record separator; nil at the end.
    private mutating func nextLogicalLine() throws -> (bytes: [UInt8], line: Int)? {
        var current = pending
        pending = nil
        while let (line, number) = try nextPhysicalLine() {
            if line.first == 0x20 {
                guard current != nil, !(current?.bytes.isEmpty ?? true) else {
                    throw NPKDError(.malformedLDIF, "line \(number): a continuation line (starting with a space) follows nothing to continue")
                }
                current?.bytes.append(contentsOf: line.dropFirst())
                continue
            }
            if let current {
                pending = (Array(line), number)
                return current
            }
            if line.isEmpty { return ([], number) }
            current = (Array(line), number)
        }
        return current
    }

    /// The next record, or nil at the end of the file.
    public mutating func next() throws -> LDIFRecord? {
        var dn: String?
        var dnLine = 0
        var values: [LDIFRecord.Value] = []
        var changeType: String?
        while let (bytes, line) = try nextLogicalLine() {
            if bytes.isEmpty {
                if dn != nil { break }
                if !values.isEmpty {
                    throw NPKDError(.malformedLDIF, "line \(values[0].line): a record without a dn: line")
                }
                continue
            }
            if bytes.first == UInt8(ascii: "#") { continue }
            if changeType == "modify", bytes == [UInt8(ascii: "-")] { continue }
            let parsed: (String, [String], [UInt8], Bool)
            do {
                parsed = try Self.parse(bytes, line: line)
            } catch let error as NPKDError where dn != nil {
                // Name the entry as well as the line: "line 1042, entry 17 (cn=...): ...".
                let shown = (dn ?? "").count > 120 ? String((dn ?? "").prefix(117)) + "..." : (dn ?? "")
                throw NPKDError(error.code, error.reason.replacingOccurrences(of: "line \(line):", with: "line \(line), entry \(recordCount + 1) (\(shown)):"))
            }
            let (type, options, value, wasBase64) = parsed
            if type.equalsIgnoringASCIICase("version"), dn == nil, values.isEmpty {
                guard let number = Int(String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
                    throw NPKDError(.malformedLDIF, "line \(line): version '\(String(decoding: value, as: UTF8.self))' is not a number")
                }
                version = number
                continue
            }
            if type.equalsIgnoringASCIICase("dn") {
                guard dn == nil else { throw NPKDError(.malformedLDIF, "line \(line): a second dn: line without a blank line before it") }
                guard let text = String(bytes: value, encoding: .utf8) else {
                    throw NPKDError(.malformedLDIF, "line \(line): the dn is not UTF-8")
                }
                dn = text
                dnLine = line
                continue
            }
            guard dn != nil else {
                throw NPKDError(.malformedLDIF, "line \(line): '\(type)' before any dn: line (every record starts with dn:)")
            }
            if type.equalsIgnoringASCIICase("changetype") {
                changeType = String(decoding: value, as: UTF8.self).lowercased()
            }
            values.append(LDIFRecord.Value(type: type, options: options, bytes: value, wasBase64: wasBase64, line: line))
        }
        guard let dn else {
            if let first = values.first { throw NPKDError(.malformedLDIF, "line \(first.line): a record without a dn: line") }
            return nil
        }
        recordCount += 1
        return LDIFRecord(index: recordCount, line: dnLine, dn: dn, values: values)
    }

    /// Splits `type;options: value`, `type:: base64` or `type:< url`.
    static func parse(_ bytes: [UInt8], line: Int) throws -> (String, [String], [UInt8], Bool) {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            let shown = String(decoding: bytes.prefix(40), as: UTF8.self)
            throw NPKDError(.malformedLDIF, "line \(line): '\(shown)' is not 'attribute: value' (no colon)")
        }
        // AttributeDescription = AttributeType *(";" option): letters, digits, '-' and '.' (an OID), checked as bytes.
        let semicolon = bytes[..<colon].firstIndex(of: UInt8(ascii: ";")) ?? colon
        let typeBytes = bytes[..<semicolon]
        guard !typeBytes.isEmpty, typeBytes.allSatisfy(Self.isTypeCharacter) else {
            throw NPKDError(.malformedLDIF, "line \(line): '\(String(decoding: bytes[..<colon], as: UTF8.self))' is not an attribute description")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        let options = semicolon == colon ? [] : String(decoding: bytes[(semicolon + 1)..<colon], as: UTF8.self)
            .split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        var rest = bytes[(colon + 1)...]
        switch rest.first {
        case UInt8(ascii: ":"):
            rest = rest.dropFirst().drop(while: { $0 == 0x20 })
            guard let decoded = Base64.decode(rest) else {
                let description = String(decoding: bytes[..<colon], as: UTF8.self)
                throw NPKDError(.malformedLDIF, "line \(line): the base64 value of \(description) is not valid base64 (\(rest.count) characters; cut off?)")
            }
            return (type, options, decoded, true)
        case UInt8(ascii: "<"):
            let description = String(decoding: bytes[..<colon], as: UTF8.self)
            throw NPKDError(.malformedLDIF, "line \(line): \(description) refers to a URL; the NPKD imports values held in the file only")
        default:
            return (type, options, Array(rest.drop(while: { $0 == 0x20 })), false)
        }
    }

    private static func isTypeCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}

/// Base64 (RFC 4648 §4) as LDIF writes it: groups of four characters, '=' padding at the end only, nothing else.
/// Decoded straight from the line's bytes: a collection is 30,000 certificates of a kilobyte each.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    /// The decoded bytes; nil when the text is not base64 (a stray character, a length that is not a multiple of four,
    /// padding inside).
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        guard !text.isEmpty else { return [] }
        var padding = 0
        if text.last == UInt8(ascii: "=") { padding += 1 }
        if text.count >= 2, text[text.endIndex - 2] == UInt8(ascii: "=") { padding += 1 }
        var output = [UInt8]()
        output.reserveCapacity(text.count / 4 * 3)
        return table.withUnsafeBufferPointer { table -> [UInt8]? in
            var index = text.startIndex
            let end = text.endIndex
            while index < end {
                let isLast = index + 4 == end
                let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                let c3 = text[index + 2], c4 = text[index + 3]
                if isLast && padding > 0 {
                    guard (a | b) & 0xC0 == 0 else { return nil }
                    output.append(a << 2 | b >> 4)
                    if padding == 1 {
                        let c = table[Int(c3)]
                        guard c & 0xC0 == 0 else { return nil }
                        output.append(b << 4 | c >> 2)
                    }
                    return output
                }
                let c = table[Int(c3)], d = table[Int(c4)]
                guard (a | b | c | d) & 0xC0 == 0 else { return nil }
                output.append(a << 2 | b >> 4)
                output.append(b << 4 | c >> 2)
                output.append(c << 6 | d)
                index += 4
            }
            return output
        }
    }
}
