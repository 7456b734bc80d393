/// A forward-only reader of definite-length TLVs over a byte slice.
///
/// swift-asn1 parses a whole tree into memory; a CRL with a million entries would need hundreds of megabytes
/// that way. This reader walks one level at a time, so each entry can be parsed and dropped in turn.
public struct TLVReader {
    public struct Element {
        /// The first identifier octet (class, constructed bit and low tag number).
        public let firstOctet: UInt8
        /// Offset of the identifier octet within the underlying buffer.
        public let offset: Int
        /// Identifier, length and content together.
        public let encoded: ArraySlice<UInt8>
        public let content: ArraySlice<UInt8>

        public var isConstructed: Bool { firstOctet & 0x20 != 0 }
    }

    private var remaining: ArraySlice<UInt8>
    private let what: String

    public init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.remaining = bytes
        self.what = what
    }

    public var isAtEnd: Bool { remaining.isEmpty }

    /// The next element, nil at the end; throws naming the offset when the header is damaged or the length
    /// runs past the end (including lengths that claim gigabytes).
    public mutating func next() throws -> Element? {
        guard let first = remaining.first else { return nil }
        let start = remaining.startIndex
        var index = start + 1
        if first & 0x1F == 0x1F {
            // High tag number: base-128 octets until one without the top bit.
            while true {
                guard index < remaining.endIndex else { throw truncated(at: start, "tag") }
                let octet = remaining[index]
                index += 1
                if octet & 0x80 == 0 { break }
                guard index - start < 6 else { throw PKIError.malformed(what, "tag at offset \(start) is too long") }
            }
        }
        guard index < remaining.endIndex else { throw truncated(at: start, "length") }
        let lengthOctet = remaining[index]
        index += 1
        var length = 0
        if lengthOctet & 0x80 == 0 {
            length = Int(lengthOctet)
        } else {
            let count = Int(lengthOctet & 0x7F)
            guard count != 0 else {
                throw PKIError.malformed(what, "indefinite length at offset \(start); this structure must use definite lengths")
            }
            guard count <= 4 else {
                throw PKIError.malformed(what, "length at offset \(start) uses \(count) octets (more than 4 GiB)")
            }
            guard index + count <= remaining.endIndex else { throw truncated(at: start, "length") }
            for octet in remaining[index..<(index + count)] { length = length << 8 | Int(octet) }
            index += count
        }
        guard length <= remaining.endIndex - index else {
            throw PKIError.malformed(
                what, "element at offset \(start) claims \(length) bytes but only \(remaining.endIndex - index) remain")
        }
        let end = index + length
        let element = Element(firstOctet: first, offset: start, encoded: remaining[start..<end], content: remaining[index..<end])
        remaining = remaining[end...]
        return element
    }

    /// The next element, which must exist and carry the given first identifier octet.
    public mutating func expect(_ firstOctet: UInt8, _ field: String) throws -> Element {
        guard let element = try next() else {
            throw PKIError.malformed(what, "\(field) is missing (input ends)")
        }
        guard element.firstOctet == firstOctet else {
            throw PKIError.malformed(
                what, "\(field) at offset \(element.offset): expected tag 0x\(String(firstOctet, radix: 16)), found 0x\(String(element.firstOctet, radix: 16))")
        }
        return element
    }

    private func truncated(at offset: Int, _ part: String) -> PKIError {
        PKIError.malformed(what, "truncated \(part) of the element at offset \(offset)")
    }
}
