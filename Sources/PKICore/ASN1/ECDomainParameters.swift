import SwiftASN1

/// Explicit elliptic-curve domain parameters over a prime field (ANSI X9.62, RFC 3279 §2.3.5).
///
/// ```
/// ECParameters ::= SEQUENCE {
///     version   INTEGER { ecpVer1(1) } (ecpVer1),
///     fieldID   FieldID {{FieldTypes}},       -- SEQUENCE { prime-field OID, p INTEGER }
///     curve     Curve,                        -- SEQUENCE { a OCTET STRING, b OCTET STRING, seed BIT STRING OPTIONAL }
///     base      ECPoint,                      -- OCTET STRING, the generator
///     order     INTEGER,
///     cofactor  INTEGER OPTIONAL }
/// ```
///
/// Doc 9303-12 §4.1.6 requires this explicit form, with the cofactor, in every CSCA and DS key. Integers are kept as
/// unsigned magnitudes so two encodings of the same curve compare equal.
public struct ECDomainParameters: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var version: Int
    public var prime: [UInt8]
    public var a: [UInt8]
    public var b: [UInt8]
    public var seed: [UInt8]?
    public var generator: [UInt8]
    public var order: [UInt8]
    public var cofactor: [UInt8]?

    public init(
        prime: [UInt8], a: [UInt8], b: [UInt8], seed: [UInt8]? = nil, generator: [UInt8], order: [UInt8],
        cofactor: [UInt8]?
    ) {
        self.version = 1
        self.prime = Array(prime.drop(while: { $0 == 0 }))
        self.a = a
        self.b = b
        self.seed = seed
        self.generator = generator
        self.order = Array(order.drop(while: { $0 == 0 }))
        self.cofactor = cofactor.map { Array($0.drop(while: { $0 == 0 })) }
    }

    /// Whether both describe the same group, whatever the seed and leading zeros.
    public func describesSameCurve(as other: ECDomainParameters) -> Bool {
        func strip(_ x: [UInt8]) -> ArraySlice<UInt8> { x.drop(while: { $0 == 0 }) }
        return strip(prime) == strip(other.prime) && strip(a) == strip(other.a) && strip(b) == strip(other.b)
            && generator == other.generator && strip(order) == strip(other.order)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self.decode(node, identifier: identifier)
    }

    private static func decode(_ node: ASN1Node, identifier: ASN1Identifier) throws -> ECDomainParameters {
        try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            let prime = try BER.sequence(of: ASN1Any.self, identifier: .sequence, nodes: &nodes)
            guard prime.count == 2, try ASN1ObjectIdentifier(berASN1Any: prime[0]) == .PublicKeyAlgorithm.primeField
            else {
                throw ASN1Error.invalidASN1Object(reason: "only prime-field curves are supported")
            }
            let p = try ArraySlice<UInt8>(berASN1Any: prime[1])
            guard let curveNode = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            let (a, b, seed) = try BER.sequence(curveNode, identifier: .sequence) { curve in
                let a = try ASN1OctetString(berEncoded: &curve)
                let b = try ASN1OctetString(berEncoded: &curve)
                let seed = try curve.next().map { try ASN1BitString(berEncoded: $0) }
                return (a, b, seed)
            }
            let base = try ASN1OctetString(berEncoded: &nodes)
            let order = try ArraySlice<UInt8>(berEncoded: &nodes)
            let cofactor = try nodes.next().map { try ArraySlice<UInt8>(berEncoded: $0) }
            var result = ECDomainParameters(
                prime: Array(p), a: Array(a.bytes), b: Array(b.bytes), seed: seed.map { Array($0.bytes) },
                generator: Array(base.bytes), order: Array(order), cofactor: cofactor.map(Array.init)
            )
            result.version = version
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ASN1ObjectIdentifier.PublicKeyAlgorithm.primeField)
                try coder.serialize(ASN1UnsignedMagnitude(bytes: prime))
            }
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ASN1OctetString(contentBytes: a[...]))
                try coder.serialize(ASN1OctetString(contentBytes: b[...]))
                if let seed { try coder.serialize(ASN1BitString(bytes: seed[...])) }
            }
            try coder.serialize(ASN1OctetString(contentBytes: generator[...]))
            try coder.serialize(ASN1UnsignedMagnitude(bytes: order))
            if let cofactor { try coder.serialize(ASN1UnsignedMagnitude(bytes: cofactor)) }
        }
    }
}
