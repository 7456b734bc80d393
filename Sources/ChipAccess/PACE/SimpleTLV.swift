/// The data objects of MSE and of the personalization commands: one-byte tags, short or 81/82 lengths (a DH key of
/// MSE:Set KAT is 128 or 256 bytes), filling the data exactly.
public enum SimpleTLV {
    /// The objects in order; nil when the data is not such a sequence.
    public static func parse(_ bytes: [UInt8]) -> [(tag: UInt8, value: [UInt8])]? {
        var objects: [(tag: UInt8, value: [UInt8])] = []
        var index = 0
        while index < bytes.count {
            guard index + 1 < bytes.count else { return nil }
            let tag = bytes[index]
            var length = Int(bytes[index + 1])
            var header = 2
            if length == 0x81 || length == 0x82 {
                let count = length & 0x7F
                guard index + 2 + count <= bytes.count else { return nil }
                length = bytes[(index + 2)..<(index + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
                header += count
            } else if length >= 0x80 {
                return nil
            }
            guard index + header + length <= bytes.count else { return nil }
            objects.append((tag, Array(bytes[(index + header)..<(index + header + length)])))
            index += header + length
        }
        return objects
    }

    /// One object: the tag, a short or 81/82 length (values up to 65,535 bytes), the value.
    public static func encode(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
        let count = value.count
        let length: [UInt8] = count < 0x80 ? [UInt8(count)] : count <= 0xFF ? [0x81, UInt8(count)] : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        return [tag] + length + value
    }
}
