import SwiftASN1

/// A public key with its algorithm (RFC 5280 §4.1.2.7).
///
/// ```
/// SubjectPublicKeyInfo ::= SEQUENCE {
///     algorithm         AlgorithmIdentifier,
///     subjectPublicKey  BIT STRING }
/// ```
public struct SubjectPublicKeyInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var algorithm: AlgorithmIdentifier
    public var subjectPublicKey: ASN1BitString

    public init(algorithm: AlgorithmIdentifier, subjectPublicKey: ASN1BitString) {
        self.algorithm = algorithm
        self.subjectPublicKey = subjectPublicKey
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            SubjectPublicKeyInfo(
                algorithm: try AlgorithmIdentifier(derEncoded: &nodes),
                subjectPublicKey: try ASN1BitString(derEncoded: &nodes)
            )
        }
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            SubjectPublicKeyInfo(
                algorithm: try AlgorithmIdentifier(berEncoded: &nodes),
                subjectPublicKey: try ASN1BitString(berEncoded: &nodes)
            )
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
            try coder.serialize(subjectPublicKey)
        }
    }

    /// The EC domain as the key names it: a named curve, explicit parameters (identified when they match a
    /// known curve), or nil for a non-EC key.
    public var ecDomain: ECDomain? {
        guard algorithm.algorithm == .PublicKeyAlgorithm.ecPublicKey, let parameters = algorithm.parameters else {
            return nil
        }
        return ECDomain.cache.value(parameters) {
            if let oid = try? ASN1ObjectIdentifier(berASN1Any: parameters) {
                return .named(oid)
            }
            if let explicit = try? ECDomainParameters(berASN1Any: parameters) {
                return .explicit(explicit)
            }
            return .unreadable
        }
    }
}

/// How an EC public key states its curve.
public enum ECDomain: Hashable, Sendable {
    case named(ASN1ObjectIdentifier)
    case explicit(ECDomainParameters)
    case unreadable

    /// The domains read recently, by their parameters: a country's Document Signers repeat the same explicit
    /// parameters (a few hundred bytes), and an ICAO collection brings 30,000 of them to one import.
    static let cache = RecentValues<ASN1Any, ECDomain>(limit: 64)

    /// The curve, when epki knows it.
    public var curve: ECCurve? {
        switch self {
        case .named(let oid): ECCurve(oid: oid)
        case .explicit(let parameters): ECCurve(explicit: parameters)
        case .unreadable: nil
        }
    }

    public var isExplicit: Bool {
        if case .explicit = self { return true }
        return false
    }
}

/// Whether an EC key's parameters are written as a curve OID or in full.
public enum ECParameterEncoding: String, Hashable, Sendable {
    case namedCurve = "named"
    case explicit
}
