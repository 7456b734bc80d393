import SwiftASN1

/// A signature scheme with everything needed to compute or check a signature.
///
/// ECDSA signatures are handled in their X.509/CMS form (a DER `ECDSA-Sig-Value`); `ECDSASignature` converts
/// to and from the plain r‖s form of BSI TR-03111 used in CV certificates.
public enum SignatureAlgorithm: Hashable, Sendable, CustomStringConvertible {
    case ecdsa(HashAlgorithm)
    case rsaPKCS1v15(HashAlgorithm)
    case rsaPSS(RSASSAPSSParameters)

    public static func rsaPSS(_ hash: HashAlgorithm) -> SignatureAlgorithm {
        .rsaPSS(RSASSAPSSParameters(hash: hash))
    }

    public var hash: HashAlgorithm {
        switch self {
        case .ecdsa(let hash), .rsaPKCS1v15(let hash): hash
        case .rsaPSS(let parameters): parameters.hash
        }
    }

    public var isECDSA: Bool {
        if case .ecdsa = self { return true }
        return false
    }

    public var isRSA: Bool { !isECDSA }

    /// The names the CLI uses: `ecdsa-sha256`, `rsa-sha256` (PKCS#1 v1.5), `rsa-pss-sha256`.
    public var description: String {
        switch self {
        case .ecdsa(let hash): "ecdsa-\(hash.rawValue)"
        case .rsaPKCS1v15(let hash): "rsa-\(hash.rawValue)"
        case .rsaPSS(let p):
            p.mgf1Hash == p.hash && p.saltLength == p.hash.digestLength
                ? "rsa-pss-\(p.hash.rawValue)"
                : "rsa-pss-\(p.hash.rawValue) (mgf1 \(p.mgf1Hash.rawValue), salt \(p.saltLength))"
        }
    }

    public init?(name: String) {
        let lower = name.lowercased()
        for hash in HashAlgorithm.allCases {
            switch lower {
            case "ecdsa-\(hash.rawValue)": self = .ecdsa(hash); return
            case "rsa-\(hash.rawValue)", "rsa-pkcs1-\(hash.rawValue)": self = .rsaPKCS1v15(hash); return
            case "rsa-pss-\(hash.rawValue)": self = .rsaPSS(hash); return
            default: continue
            }
        }
        return nil
    }

    public static let allNames: [String] = HashAlgorithm.allCases.flatMap {
        ["ecdsa-\($0.rawValue)", "rsa-\($0.rawValue)", "rsa-pss-\($0.rawValue)"]
    }

    /// The AlgorithmIdentifier epki writes: ECDSA without parameters (RFC 5758), RSA PKCS#1 with NULL (RFC 4055),
    /// RSASSA-PSS with explicit parameters.
    public var algorithmIdentifier: AlgorithmIdentifier {
        get throws {
            switch self {
            case .ecdsa(let hash):
                return AlgorithmIdentifier(algorithm: Self.ecdsaOIDs[hash]!)  // every hash has an entry
            case .rsaPKCS1v15(let hash):
                return .withNullParameters(Self.rsaOIDs[hash]!)
            case .rsaPSS(let parameters):
                return AlgorithmIdentifier(algorithm: .Signature.rsassaPSS, parameters: try ASN1Any(erasing: parameters))
            }
        }
    }

    /// Reads a signature AlgorithmIdentifier. `digestHint` serves CMS SignerInfos that name only the key
    /// algorithm (`rsaEncryption`, `id-ecPublicKey`) and leave the hash to the digestAlgorithm field.
    public init(algorithmIdentifier identifier: AlgorithmIdentifier, digestHint: HashAlgorithm? = nil) throws {
        let oid = identifier.algorithm
        if let hash = Self.ecdsaOIDs.first(where: { $0.value == oid })?.key {
            self = .ecdsa(hash)
        } else if let hash = Self.rsaOIDs.first(where: { $0.value == oid })?.key {
            self = .rsaPKCS1v15(hash)
        } else if oid == .Signature.rsassaPSS {
            guard let parameters = identifier.parameters else {
                throw PKIError(.unsupportedAlgorithm, "RSASSA-PSS AlgorithmIdentifier without parameters")
            }
            self = .rsaPSS(try PKIError.decoding("RSASSA-PSS parameters") { try RSASSAPSSParameters(berASN1Any: parameters) })
        } else if oid == .PublicKeyAlgorithm.rsaEncryption, let digestHint {
            self = .rsaPKCS1v15(digestHint)
        } else if oid == .PublicKeyAlgorithm.ecPublicKey, let digestHint {
            self = .ecdsa(digestHint)
        } else {
            throw PKIError(.unsupportedAlgorithm, "signature algorithm \(oid.displayName) is not supported")
        }
    }

    static let ecdsaOIDs: [HashAlgorithm: ASN1ObjectIdentifier] = [
        .sha1: .Signature.ecdsaWithSHA1, .sha224: .Signature.ecdsaWithSHA224, .sha256: .Signature.ecdsaWithSHA256,
        .sha384: .Signature.ecdsaWithSHA384, .sha512: .Signature.ecdsaWithSHA512,
    ]
    static let rsaOIDs: [HashAlgorithm: ASN1ObjectIdentifier] = [
        .sha1: .Signature.sha1WithRSAEncryption, .sha224: .Signature.sha224WithRSAEncryption,
        .sha256: .Signature.sha256WithRSAEncryption, .sha384: .Signature.sha384WithRSAEncryption,
        .sha512: .Signature.sha512WithRSAEncryption,
    ]
}
