import PKICore

/// Reads an elementary file whose content is one BER-TLV (every LDS file is): SELECT by file identifier, READ
/// BINARY of the head to learn the length, then the rest in chunks; offsets past 32,767 with the odd READ BINARY
/// (B1, offset in DO'54'). A file is returned whole or not at all: a failure part-way (the card removed, an error
/// status) throws, and nothing read so far is handed out as if it were the file.
public struct ElementaryFileReader {
    public let transport: any CardTransport
    /// Bytes asked for per READ BINARY: 223 fits a short response under secure messaging; with extended length
    /// a chip may give thousands.
    public var chunkSize: Int

    public init(_ transport: any CardTransport, chunkSize: Int = 0xDF) {
        self.transport = transport
        self.chunkSize = chunkSize
    }

    public static func select(_ identifier: UInt16) -> CommandAPDU {
        CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(identifier >> 8), UInt8(identifier & 0xFF)])
    }

    public func read(_ identifier: UInt16, name: String? = nil) throws -> [UInt8] {
        let what = name ?? "EF \([UInt8(identifier >> 8), UInt8(identifier & 0xFF)].hexString)"
        _ = try transport.sendSuccessfully(Self.select(identifier), "SELECT \(what)")
        var content = try readBinary(offset: 0, count: 8, what)
        let total = try Self.encodedLength(content, what)
        if content.count > total { content = Array(content.prefix(total)) }
        while content.count < total {
            let part = try readBinary(offset: content.count, count: min(chunkSize, total - content.count), what)
            guard !part.isEmpty else {
                throw SmartCardError(.malformedAPDU, "READ BINARY \(what) at offset \(content.count): the card returned no data before the file's end (\(total) bytes)")
            }
            content += part
        }
        return content
    }

    /// Reads a file that is not one TLV but has a size fixed by its specification (EF.CVCA: 36 bytes), stopping
    /// early where the chip reports the end of the file.
    public func read(_ identifier: UInt16, size: Int, name: String? = nil) throws -> [UInt8] {
        let what = name ?? "EF \([UInt8(identifier >> 8), UInt8(identifier & 0xFF)].hexString)"
        _ = try transport.sendSuccessfully(Self.select(identifier), "SELECT \(what)")
        var content: [UInt8] = []
        while content.count < size {
            let wanted = min(chunkSize, size - content.count)
            let part = try readBinary(offset: content.count, count: wanted, what)
            content += part.prefix(wanted)
            if part.count < wanted { break }
        }
        return content
    }

    func readBinary(offset: Int, count: Int, _ what: String) throws -> [UInt8] {
        if offset <= 0x7FFF {
            let command = CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), expectedLength: count)
            let response = try transport.send(command)
            guard response.statusWord.isSuccess || response.statusWord == .endOfFileReached else {
                throw SmartCardError(.statusWord, "READ BINARY \(what) at offset \(offset): \(response.statusWord)", statusWord: response.statusWord)
            }
            return response.data
        }
        let offsetBytes = [UInt8(offset >> 16 & 0xFF), UInt8(offset >> 8 & 0xFF), UInt8(offset & 0xFF)]
        let command = CommandAPDU(ins: 0xB1, p1: 0, p2: 0, data: [0x54, 0x03] + offsetBytes, expectedLength: count + 4)
        let data = try transport.sendSuccessfully(command, "READ BINARY \(what) at offset \(offset)")
        guard data.count >= 2, data[0] == 0x53 else {
            throw SmartCardError(.malformedAPDU, "READ BINARY (B1) \(what) at offset \(offset): the answer is not DO'53'")
        }
        let (length, header) = try Self.length(data, at: 1, what)
        return Array(data[(1 + header)..<min(data.count, 1 + header + length)])
    }

    /// Tag, length and value of the TLV at the start of `head`: the whole file's size.
    static func encodedLength(_ head: [UInt8], _ what: String) throws -> Int {
        guard let first = head.first else { throw SmartCardError(.malformedAPDU, "\(what) is empty") }
        var index = 1
        if first & 0x1F == 0x1F {
            while index < head.count, head[index] & 0x80 != 0 { index += 1 }
            index += 1
        }
        let (length, header) = try length(head, at: index, what)
        return index + header + length
    }

    static func length(_ bytes: [UInt8], at index: Int, _ what: String) throws -> (length: Int, header: Int) {
        guard index < bytes.count else { throw SmartCardError(.malformedAPDU, "\(what): the TLV length is cut short") }
        let first = bytes[index]
        if first < 0x80 { return (Int(first), 1) }
        let count = Int(first & 0x7F)
        guard (1...3).contains(count), index + count < bytes.count else {
            throw SmartCardError(.malformedAPDU, "\(what): TLV length form \([first].hexString) is not one this reader takes")
        }
        return (bytes[(index + 1)...(index + count)].reduce(0) { $0 << 8 | Int($1) }, 1 + count)
    }
}
