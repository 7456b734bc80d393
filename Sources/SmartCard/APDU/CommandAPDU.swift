import PKICore

/// A command APDU of ISO/IEC 7816-4 §5.1, in short or extended length.
///
/// ```
/// case 1    CLA INS P1 P2
/// case 2S   CLA INS P1 P2 Le                      Le 00 = 256
/// case 3S   CLA INS P1 P2 Lc data                 Lc 01..FF
/// case 4S   CLA INS P1 P2 Lc data Le
/// case 2E   CLA INS P1 P2 00 Le1 Le2              Le 0000 = 65536
/// case 3E   CLA INS P1 P2 00 Lc1 Lc2 data         Lc 0001..FFFF
/// case 4E   CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
/// ```
/// Extended length is used when the data exceed 255 bytes or more than 256 bytes are expected (or when asked for);
/// both fields then take the extended form, as the standard requires.
public struct CommandAPDU: Hashable, Sendable, CustomStringConvertible {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    public var data: [UInt8]
    /// Ne, the number of bytes expected in the response: nil for none, 1...65536.
    public var expectedLength: Int?
    /// Whether to encode in extended length even where short length would do.
    public var forceExtended: Bool

    public init(cla: UInt8 = 0x00, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], expectedLength: Int? = nil,
                forceExtended: Bool = false) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.expectedLength = expectedLength
        self.forceExtended = forceExtended
    }

    /// Whether the encoding uses the extended length fields.
    public var isExtended: Bool { forceExtended || data.count > 255 || (expectedLength ?? 0) > 256 }

    /// Bit 5 of CLA: more commands of this chain follow (§5.4.1).
    public var isChained: Bool { cla & 0x10 != 0 }

    /// Throws when the data or Ne cannot be encoded.
    public func validate() throws {
        guard data.count <= 65_535 else {
            throw SmartCardError(.invalidCommand, "\(data.count) bytes of command data exceed extended length (65,535)")
        }
        if let ne = expectedLength, !(1...65_536).contains(ne) {
            throw SmartCardError(.invalidCommand, "an expected length of \(ne) is outside 1...65,536")
        }
    }

    /// The encoded command; throws when the data or Ne cannot be encoded.
    public func encoded() throws -> [UInt8] {
        try validate()
        var bytes = [cla, ins, p1, p2]
        let extended = isExtended
        if !data.isEmpty {
            if extended {
                bytes += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
            } else {
                bytes.append(UInt8(data.count))
            }
            bytes += data
        }
        if let ne = expectedLength {
            if extended {
                let value = ne == 65_536 ? 0 : ne
                if data.isEmpty { bytes.append(0x00) }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            } else {
                bytes.append(ne == 256 ? 0 : UInt8(ne))
            }
        }
        return bytes
    }

    /// Reads a command as a chip receives it, telling the seven cases apart by their lengths.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 4 else {
            throw SmartCardError(.malformedAPDU, "a command APDU has at least 4 bytes (CLA INS P1 P2), this one \(bytes.count)")
        }
        self.init(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3])
        let body = Array(bytes.dropFirst(4))
        func fail(_ why: String) -> SmartCardError {
            SmartCardError(.malformedAPDU, "command \([ins].hexString): \(why) (body of \(body.count) bytes)")
        }
        switch body.count {
        case 0:
            return
        case 1:
            expectedLength = body[0] == 0 ? 256 : Int(body[0])
            return
        default:
            break
        }
        if body[0] != 0 {
            // Short: Lc data [Le].
            let lc = Int(body[0])
            switch body.count {
            case 1 + lc: data = Array(body[1...])
            case 2 + lc:
                data = Array(body[1..<(1 + lc)])
                expectedLength = body[1 + lc] == 0 ? 256 : Int(body[1 + lc])
            default: throw fail("Lc \(lc) does not match the body")
            }
            return
        }
        // Extended: 00 followed by Le (2 bytes, case 2E) or Lc (2 bytes) data [Le (2 bytes)].
        forceExtended = true
        guard body.count >= 3 else { throw fail("an extended length field needs 3 bytes") }
        let first = Int(body[1]) << 8 | Int(body[2])
        if body.count == 3 {
            expectedLength = first == 0 ? 65_536 : first
            return
        }
        guard first > 0 else { throw fail("extended Lc 0000 with data following") }
        switch body.count {
        case 3 + first: data = Array(body[3...])
        case 5 + first:
            data = Array(body[3..<(3 + first)])
            let le = Int(body[3 + first]) << 8 | Int(body[4 + first])
            expectedLength = le == 0 ? 65_536 : le
        default: throw fail("extended Lc \(first) does not match the body")
        }
    }

    public var description: String {
        var text = [cla, ins, p1, p2].hexString
        if !data.isEmpty { text += " Lc=\(data.count)" }
        if let expectedLength { text += " Le=\(expectedLength)" }
        return text
    }
}
