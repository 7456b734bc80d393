/// Writing a TLV whose content is already encoded, with the length computed first (no byte shifting).
public enum DERLength {
    /// The definite-length octets of a content length (X.690 §8.1.3).
    public static func encode(_ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        append(length, to: &out)
        return out
    }

    /// Appends the definite-length octets of `length`, without building them apart first.
    public static func append(_ length: Int, to out: inout [UInt8]) {
        guard length > 0x7F else {
            out.append(UInt8(length))
            return
        }
        let octets = (Int.bitWidth - length.leadingZeroBitCount + 7) / 8
        out.append(0x80 | UInt8(octets))
        for index in stride(from: octets - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: length >> (8 * index)))
        }
    }

    /// How many octets a single-octet tag and the length octets of `length` take.
    public static func headerLength(_ length: Int) -> Int {
        length > 0x7F ? 2 + (Int.bitWidth - length.leadingZeroBitCount + 7) / 8 : 2
    }

    /// `tag ‖ length` for a single-octet tag, the content to follow.
    public static func header(_ tag: UInt8, _ length: Int) -> [UInt8] {
        var out: [UInt8] = [tag]
        append(length, to: &out)
        return out
    }

    /// `tag ‖ length ‖ content` for a single-octet tag.
    public static func wrap(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(6 + content.count)
        out.append(tag)
        append(content.count, to: &out)
        out.append(contentsOf: content)
        return out
    }
}
