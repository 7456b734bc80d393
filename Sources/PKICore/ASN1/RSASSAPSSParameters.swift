import SwiftASN1

/// The parameters of an RSASSA-PSS signature (RFC 4055 §3.1).
///
/// ```
/// RSASSA-PSS-params ::= SEQUENCE {
///     hashAlgorithm      [0] HashAlgorithm    DEFAULT sha1Identifier,
///     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
///     saltLength         [2] INTEGER          DEFAULT 20,
///     trailerField       [3] INTEGER          DEFAULT 1 }
/// ```
///
/// DER forbids encoding a default, so SHA-1, MGF1-SHA-1, salt 20 and trailer 1 are left out when writing.
/// The hash identifiers inside carry NULL parameters, as RFC 4055's ASN.1 module defines them.
public struct RSASSAPSSParameters: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var hash: HashAlgorithm
    public var mgf1Hash: HashAlgorithm
    public var saltLength: Int
    public var trailerField: Int

    public init(hash: HashAlgorithm, mgf1Hash: HashAlgorithm? = nil, saltLength: Int? = nil, trailerField: Int = 1) {
        self.hash = hash
        self.mgf1Hash = mgf1Hash ?? hash
        self.saltLength = saltLength ?? hash.digestLength
        self.trailerField = trailerField
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier)
    }

    private static func decode(_ node: ASN1Node, identifier: ASN1Identifier) throws -> RSASSAPSSParameters {
        try BER.sequence(node, identifier: identifier) { nodes in
            var result = RSASSAPSSParameters(hash: .sha1, mgf1Hash: .sha1, saltLength: 20)
            while let field = nodes.next() {
                guard field.identifier.tagClass == .contextSpecific, case .constructed(let inner) = field.content,
                    let value = inner.first(where: { _ in true })
                else {
                    throw ASN1Error.unexpectedFieldType(field.identifier)
                }
                switch field.identifier.tagNumber {
                case 0:
                    result.hash = try Self.hash(AlgorithmIdentifier(berEncoded: value))
                case 1:
                    let mgf = try AlgorithmIdentifier(berEncoded: value)
                    guard mgf.algorithm == .Signature.mgf1, let parameters = mgf.parameters else {
                        throw ASN1Error.invalidASN1Object(reason: "mask generation function \(mgf.algorithm) is not MGF1")
                    }
                    result.mgf1Hash = try Self.hash(AlgorithmIdentifier(berASN1Any: parameters))
                case 2:
                    result.saltLength = try Int(berEncoded: value)
                case 3:
                    result.trailerField = try Int(berEncoded: value)
                default:
                    throw ASN1Error.unexpectedFieldType(field.identifier)
                }
            }
            return result
        }
    }

    private static func hash(_ identifier: AlgorithmIdentifier) throws -> HashAlgorithm {
        guard let hash = HashAlgorithm(oid: identifier.algorithm) else {
            throw ASN1Error.invalidASN1Object(reason: "unknown hash \(identifier.algorithm) in RSASSA-PSS parameters")
        }
        return hash
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if hash != .sha1 {
                try coder.serialize(AlgorithmIdentifier.withNullParameters(hash.oid), explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
            if mgf1Hash != .sha1 {
                let mgf = AlgorithmIdentifier(
                    algorithm: .Signature.mgf1,
                    parameters: try ASN1Any(erasing: AlgorithmIdentifier.withNullParameters(mgf1Hash.oid))
                )
                try coder.serialize(mgf, explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific)
            }
            if saltLength != 20 {
                try coder.serialize(saltLength, explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific)
            }
            if trailerField != 1 {
                try coder.serialize(trailerField, explicitlyTaggedWithTagNumber: 3, tagClass: .contextSpecific)
            }
        }
    }
}
