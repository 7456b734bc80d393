import COpenSSLShims

/// The RSA operations without padding that ISO/IEC 9796-2 signatures need (Doc 9303-11 §6.1, Active
/// Authentication): the padding is the message representative, built and checked by the caller.
extension PrivateKey {
    /// representative^d mod n; the representative is as long as the modulus.
    public func rawRSASignature(_ representative: [UInt8]) throws -> [UInt8] {
        try RawRSA.run(evp, usePrivate: true, representative)
    }
}

extension PublicKey {
    /// signature^e mod n: the representative a 9796-2 signature carries.
    public func rawRSARecover(_ signature: [UInt8]) throws -> [UInt8] {
        try RawRSA.run(evp, usePrivate: false, signature)
    }
}

enum RawRSA {
    static func run(_ key: EVPKey, usePrivate: Bool, _ input: [UInt8]) throws -> [UInt8] {
        let size = epki_max_signature_size(key.pointer)
        guard size > 0, input.count == size else {
            throw PKIError(.invalidValue, "raw RSA: \(input.count) bytes where the modulus has \(size)")
        }
        var out = [UInt8](repeating: 0, count: size)
        var length = size
        guard epki_rsa_raw(key.pointer, usePrivate ? 1 : 0, input, input.count, &out, &length) == 1 else {
            throw OpenSSL.failure(.cryptoFailure, usePrivate ? "raw RSA signature" : "raw RSA recovery")
        }
        // Left-pad to the modulus length: the representative's leading zero bytes are not dropped.
        return [UInt8](repeating: 0, count: size - length) + out.prefix(length)
    }
}
