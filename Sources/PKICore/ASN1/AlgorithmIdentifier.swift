import SwiftASN1

/// An algorithm and its parameters (RFC 5280 §4.1.1.2).
///
/// ```
/// AlgorithmIdentifier ::= SEQUENCE {
///     algorithm   OBJECT IDENTIFIER,
///     parameters  ANY DEFINED BY algorithm OPTIONAL }
/// ```
///
/// Parameters are kept as they were encoded: real certificates put NULL where the profile says "absent"
/// (ECDSA, SHA-2 digests), and a verifier has to see both.
public struct AlgorithmIdentifier: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var algorithm: ASN1ObjectIdentifier
    public var parameters: ASN1Any?

    public init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Any? = nil) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    /// `{ algorithm, NULL }`, as RSA algorithms require.
    public static func withNullParameters(_ algorithm: ASN1ObjectIdentifier) -> AlgorithmIdentifier {
        AlgorithmIdentifier(algorithm: algorithm, parameters: .null)
    }

    public var hasNullOrAbsentParameters: Bool {
        parameters == nil || parameters == .null
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let algorithm = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameters = nodes.next().map { ASN1Any(derEncoded: $0) }
            return AlgorithmIdentifier(algorithm: algorithm, parameters: parameters)
        }
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let algorithm = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let parameters = nodes.next().map { ASN1Any(berEncoded: $0) }
            return AlgorithmIdentifier(algorithm: algorithm, parameters: parameters)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
            if let parameters { try coder.serialize(parameters) }
        }
    }
}

extension ASN1Any {
    /// The DER NULL value `05 00`.
    public static let null: ASN1Any = {
        // Serializing ASN1Null cannot fail.
        try! ASN1Any(erasing: ASN1Null())
    }()
}

extension AlgorithmIdentifier {
    private static let recent = RecentByEncoding<AlgorithmIdentifier>(limit: 256)

    /// Reads an algorithm identifier, keeping the recent ones by their encoding: a handful of them recur in every
    /// SOD and certificate a border lane reads.
    public static func cached(encoded: ArraySlice<UInt8>) throws -> AlgorithmIdentifier {
        try recent.value(for: encoded) { try AlgorithmIdentifier(berEncoded: BER.parse(encoded)) }
    }
}

extension AlgorithmIdentifier {
    private static let recentEncodings = Locked<[AlgorithmIdentifier: [UInt8]]>([:])

    /// The DER, kept for the few identifiers that are written again and again (every SOD names its digest and
    /// signature algorithms).
    public var derEncoding: [UInt8] {
        get throws {
            if let hit = Self.recentEncodings.withLock({ $0[self] }) { return hit }
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            let der = serializer.serializedBytes
            Self.recentEncodings.withLock { recent in
                if recent.count >= 64 { recent.removeAll(keepingCapacity: true) }
                recent[self] = der
            }
            return der
        }
    }
}
