import COpenSSL
import COpenSSLShims
import Foundation
import SwiftASN1

/// What kind of key to generate: `ec:brainpoolP256r1`, `ec:P-384`, `rsa:3072`.
public enum KeySpecification: Hashable, Sendable, CustomStringConvertible {
    case ec(ECCurve, parameters: ECParameterEncoding)
    case rsa(bits: Int)

    public static let rsaSizes = 2048...4096

    /// Parses the CLI form; `explicit` applies to EC keys only.
    public init(_ text: String, explicitParameters: Bool = false) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw PKIError(.unsupportedAlgorithm, "key algorithm '\(text)' is not of the form ec:CURVE or rsa:BITS")
        }
        switch parts[0].lowercased() {
        case "ec":
            guard let curve = ECCurve(name: parts[1]) else {
                throw PKIError(.unsupportedCurve, "curve '\(parts[1])' is not supported; use one of \(ECCurve.generatable.map(\.rawValue).joined(separator: ", "))")
            }
            guard ECCurve.generatable.contains(curve) else {
                throw PKIError(.unsupportedCurve, "keys are not generated on \(curve); use one of \(ECCurve.generatable.map(\.rawValue).joined(separator: ", "))")
            }
            self = .ec(curve, parameters: explicitParameters ? .explicit : .namedCurve)
        case "rsa":
            guard let bits = Int(parts[1]), Self.rsaSizes.contains(bits), bits % 8 == 0 else {
                throw PKIError(.unsupportedAlgorithm, "RSA size '\(parts[1])' must be a multiple of 8 from 2048 to 4096")
            }
            guard !explicitParameters else {
                throw PKIError(.invalidValue, "explicit parameters apply to EC keys only")
            }
            self = .rsa(bits: bits)
        default:
            throw PKIError(.unsupportedAlgorithm, "key algorithm '\(parts[0])' is not supported; use ec or rsa")
        }
    }

    public var description: String {
        switch self {
        case .ec(let curve, let encoding): "ec:\(curve.rawValue)\(encoding == .explicit ? " (explicit parameters)" : "")"
        case .rsa(let bits): "rsa:\(bits)"
        }
    }
}

/// A software private key, held by OpenSSL, stored only as encrypted PKCS#8.
public final class PrivateKey: Sendable {
    let evp: EVPKey
    public let publicKey: PublicKey
    /// How the key writes its EC parameters in the certificates and requests built for it.
    public let ecParameterEncoding: ECParameterEncoding

    private init(evp: EVPKey) throws {
        self.evp = evp
        self.ecParameterEncoding = epki_ec_uses_explicit_parameters(evp.pointer) == 1 ? .explicit : .namedCurve
        let raw = try PublicKey(evp: evp)
        self.publicKey = raw.isEC ? try PublicKey(subjectPublicKeyInfo: raw.encoded(ecParameters: ecParameterEncoding)) : raw
    }

    public static func generate(_ specification: KeySpecification) throws -> PrivateKey {
        let pointer: OpaquePointer?
        switch specification {
        case .ec(let curve, let encoding):
            pointer = epki_ec_generate(curve.openSSLName, encoding == .explicit ? 1 : 0)
        case .rsa(let bits):
            pointer = epki_rsa_generate(UInt32(bits))
        }
        guard let pointer else { throw OpenSSL.failure(.cryptoFailure, "cannot generate a \(specification) key") }
        return try PrivateKey(evp: EVPKey(taking: pointer))
    }

    /// Reads a private key in PEM or DER.
    ///
    /// Only encrypted PKCS#8 is accepted unless `allowUnencrypted` is set (for `epki key import`, which
    /// re-encrypts at once). A wrong passphrase is told apart from a damaged file.
    public convenience init(encoded data: [UInt8], passphrase: Passphrase?, allowUnencrypted: Bool = false) throws {
        let encrypted = Self.isEncryptedPKCS8(data)
        if !encrypted && !allowUnencrypted {
            if Self.looksLikePrivateKey(data) {
                throw PKIError(.unencryptedKey, "the private key is not encrypted; keys at rest must be encrypted PKCS#8 (use `epki key import` to encrypt it)")
            }
            throw PKIError.malformed("private key", "neither PEM nor DER encrypted PKCS#8")
        }
        if encrypted && passphrase == nil {
            throw PKIError(.missingInput, "the private key is encrypted; give its passphrase with --passphrase-file or --passphrase-env")
        }
        let secret = passphrase?.bytes ?? []
        let pointer = secret.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                epki_private_key_decode(data, data.count, chars.baseAddress, chars.count)
            }
        }
        guard let pointer else {
            if encrypted {
                _ = OpenSSL.lastError()
                throw PKIError(.wrongPassphrase, "the passphrase does not decrypt the private key")
            }
            throw OpenSSL.failure(.malformedEncoding, "private key: cannot be decoded")
        }
        try self.init(evp: EVPKey(taking: pointer))
    }

    /// Encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC).
    public func encryptedPKCS8(passphrase: Passphrase, pem: Bool = true) throws -> [UInt8] {
        guard passphrase.bytes.count >= 8 else {
            throw PKIError(.invalidValue, "passphrase: at least 8 characters are required to encrypt a key")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        let ok = passphrase.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                epki_private_key_encode(evp.pointer, pem ? 1 : 0, chars.baseAddress, chars.count, &out, &length)
            }
        }
        guard ok == 1, let bytes = OpenSSL.takeBuffer(out, count: length) else {
            throw OpenSSL.failure(.cryptoFailure, "cannot encrypt the private key")
        }
        return bytes
    }

    /// Unencrypted DER PrivateKeyInfo, only to be sealed inside another encryption at once (the state file of a
    /// virtual chip, itself sealed under a passphrase). Never write it to a file of its own.
    public func plainPKCS8ForSealing() throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        guard epki_private_key_encode_plain(evp.pointer, &out, &length) == 1, let bytes = OpenSSL.takeBuffer(out, count: length) else {
            throw OpenSSL.failure(.cryptoFailure, "cannot encode the private key")
        }
        return bytes
    }

    /// The private scalar of an EC key, as long as the curve's order: a chip's static Chip Authentication key.
    public func ecPrivateScalar() throws -> [UInt8] {
        guard case .ec(let curve, _) = publicKey.kind, let curve else {
            throw PKIError(.invalidValue, "the key is not an EC key on a named curve epki knows")
        }
        let length = try ECPointArithmetic(curve).order.count
        var out = [UInt8](repeating: 0, count: length)
        guard epki_ec_private_scalar(evp.pointer, &out, length) == 1 else {
            throw OpenSSL.failure(.cryptoFailure, "cannot read the EC private scalar")
        }
        return out
    }

    public var specification: KeySpecification? {
        switch publicKey.kind {
        case .ec(let curve, _): curve.map { .ec($0, parameters: ecParameterEncoding) }
        case .rsa(let bits): .rsa(bits: bits)
        }
    }

    /// Signs with OpenSSL; ECDSA signatures come out in DER.
    func sign(_ data: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        let digest = try algorithm.hash.hash(data)
        var signature = [UInt8](repeating: 0, count: max(epki_max_signature_size(evp.pointer), 16))
        var length = signature.count
        let ok = evp.withContext(.init(signing: true, algorithm: algorithm), reusable: { $0 == 1 }) { context in
            epki_sign_digest(context, digest, digest.count, &signature, &length)
        }
        guard ok == 1, length <= signature.count else { throw OpenSSL.failure(.signingFailed, "cannot sign with \(algorithm)") }
        signature.removeLast(signature.count - length)
        return signature
    }

    static func isEncryptedPKCS8(_ data: [UInt8]) -> Bool {
        if let document = try? PEMDocument(pemString: String(decoding: data, as: UTF8.self)) {
            return document.discriminator == "ENCRYPTED PRIVATE KEY"
        }
        // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
        guard let node = try? BER.parse(data), case .constructed(let children) = node.content else { return false }
        let items = Array(children)
        return items.count == 2 && items[0].identifier == .sequence && items[1].identifier == .octetString
    }

    static func looksLikePrivateKey(_ data: [UInt8]) -> Bool {
        let text = String(decoding: data.prefix(64), as: UTF8.self)
        return text.contains("PRIVATE KEY") || (try? BER.parse(data)) != nil
    }
}

extension PrivateKey {
    /// Whether the bytes are an encrypted PKCS#8 key (PEM or DER), so a caller knows to ask for a passphrase.
    public static func isEncrypted(_ data: [UInt8]) -> Bool { isEncryptedPKCS8(data) }
}
