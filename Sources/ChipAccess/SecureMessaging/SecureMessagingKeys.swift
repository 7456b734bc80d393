import PKICore

/// The session keys of secure messaging and the key derivation function of ICAO Doc 9303-11 §9.7.1 that makes them.
///
/// ```
/// KDF(K, c) = H(K ‖ c)        c a 32-bit big-endian counter: 1 encryption, 2 MAC, 3 PACE password
///   3DES      SHA-1, first 16 bytes, DES parity adjusted (K1 ‖ K2)
///   AES-128   SHA-1, first 16 bytes
///   AES-192   SHA-256, first 24 bytes
///   AES-256   SHA-256, all 32 bytes
/// ```
public struct SecureMessagingKeys: Hashable, Sendable {
    public let cipher: BlockCipher
    public let encryption: [UInt8]
    public let mac: [UInt8]

    public init(cipher: BlockCipher, encryption: [UInt8], mac: [UInt8]) throws {
        guard encryption.count == cipher.keyLength, mac.count == cipher.keyLength else {
            throw ChipAccessError(.invalidValue, "\(cipher) session keys are \(cipher.keyLength) bytes, not \(encryption.count) and \(mac.count)")
        }
        self.cipher = cipher
        self.encryption = encryption
        self.mac = mac
    }

    /// KS_Enc = KDF(seed, 1) and KS_MAC = KDF(seed, 2).
    public init(seed: [UInt8], cipher: BlockCipher) throws {
        try self.init(cipher: cipher, encryption: Self.derive(seed, counter: 1, cipher: cipher),
                      mac: Self.derive(seed, counter: 2, cipher: cipher))
    }

    public static func derive(_ secret: [UInt8], counter: UInt32, cipher: BlockCipher) throws -> [UInt8] {
        let input = secret + [UInt8(counter >> 24), UInt8(counter >> 16 & 0xFF), UInt8(counter >> 8 & 0xFF), UInt8(counter & 0xFF)]
        switch cipher {
        case .tripleDES: return adjustParity(Array(try HashAlgorithm.sha1.hash(input).prefix(16)))
        case .aes128: return Array(try HashAlgorithm.sha1.hash(input).prefix(16))
        case .aes192: return Array(try HashAlgorithm.sha256.hash(input).prefix(24))
        case .aes256: return try HashAlgorithm.sha256.hash(input)
        }
    }

    /// DES keys carry odd parity in the low bit of each byte (FIPS 46-3).
    static func adjustParity(_ key: [UInt8]) -> [UInt8] {
        key.map { byte in
            let ones = (byte >> 1).nonzeroBitCount
            return (byte & 0xFE) | (ones % 2 == 0 ? 1 : 0)
        }
    }
}
