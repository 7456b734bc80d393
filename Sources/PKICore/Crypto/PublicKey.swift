import COpenSSL
import COpenSSLShims
import SwiftASN1

/// A public key as an X.509 SubjectPublicKeyInfo, checked by OpenSSL when it is read.
///
/// The encoding is ours: an EC key can be written with a named curve or with explicit domain parameters
/// (Doc 9303-12 asks for explicit ones), whatever form it arrived in.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// `curve` is nil for explicit parameters of a curve epki does not know.
        case ec(curve: ECCurve?, explicitParameters: Bool)
        case rsa(bits: Int)
    }

    /// The key exactly as it was read or built.
    public let subjectPublicKeyInfo: SubjectPublicKeyInfo
    public let kind: Kind
    let evp: EVPKey

    public init(subjectPublicKeyInfo spki: SubjectPublicKeyInfo) throws {
        var serializer = DER.Serializer()
        try serializer.serialize(spki)
        try self.init(spki: spki, der: serializer.serializedBytes)
    }

    public init(derEncoded der: [UInt8]) throws {
        let spki = try PKIError.decoding("SubjectPublicKeyInfo") { try SubjectPublicKeyInfo(berEncoded: der) }
        try self.init(spki: spki, der: der)
    }

    private init(spki: SubjectPublicKeyInfo, der: [UInt8]) throws {
        guard let pointer = Self.ecKeyOfKnownCurve(spki) ?? epki_public_key_from_spki(der, der.count) else {
            throw OpenSSL.failure(.unsupportedAlgorithm, "public key (\(spki.algorithm.algorithm.displayName)) cannot be used")
        }
        let evp = EVPKey(taking: pointer)
        self.subjectPublicKeyInfo = spki
        self.evp = evp
        switch spki.algorithm.algorithm {
        case .PublicKeyAlgorithm.ecPublicKey:
            let domain = spki.ecDomain
            kind = .ec(curve: domain?.curve, explicitParameters: domain?.isExplicit ?? false)
        case .PublicKeyAlgorithm.rsaEncryption, .Signature.rsassaPSS:
            kind = .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        default:
            throw PKIError(.unsupportedAlgorithm, "public key algorithm \(spki.algorithm.algorithm.displayName)")
        }
    }

    /// An EC key on a curve epki knows, named or with explicit parameters that are exactly that curve's (cofactor 1
    /// or absent), made from the curve's name and its uncompressed point. OpenSSL 3.0's `d2i_PUBKEY` sets up its
    /// decoder machinery for every key, and for explicit parameters also builds the group twice and compares it with
    /// every curve it knows: about 0.3 ms a key, more than checking a signature with it, and a border gate decodes
    /// each chip's DG15 key and each DS key it has not seen. Anything else, and a point that is not on the curve, goes
    /// to `d2i_PUBKEY` as before, which then decides.
    private static func ecKeyOfKnownCurve(_ spki: SubjectPublicKeyInfo) -> OpaquePointer? {
        guard spki.algorithm.algorithm == .PublicKeyAlgorithm.ecPublicKey, let domain = spki.ecDomain, let curve = domain.curve else {
            return nil
        }
        let fieldLength: Int
        switch domain {
        case .named:
            fieldLength = curve.coordinateLength
        case .explicit(let parameters):
            guard parameters.cofactor.map({ $0.drop(while: { $0 == 0 }).elementsEqual([1]) }) ?? true else { return nil }
            fieldLength = parameters.prime.drop(while: { $0 == 0 }).count
        case .unreadable:
            return nil
        }
        let point = Array(spki.subjectPublicKey.bytes)
        guard point.first == 0x04, point.count == 1 + 2 * fieldLength else { return nil }
        return epki_public_key_from_ec_point(curve.openSSLName, point, point.count)
    }

    init(evp: EVPKey) throws {
        var pointer: UnsafeMutablePointer<UInt8>? = nil
        let length = epki_public_key_to_spki(evp.pointer, &pointer)
        guard let der = OpenSSL.takeBuffer(pointer, count: Int(length)) else {
            throw OpenSSL.failure(.cryptoFailure, "cannot encode the public key")
        }
        try self.init(derEncoded: der)
    }

    public var derEncoded: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(subjectPublicKeyInfo)  // a value read or built once serializes again
        return serializer.serializedBytes
    }

    public var curve: ECCurve? {
        if case .ec(let curve, _) = kind { return curve }
        return nil
    }

    public var isEC: Bool {
        if case .ec = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .ec(let curve, let explicit):
            "EC \(curve?.rawValue ?? "unknown curve") (\(explicit ? "explicit parameters" : "named curve"))"
        case .rsa(let bits): "RSA \(bits)"
        }
    }

    /// The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
    public var keyIdentifier: [UInt8] {
        get throws { try HashAlgorithm.sha1.hash(subjectPublicKeyInfo.subjectPublicKey.bytes) }
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex: how officers, audit keys and ceremony transcripts
    /// name a key (`openssl pkey -pubin -outform DER | openssl dgst -sha256` gives the same).
    public var sha256Fingerprint: String {
        get throws { try HashAlgorithm.sha256.hash(derEncoded).hexString.lowercased() }
    }

    /// The same key with its EC parameters written the requested way. RSA keys come back unchanged.
    public func encoded(ecParameters encoding: ECParameterEncoding) throws -> SubjectPublicKeyInfo {
        guard case .ec(let curve, _) = kind else { return subjectPublicKeyInfo }
        guard let curve else {
            if encoding == .explicit, subjectPublicKeyInfo.ecDomain?.isExplicit == true { return subjectPublicKeyInfo }
            throw PKIError(.unsupportedCurve, "the key's curve is not one epki can name")
        }
        let parameters: ASN1Any
        switch encoding {
        case .namedCurve: parameters = try ASN1Any(erasing: curve.oid)
        case .explicit: parameters = try ASN1Any(erasing: curve.explicitParameters)
        }
        return SubjectPublicKeyInfo(
            algorithm: AlgorithmIdentifier(algorithm: .PublicKeyAlgorithm.ecPublicKey, parameters: parameters),
            subjectPublicKey: subjectPublicKeyInfo.subjectPublicKey
        )
    }

    /// The algorithms this key can check: ECDSA for EC keys, PKCS#1 v1.5 and PSS for RSA.
    public func canVerify(_ algorithm: SignatureAlgorithm) -> Bool {
        isEC == algorithm.isECDSA
    }

    /// Checks a signature (ECDSA in DER form). Throws only when the check cannot be made at all
    /// (algorithm does not fit the key); a wrong signature returns false.
    public func isValidSignature(_ signature: some Collection<UInt8>, for data: some Collection<UInt8>, algorithm: SignatureAlgorithm) throws -> Bool {
        guard canVerify(algorithm) else {
            throw PKIError(.keyMismatch, "a \(self) key cannot verify \(algorithm)")
        }
        let digest = try algorithm.hash.hash(data)
        let result = evp.withContext(.init(signing: false, algorithm: algorithm)) { context in
            // The signature is usually a slice of the SOD or certificate: checked where it lies.
            signature.withContiguousStorageIfAvailable { bytes in
                epki_verify_digest(context, digest, digest.count, bytes.baseAddress, bytes.count)
            } ?? {
                let copy = Array(signature)
                return epki_verify_digest(context, digest, digest.count, copy, copy.count)
            }()
        }
        guard let result, result >= 0 else { throw OpenSSL.failure(.cryptoFailure, "cannot verify \(algorithm) with a \(self) key") }
        return result == 1
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.subjectPublicKeyInfo == rhs.subjectPublicKeyInfo
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(subjectPublicKeyInfo)
    }

    /// Same key material, whatever the parameter encoding.
    public func isSameKey(as other: PublicKey) -> Bool {
        subjectPublicKeyInfo.subjectPublicKey == other.subjectPublicKeyInfo.subjectPublicKey
    }
}

extension SignatureAlgorithm {
    var pssParameters: RSASSAPSSParameters? {
        if case .rsaPSS(let parameters) = self { return parameters }
        return nil
    }
}
