/// Anything that can sign: a software key, a key in an HSM.
///
/// Certificate, CRL, CMS and CV-certificate code sign only through this protocol, so an HSM key plugs in
/// without a branch on the key's kind. ECDSA signatures are returned in DER (`ECDSA-Sig-Value`); use
/// `signPlainECDSA` for the r‖s form of CV certificates.
public protocol Signer: Sendable {
    var publicKey: PublicKey { get }
    /// The algorithms this signer can produce.
    var supportedAlgorithms: [SignatureAlgorithm] { get }
    /// Signs the message (hashing it as the algorithm says).
    func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8]
    /// Whether `algorithm` is one this signer's key can sign with (the hash aside).
    func canSign(_ algorithm: SignatureAlgorithm) -> Bool
}

extension Signer {
    /// ECDSA with the hash that matches the curve; RSASSA-PSS with SHA-256 for RSA keys, as used by most
    /// ePassport PKIs today.
    public var defaultAlgorithm: SignatureAlgorithm {
        switch publicKey.kind {
        case .ec(let curve, _): .ecdsa(curve?.matchingHash ?? .sha256)
        case .rsa: .rsaPSS(.sha256)
        }
    }

    /// The plain r‖s ECDSA signature of BSI TR-03111, each half as long as the curve's field.
    public func signPlainECDSA(_ message: [UInt8], hash: HashAlgorithm) throws -> [UInt8] {
        guard let curve = publicKey.curve else {
            throw PKIError(.keyMismatch, "plain ECDSA signatures need an EC key on a known curve, not \(publicKey)")
        }
        let der = try sign(message, algorithm: .ecdsa(hash))
        return try ECDSASignature(derEncoded: der).plain(coordinateLength: curve.coordinateLength)
    }

    /// Refuses what epki never signs with: SHA-1, or an algorithm that does not fit the key.
    public func canSign(_ algorithm: SignatureAlgorithm) -> Bool {
        supportedAlgorithms.contains(algorithm) || (algorithm.pssParameters != nil && supportedAlgorithms.contains(where: { $0.pssParameters != nil }))
    }

    public func checkCanSign(_ algorithm: SignatureAlgorithm) throws {
        guard algorithm.hash.isAllowedForSigning else {
            throw PKIError(.unsupportedAlgorithm, "\(algorithm): SHA-1 is accepted only to verify legacy data")
        }
        guard canSign(algorithm) else {
            throw PKIError(.keyMismatch, "a \(publicKey) key cannot sign \(algorithm)")
        }
    }
}

/// A Signer over a software key (encrypted PKCS#8 at rest, OpenSSL in memory).
public struct SoftwareSigner: Signer {
    public let key: PrivateKey

    public init(key: PrivateKey) {
        self.key = key
    }

    public var publicKey: PublicKey { key.publicKey }

    public var supportedAlgorithms: [SignatureAlgorithm] {
        let hashes = HashAlgorithm.allCases.filter(\.isAllowedForSigning)
        return publicKey.isEC ? hashes.map { .ecdsa($0) } : hashes.map { .rsaPKCS1v15($0) } + hashes.map { .rsaPSS($0) }
    }

    /// What `supportedAlgorithms` lists, answered without building the list (asked once per signature).
    public func canSign(_ algorithm: SignatureAlgorithm) -> Bool {
        publicKey.isEC == algorithm.isECDSA
    }

    public func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        try checkCanSign(algorithm)
        return try key.sign(message, algorithm: algorithm)
    }
}
