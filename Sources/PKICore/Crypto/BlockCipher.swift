import COpenSSLShims

/// The block ciphers of chip secure messaging (ICAO Doc 9303-11 §9.8, BSI TR-03110-3 §F): two-key 3DES for BAC
/// and AES for PACE and Chip Authentication. Whole blocks only; the caller pads (ISO/IEC 9797-1 method 2).
///
/// ```
/// 3DES   key K1 ‖ K2 (16 bytes; used as K1 ‖ K2 ‖ K1), 8-byte blocks, CBC with a zero IV
/// AES    key of 16, 24 or 32 bytes, 16-byte blocks, CBC with IV = E(K_Enc, SSC)
/// ```
public enum BlockCipher: Hashable, Sendable, CustomStringConvertible {
    case tripleDES
    case aes128
    case aes192
    case aes256

    public var blockSize: Int { self == .tripleDES ? 8 : 16 }

    /// The key length in bytes.
    public var keyLength: Int {
        switch self {
        case .tripleDES, .aes128: 16
        case .aes192: 24
        case .aes256: 32
        }
    }

    public var description: String {
        switch self {
        case .tripleDES: "3DES"
        case .aes128: "AES-128"
        case .aes192: "AES-192"
        case .aes256: "AES-256"
        }
    }

    public func encrypt(_ data: [UInt8], key: [UInt8], iv: [UInt8]? = nil) throws -> [UInt8] {
        try run(encrypt: true, data, key: key, iv: iv)
    }

    public func decrypt(_ data: [UInt8], key: [UInt8], iv: [UInt8]? = nil) throws -> [UInt8] {
        try run(encrypt: false, data, key: key, iv: iv)
    }

    /// One block in ECB mode (AES secure messaging's IV, the 3DES retail MAC's last steps).
    public func encryptBlock(_ block: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try run(encrypt: true, block, key: key, iv: nil, ecb: true)
    }

    public func decryptBlock(_ block: [UInt8], key: [UInt8]) throws -> [UInt8] {
        try run(encrypt: false, block, key: key, iv: nil, ecb: true)
    }

    /// CBC unless `ecb`; a 3DES key of 16 bytes is used as K1 ‖ K2 ‖ K1 (OpenSSL's two-key EDE).
    private func run(encrypt: Bool, _ data: [UInt8], key: [UInt8], iv: [UInt8]?, ecb: Bool = false) throws -> [UInt8] {
        guard key.count == keyLength else {
            throw PKIError(.invalidValue, "\(self) key: \(key.count) bytes, expected \(keyLength)")
        }
        guard data.count % blockSize == 0 else {
            throw PKIError(.invalidValue, "\(self): \(data.count) bytes is not a whole number of \(blockSize)-byte blocks")
        }
        let name: String
        var fullKey = key
        switch self {
        case .tripleDES:
            name = ecb ? "DES-EDE3-ECB" : "DES-EDE3-CBC"
            fullKey += key.prefix(8)
        case .aes128: name = ecb ? "AES-128-ECB" : "AES-128-CBC"
        case .aes192: name = ecb ? "AES-192-ECB" : "AES-192-CBC"
        case .aes256: name = ecb ? "AES-256-ECB" : "AES-256-CBC"
        }
        let vector = ecb ? nil : (iv ?? [UInt8](repeating: 0, count: blockSize))
        if let vector, vector.count != blockSize {
            throw PKIError(.invalidValue, "\(self) IV: \(vector.count) bytes, expected \(blockSize)")
        }
        if data.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: data.count + blockSize)
        let written = vector.map { iv in epki_block_cipher(name, encrypt ? 1 : 0, fullKey, fullKey.count, iv, data, data.count, &out) }
            ?? epki_block_cipher(name, encrypt ? 1 : 0, fullKey, fullKey.count, nil, data, data.count, &out)
        guard written == data.count else { throw OpenSSL.failure(.cryptoFailure, "\(name) \(encrypt ? "encryption" : "decryption")") }
        return Array(out.prefix(data.count))
    }
}

/// The message authentication codes of chip secure messaging: the ISO/IEC 9797-1 MAC algorithm 3 with DES ("retail
/// MAC", BAC) and CMAC with AES (NIST SP 800-38B; PACE and CA), both cut to 8 bytes by the caller where 9303 says so.
public enum MessageAuthenticationCode {
    /// Retail MAC over data already padded to 8-byte blocks: DES-CBC with K1 over every block, then the last
    /// result decrypted with K2 and encrypted with K1 again. `key` is K1 ‖ K2.
    public static func retailMAC(key: [UInt8], paddedData: [UInt8]) throws -> [UInt8] {
        guard key.count == 16 else { throw PKIError(.invalidValue, "retail MAC key: \(key.count) bytes, expected 16") }
        guard !paddedData.isEmpty, paddedData.count % 8 == 0 else {
            throw PKIError(.invalidValue, "retail MAC: \(paddedData.count) bytes is not a whole number of 8-byte blocks")
        }
        // Single DES over the blocks and two DES operations at the end, with OpenSSL's low-level DES: EVP offers
        // single DES only in the legacy provider, and 3DES with K1 ‖ K1 in its place costs three passes per block.
        var out = [UInt8](repeating: 0, count: 8)
        guard epki_retail_mac(key, paddedData, paddedData.count, &out) == 1 else { throw OpenSSL.failure(.cryptoFailure, "retail MAC") }
        return out
    }

    /// CMAC with AES of the key's length, all 16 bytes.
    public static func cmac(key: [UInt8], data: [UInt8]) throws -> [UInt8] {
        let name: String
        switch key.count {
        case 16: name = "AES-128-CBC"
        case 24: name = "AES-192-CBC"
        case 32: name = "AES-256-CBC"
        default: throw PKIError(.invalidValue, "CMAC key: \(key.count) bytes, expected 16, 24 or 32")
        }
        var out = [UInt8](repeating: 0, count: 16)
        let written = epki_cmac(name, key, key.count, data, data.count, &out, out.count)
        guard written == 16 else { throw OpenSSL.failure(.cryptoFailure, "CMAC with \(name)") }
        return out
    }
}
