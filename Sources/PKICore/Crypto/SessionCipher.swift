import COpenSSLShims

/// The cipher and MAC of one secure messaging session (ICAO Doc 9303-11 §9.8), keyed once for the session's life.
///
/// ```
/// 3DES   CBC with K1 ‖ K2 ‖ K1; retail MAC (ISO/IEC 9797-1 MAC algorithm 3): single-DES CBC with K1 over every
///        block, then the last block decrypted with K2 and encrypted with K1
/// AES    CBC; CMAC (NIST SP 800-38B) cut to 8 bytes
/// ```
/// `BlockCipher` and `MessageAuthenticationCode` look the cipher up by name and key a new OpenSSL context on every
/// call. A protected APDU makes three or four such calls on each side, and for AES that set-up costs more than the
/// blocks themselves. Here the key schedules and contexts are made when the session starts, and each call only sets
/// an IV and runs the blocks. The retail MAC runs single DES over the blocks, as the algorithm is defined, where
/// `MessageAuthenticationCode` had to run 3DES with K1 ‖ K1 (three DES passes per block) because OpenSSL 3 offers
/// single DES through EVP only in its legacy provider. The CMAC is one CBC pass with the subkey K1 derived at the
/// session's start (the input is always whole blocks), where OpenSSL 3.0's CMAC runs the cipher block by block.
///
/// Copies share the keyed contexts; a lock lets one call at a time use them, so copies may go to other threads.
public struct SessionCipher: Sendable {
    public let cipher: BlockCipher
    private let keys: Keys

    public init(_ cipher: BlockCipher, encryptionKey: [UInt8], macKey: [UInt8]) throws {
        guard encryptionKey.count == cipher.keyLength, macKey.count == cipher.keyLength else {
            throw PKIError(.invalidValue, "\(cipher) session keys: \(encryptionKey.count) and \(macKey.count) bytes, expected \(cipher.keyLength)")
        }
        guard let pointer = epki_sm_keys_new(cipher == .tripleDES ? 0 : 1, encryptionKey, macKey, encryptionKey.count) else {
            throw OpenSSL.failure(.cryptoFailure, "\(cipher) session keys")
        }
        self.cipher = cipher
        keys = Keys(pointer)
    }

    /// CBC encryption of whole blocks from `iv` (nil: zeros), appended to `output`.
    public func encrypt(_ data: ArraySlice<UInt8>, iv: [UInt8]?, appendingTo output: inout [UInt8]) throws {
        try run(encrypt: true, data, iv: iv, appendingTo: &output)
    }

    /// CBC decryption of whole blocks from `iv` (nil: zeros), appended to `output`.
    public func decrypt(_ data: ArraySlice<UInt8>, iv: [UInt8]?, appendingTo output: inout [UInt8]) throws {
        try run(encrypt: false, data, iv: iv, appendingTo: &output)
    }

    /// E(K_Enc, block), one block (AES secure messaging's IV is E(KS_Enc, SSC)).
    public func encryptBlock(_ block: [UInt8]) throws -> [UInt8] {
        guard block.count == cipher.blockSize else {
            throw PKIError(.invalidValue, "\(cipher): a block has \(cipher.blockSize) bytes, not \(block.count)")
        }
        var output: [UInt8] = []
        output.reserveCapacity(block.count)
        try run(encrypt: true, block[...], iv: nil, appendingTo: &output)
        return output
    }

    /// The 8-byte MAC over `paddedData`, whole blocks padded by the caller: the retail MAC for 3DES, the CMAC cut to
    /// 8 bytes for AES.
    public func mac(_ paddedData: [UInt8]) throws -> [UInt8] {
        guard !paddedData.isEmpty, paddedData.count % cipher.blockSize == 0 else {
            throw PKIError(.invalidValue, "\(cipher) MAC: \(paddedData.count) bytes is not a whole number of \(cipher.blockSize)-byte blocks")
        }
        // The tag on the stack, then one array: `[UInt8](repeating:count:)` here went through the stdlib's unspecialized
        // array allocation, with a generic metadata look-up on every call (seen in perf on the terminal thread).
        var tag: UInt64 = 0
        let ok = paddedData.withUnsafeBufferPointer { input in
            withUnsafeMutableBytes(of: &tag) { out in
                keys.run { epki_sm_mac($0, input.baseAddress, input.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self)) }
            }
        }
        guard ok == 1 else { throw OpenSSL.failure(.cryptoFailure, "\(cipher) MAC") }
        var out: [UInt8] = []
        out.reserveCapacity(8)
        withUnsafeBytes(of: &tag) { out.append(contentsOf: $0) }
        return out
    }

    private func run(encrypt: Bool, _ data: ArraySlice<UInt8>, iv: [UInt8]?, appendingTo output: inout [UInt8]) throws {
        guard data.count % cipher.blockSize == 0 else {
            throw PKIError(.invalidValue, "\(cipher): \(data.count) bytes is not a whole number of \(cipher.blockSize)-byte blocks")
        }
        if let iv, iv.count != cipher.blockSize {
            throw PKIError(.invalidValue, "\(cipher) IV: \(iv.count) bytes, expected \(cipher.blockSize)")
        }
        guard !data.isEmpty else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: data.count))
        let ok = data.withUnsafeBufferPointer { input in
            iv.withOptionalBufferPointer { vector in
                output.withUnsafeMutableBufferPointer { out in
                    keys.run { epki_sm_cbc($0, encrypt ? 1 : 0, vector, input.baseAddress, input.count, out.baseAddress! + start) }
                }
            }
        }
        guard ok == 1 else {
            output.removeLast(data.count)
            throw OpenSSL.failure(.cryptoFailure, "\(cipher) \(encrypt ? "encryption" : "decryption")")
        }
    }

    /// Owns the keyed OpenSSL state and frees it with the last copy.
    private final class Keys: @unchecked Sendable {
        private let pointer: OpaquePointer
        /// The AES contexts change with every call: one call at a time.
        private let lock = Locked(())

        init(_ pointer: OpaquePointer) { self.pointer = pointer }

        func run(_ body: (OpaquePointer) -> Int32) -> Int32 {
            lock.withLock { _ in body(pointer) }
        }

        deinit { epki_sm_keys_free(pointer) }
    }
}

private extension Optional where Wrapped == [UInt8] {
    /// The bytes' address for C, or NULL when there are none.
    func withOptionalBufferPointer<T>(_ body: (UnsafePointer<UInt8>?) -> T) -> T {
        switch self {
        case .some(let bytes): bytes.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
