/// Writing a TLV whose content is already encoded, with the length computed first (no byte shifting).
public enum DERLength {
    /// The definite-length octets of a content length (X.690 §8.1.3).
    public static func encode(_ length: Int) -> [UInt8] {
        guard length > 0x7F else { return [UInt8(length)] }
        var bytes: [UInt8] = []
        var value = length
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// `tag ‖ length` for a single-octet tag, the content to follow.
    public static func header(_ tag: UInt8, _ length: Int) -> [UInt8] {
        [tag] + encode(length)
    }

    /// `tag ‖ length ‖ content` for a single-octet tag.
    public static func wrap(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let length = encode(content.count)
        var out: [UInt8] = []
        out.reserveCapacity(1 + length.count + content.count)
        out.append(tag)
        out.append(contentsOf: length)
        out.append(contentsOf: content)
        return out
    }
}
