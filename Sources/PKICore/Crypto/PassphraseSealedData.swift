import COpenSSLShims
import Foundation

/// Data kept on disk under a passphrase: the state file of a virtual chip, whose keys and secrets must not lie
/// there in plaintext.
///
/// ```
/// keys         = PBKDF2-HMAC-SHA256(passphrase, salt (16 random bytes), iterations), 64 bytes:
///                K_enc (32) ‖ K_mac (32)
/// ciphertext   = AES-256-CBC(K_enc, iv (16 random bytes), plaintext with ISO/IEC 9797-1 method 2 padding)
/// mac          = CMAC-AES-256(K_mac, "epki-sealed-1" ‖ salt ‖ iterations (4 bytes, big-endian) ‖ iv ‖ ciphertext)
/// ```
/// Encrypt-then-MAC: the MAC is checked, in constant time, before anything is decrypted, so a wrong passphrase and
/// a changed byte are told apart from nothing else and yield no plaintext.
public struct PassphraseSealedData: Hashable, Sendable, Codable {
    public static let defaultIterations: UInt32 = 200_000
    static let label = Array("epki-sealed-1".utf8)

    public let salt: [UInt8]
    public let iterations: UInt32
    public let iv: [UInt8]
    public let ciphertext: [UInt8]
    public let mac: [UInt8]

    public init(salt: [UInt8], iterations: UInt32, iv: [UInt8], ciphertext: [UInt8], mac: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.iv = iv
        self.ciphertext = ciphertext
        self.mac = mac
    }

    /// Seals `plaintext` with fresh salt and IV.
    public init(sealing plaintext: [UInt8], passphrase: Passphrase, iterations: UInt32 = Self.defaultIterations) throws {
        self = try SealingKey(passphrase: passphrase, iterations: iterations).seal(plaintext)
    }

    /// The keys derived from a passphrase and one salt, for a file sealed again and again (the state of a chip
    /// after every personalization command): PBKDF2 runs once, and each seal still gets a fresh IV.
    public struct SealingKey: Sendable {
        public let salt: [UInt8]
        public let iterations: UInt32
        let encryptionKey: [UInt8]
        let macKey: [UInt8]

        /// Keys under a fresh random salt.
        public init(passphrase: Passphrase, iterations: UInt32 = PassphraseSealedData.defaultIterations) throws {
            try self.init(passphrase: passphrase, salt: SecureRandom.bytes(16), iterations: iterations)
        }

        /// The keys of an existing seal (its salt and iterations).
        public init(passphrase: Passphrase, salt: [UInt8], iterations: UInt32) throws {
            self.salt = salt
            self.iterations = iterations
            (encryptionKey, macKey) = try PassphraseSealedData.keys(passphrase, salt: salt, iterations: iterations)
        }

        public func seal(_ plaintext: [UInt8]) throws -> PassphraseSealedData {
            let iv = try SecureRandom.bytes(16)
            var padded = plaintext + [0x80]
            while padded.count % 16 != 0 { padded.append(0) }
            let ciphertext = try BlockCipher.aes256.encrypt(padded, key: encryptionKey, iv: iv)
            let mac = try MessageAuthenticationCode.cmac(key: macKey, data: PassphraseSealedData.authenticated(salt, iterations, iv, ciphertext))
            return PassphraseSealedData(salt: salt, iterations: iterations, iv: iv, ciphertext: ciphertext, mac: mac)
        }
    }

    /// The plaintext; throws `PKIError(.wrongPassphrase)` for a wrong passphrase or altered data.
    public func open(passphrase: Passphrase) throws -> [UInt8] {
        guard salt.count == 16, iterations > 0 else {
            throw PKIError(.invalidValue, "sealed data: malformed (salt \(salt.count) bytes, \(iterations) iterations)")
        }
        return try open(with: SealingKey(passphrase: passphrase, salt: salt, iterations: iterations))
    }

    /// The plaintext, with keys already derived for this seal's salt.
    public func open(with key: SealingKey) throws -> [UInt8] {
        guard salt.count == 16, iv.count == 16, !ciphertext.isEmpty, ciphertext.count % 16 == 0, mac.count == 16, iterations > 0 else {
            throw PKIError(.invalidValue, "sealed data: malformed (salt \(salt.count), iv \(iv.count), ciphertext \(ciphertext.count), mac \(mac.count) bytes)")
        }
        guard key.salt == salt, key.iterations == iterations else {
            throw PKIError(.wrongPassphrase, "sealed data: the key was derived for another salt")
        }
        let (encryptionKey, macKey) = (key.encryptionKey, key.macKey)
        let expected = try MessageAuthenticationCode.cmac(key: macKey, data: Self.authenticated(salt, iterations, iv, ciphertext))
        guard zip(expected, mac).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw PKIError(.wrongPassphrase, "sealed data: the passphrase is wrong or the data was changed")
        }
        let padded = try BlockCipher.aes256.decrypt(ciphertext, key: encryptionKey, iv: iv)
        guard let end = padded.lastIndex(where: { $0 != 0 }), padded[end] == 0x80 else {
            throw PKIError(.invalidValue, "sealed data: the padding is not ISO/IEC 9797-1 method 2")
        }
        return Array(padded[..<end])
    }

    enum CodingKeys: String, CodingKey {
        case salt, iterations, iv, ciphertext, mac
    }

    /// Byte fields as Base64.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func bytes(_ key: CodingKeys) throws -> [UInt8] {
            guard let data = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not Base64")
            }
            return Array(data)
        }
        salt = try bytes(.salt)
        iv = try bytes(.iv)
        ciphertext = try bytes(.ciphertext)
        mac = try bytes(.mac)
        iterations = try container.decode(UInt32.self, forKey: .iterations)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Data(salt).base64EncodedString(), forKey: .salt)
        try container.encode(iterations, forKey: .iterations)
        try container.encode(Data(iv).base64EncodedString(), forKey: .iv)
        try container.encode(Data(ciphertext).base64EncodedString(), forKey: .ciphertext)
        try container.encode(Data(mac).base64EncodedString(), forKey: .mac)
    }

    static func keys(_ passphrase: Passphrase, salt: [UInt8], iterations: UInt32) throws -> ([UInt8], [UInt8]) {
        var out = [UInt8](repeating: 0, count: 64)
        guard epki_pbkdf2_sha256(passphrase.bytes, passphrase.bytes.count, salt, salt.count, iterations, &out, out.count) == 1 else {
            throw OpenSSL.failure(.cryptoFailure, "PBKDF2-HMAC-SHA256")
        }
        return (Array(out[..<32]), Array(out[32...]))
    }

    static func authenticated(_ salt: [UInt8], _ iterations: UInt32, _ iv: [UInt8], _ ciphertext: [UInt8]) -> [UInt8] {
        label + salt + [UInt8(iterations >> 24 & 0xFF), UInt8(iterations >> 16 & 0xFF), UInt8(iterations >> 8 & 0xFF), UInt8(iterations & 0xFF)]
            + iv + ciphertext
    }
}
