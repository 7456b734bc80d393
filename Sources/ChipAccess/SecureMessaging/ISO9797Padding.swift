/// ISO/IEC 9797-1 padding method 2, as Doc 9303-11 §9.8 uses it for MAC input and encrypted data: 0x80, then
/// zeros up to the block size (a whole block of padding when the input already fills its blocks).
enum ISO9797Padding {
    static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var padded = data
        append(to: &padded, blockSize: blockSize)
        return padded
    }

    /// Pads `data` where it is (secure messaging builds its MAC input in one buffer).
    static func append(to data: inout [UInt8], blockSize: Int) {
        data.append(0x80)
        let zeros = (blockSize - data.count % blockSize) % blockSize
        data.append(contentsOf: repeatElement(0, count: zeros))
    }

    /// The data before the padding; nil when the padding is not 0x80 followed by zeros within the last block.
    static func unpad(_ data: [UInt8], blockSize: Int) -> [UInt8]? {
        var plain = data
        return remove(from: &plain, blockSize: blockSize) ? plain : nil
    }

    /// Removes the padding where it is; false, leaving `data` as it was, when it is not 0x80 followed by zeros within
    /// the last block.
    static func remove(from data: inout [UInt8], blockSize: Int) -> Bool {
        guard let marker = data.lastIndex(where: { $0 != 0x00 }), data[marker] == 0x80, data.count - marker <= blockSize else {
            return false
        }
        data.removeSubrange(marker...)
        return true
    }
}
