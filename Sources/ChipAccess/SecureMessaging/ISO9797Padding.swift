/// ISO/IEC 9797-1 padding method 2, as Doc 9303-11 §9.8 uses it for MAC input and encrypted data: 0x80, then
/// zeros up to the block size (a whole block of padding when the input already fills its blocks).
enum ISO9797Padding {
    static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var padded = data
        padded.append(0x80)
        while padded.count % blockSize != 0 { padded.append(0x00) }
        return padded
    }

    /// The data before the padding; nil when the padding is not 0x80 followed by zeros within the last block.
    static func unpad(_ data: [UInt8], blockSize: Int) -> [UInt8]? {
        guard let marker = data.lastIndex(where: { $0 != 0x00 }), data[marker] == 0x80, data.count - marker <= blockSize else {
            return nil
        }
        return Array(data[..<marker])
    }
}
