import CP11Kit

/// Owns the memory a CK_ATTRIBUTE array points to for the length of a call.
final class AttributeTemplate {
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private(set) var attributes: [CK_ATTRIBUTE] = []

    init() {}

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    func add(_ type: UInt, bytes: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        buffer.copyBytes(from: bytes)
        buffers.append(buffer)
        attributes.append(CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: buffer.baseAddress, ulValueLen: CK_ULONG(bytes.count)))
    }

    func add(_ type: UInt, bool: Bool) {
        add(type, bytes: [bool ? 1 : 0])
    }

    func add(_ type: UInt, ulong value: UInt) {
        withUnsafeBytes(of: CK_ULONG(value)) { add(type, bytes: Array($0)) }
    }

    func add(_ type: UInt, string: String) {
        add(type, bytes: Array(string.utf8))
    }
}
