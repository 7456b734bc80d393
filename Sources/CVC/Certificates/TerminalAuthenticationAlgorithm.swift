import PKICore
import SwiftASN1

/// The id-TA object identifiers of TR-03110-3 A.7.3 and A.7.4: in a CV public key (7F49) the OID says not only
/// what kind of key it is but also which signature scheme that key makes, so the scheme of a certificate's
/// signature is the one named in the *issuer's* public key.
///
/// ```
/// id-TA            0.4.0.127.0.7.2.2.2
/// id-TA-RSA        id-TA 1:  1 v1-5-SHA-1   2 v1-5-SHA-256   3 PSS-SHA-1   4 PSS-SHA-256   5 v1-5-SHA-512   6 PSS-SHA-512
/// id-TA-ECDSA      id-TA 2:  1 SHA-1   2 SHA-224   3 SHA-256   4 SHA-384   5 SHA-512
/// ```
/// RSA-PSS uses MGF1 with the same hash, a salt as long as the hash and trailer BC (A.7.3.1); ECDSA signatures are
/// plain r‖s (TR-03111).
public enum TerminalAuthenticationAlgorithm: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case rsaV1_5SHA1
    case rsaV1_5SHA256
    case rsaV1_5SHA512
    case rsaPSSSHA1
    case rsaPSSSHA256
    case rsaPSSSHA512
    case ecdsaSHA1
    case ecdsaSHA224
    case ecdsaSHA256
    case ecdsaSHA384
    case ecdsaSHA512

    public var oid: ASN1ObjectIdentifier {
        switch self {
        case .rsaV1_5SHA1: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 1]
        case .rsaV1_5SHA256: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 2]
        case .rsaPSSSHA1: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 3]
        case .rsaPSSSHA256: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 4]
        case .rsaV1_5SHA512: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 5]
        case .rsaPSSSHA512: [0, 4, 0, 127, 0, 7, 2, 2, 2, 1, 6]
        case .ecdsaSHA1: [0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 1]
        case .ecdsaSHA224: [0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 2]
        case .ecdsaSHA256: [0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 3]
        case .ecdsaSHA384: [0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 4]
        case .ecdsaSHA512: [0, 4, 0, 127, 0, 7, 2, 2, 2, 2, 5]
        }
    }

    public init?(oid: ASN1ObjectIdentifier) {
        guard let match = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = match
    }

    /// The scheme in PKICore's terms, for signing through a `Signer` and verifying with a `PublicKey`.
    public var signatureAlgorithm: SignatureAlgorithm {
        switch self {
        case .rsaV1_5SHA1: .rsaPKCS1v15(.sha1)
        case .rsaV1_5SHA256: .rsaPKCS1v15(.sha256)
        case .rsaV1_5SHA512: .rsaPKCS1v15(.sha512)
        case .rsaPSSSHA1: .rsaPSS(.sha1)
        case .rsaPSSSHA256: .rsaPSS(.sha256)
        case .rsaPSSSHA512: .rsaPSS(.sha512)
        case .ecdsaSHA1: .ecdsa(.sha1)
        case .ecdsaSHA224: .ecdsa(.sha224)
        case .ecdsaSHA256: .ecdsa(.sha256)
        case .ecdsaSHA384: .ecdsa(.sha384)
        case .ecdsaSHA512: .ecdsa(.sha512)
        }
    }

    /// The id-TA algorithm for a PKICore scheme; nil for the combinations TR-03110 does not define (RSA with
    /// SHA-224 or SHA-384, PSS with other salt or MGF).
    public init?(_ algorithm: SignatureAlgorithm) {
        guard let match = Self.allCases.first(where: { $0.signatureAlgorithm == algorithm }) else { return nil }
        self = match
    }

    public var isECDSA: Bool { signatureAlgorithm.isECDSA }
    public var hash: HashAlgorithm { signatureAlgorithm.hash }

    /// The standard's name: `id-TA-ECDSA-SHA-256`, `id-TA-RSA-PSS-SHA-256`, `id-TA-RSA-v1-5-SHA-1`.
    public var description: String {
        let hash = self.hash.description
        switch signatureAlgorithm {
        case .ecdsa: return "id-TA-ECDSA-\(hash)"
        case .rsaPKCS1v15: return "id-TA-RSA-v1-5-\(hash)"
        case .rsaPSS: return "id-TA-RSA-PSS-\(hash)"
        }
    }

    /// Accepts epki's CLI names (`ecdsa-sha256`, `rsa-sha256`, `rsa-pss-sha512`), OpenPACE's scheme names
    /// (`ECDSA_SHA_256`, `RSA_v1_5_SHA_256`, `RSA_PSS_SHA_512`) and the standard's (`id-TA-ECDSA-SHA-256`).
    public init?(name: String) {
        if let algorithm = SignatureAlgorithm(name: name), let match = Self(algorithm) {
            self = match
            return
        }
        let normalized = name.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let match = Self.allCases.first(where: {
            $0.description.lowercased() == normalized || $0.openPACEName.lowercased().replacingOccurrences(of: "_", with: "-") == normalized
        }) else { return nil }
        self = match
    }

    /// The `--scheme` value of OpenPACE's cvc-create.
    public var openPACEName: String {
        let bits = String(hash.rawValue.dropFirst(3))
        switch signatureAlgorithm {
        case .ecdsa: return "ECDSA_SHA_\(bits)"
        case .rsaPKCS1v15: return "RSA_v1_5_SHA_\(bits)"
        case .rsaPSS: return "RSA_PSS_SHA_\(bits)"
        }
    }
}
