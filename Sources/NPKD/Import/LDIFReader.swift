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
            if type.caseInsensitiveCompare("version") == .orderedSame, dn == nil, values.isEmpty {
                guard let number = Int(String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
                    throw NPKDError(.malformedLDIF, "line \(line): version '\(String(decoding: value, as: UTF8.self))' is not a number")
                }
                version = number
                continue
            }
            if type.caseInsensitiveCompare("dn") == .orderedSame {
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
            if type.caseInsensitiveCompare("changetype") == .orderedSame {
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
        let description = String(decoding: bytes[..<colon], as: UTF8.self)
        var parts = description.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let type = parts.removeFirst()
        guard !type.isEmpty, type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw NPKDError(.malformedLDIF, "line \(line): '\(description)' is not an attribute description")
        }
        var rest = bytes[(colon + 1)...]
        switch rest.first {
        case UInt8(ascii: ":"):
            rest = rest.dropFirst().drop(while: { $0 == 0x20 })
            let text = String(decoding: rest, as: UTF8.self)
            guard let data = Data(base64Encoded: text) else {
                throw NPKDError(.malformedLDIF, "line \(line): the base64 value of \(description) is not valid base64 (\(rest.count) characters; cut off?)")
            }
            return (type, parts.map { $0.lowercased() }, Array(data), true)
        case UInt8(ascii: "<"):
            throw NPKDError(.malformedLDIF, "line \(line): \(description) refers to a URL; the NPKD imports values held in the file only")
        default:
            return (type, parts.map { $0.lowercased() }, Array(rest.drop(while: { $0 == 0x20 })), false)
        }
    }
}
