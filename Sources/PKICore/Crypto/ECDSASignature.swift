import SwiftASN1

/// An ECDSA signature, convertible between its two encodings.
///
/// ```
/// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }     -- X.509, CMS (RFC 5480)
/// ```
/// and the plain form of BSI TR-03111 §5.2.1: r ‖ s, each left-padded to the size of the curve's order,
/// used in CV certificates and by PKCS#11 tokens.
public struct ECDSASignature: Hashable, Sendable {
    /// Unsigned big-endian, without leading zeros.
    public var r: [UInt8]
    public var s: [UInt8]

    public init(r: some Collection<UInt8>, s: some Collection<UInt8>) {
        self.r = Array(r.drop(while: { $0 == 0 }))
        self.s = Array(s.drop(while: { $0 == 0 }))
    }

    public init(derEncoded bytes: [UInt8]) throws {
        self = try PKIError.decoding("ECDSA-Sig-Value") {
            let node = try DER.parse(bytes)
            return try DER.sequence(node, identifier: .sequence) { nodes in
                let r = try ArraySlice<UInt8>(derEncoded: &nodes)
                let s = try ArraySlice<UInt8>(derEncoded: &nodes)
                return ECDSASignature(r: r, s: s)
            }
        }
    }

    /// Splits r ‖ s in half.
    public init(plain bytes: [UInt8]) throws {
        guard !bytes.isEmpty, bytes.count % 2 == 0 else {
            throw PKIError.malformed("plain ECDSA signature", "length \(bytes.count) is not r ‖ s of equal halves")
        }
        let half = bytes.count / 2
        self.init(r: bytes[..<half], s: bytes[half...])
    }

    public var derEncoded: [UInt8] {
        var serializer = DER.Serializer()
        // Unsigned magnitudes: the serializer adds the 0x00 that keeps a high bit from reading as negative.
        try? serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(ASN1UnsignedMagnitude(bytes: r))
            try coder.serialize(ASN1UnsignedMagnitude(bytes: s))
        }
        return serializer.serializedBytes
    }

    /// r ‖ s with each half padded to `coordinateLength` bytes (the byte length of the curve's order).
    public func plain(coordinateLength: Int) throws -> [UInt8] {
        guard r.count <= coordinateLength, s.count <= coordinateLength else {
            throw PKIError.invalid("ECDSA signature", "r or s is longer than \(coordinateLength) bytes")
        }
        return [UInt8](repeating: 0, count: coordinateLength - r.count) + r
            + [UInt8](repeating: 0, count: coordinateLength - s.count) + s
    }
}

/// A non-negative INTEGER given by its magnitude; encoding adds the leading zero DER needs.
struct ASN1UnsignedMagnitude: DERImplicitlyTaggable {
    static var defaultIdentifier: ASN1Identifier { .integer }
    var bytes: [UInt8]

    init(bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes.drop(while: { $0 == 0 }))
    }

    init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let value = try ArraySlice<UInt8>(derEncoded: node, withIdentifier: identifier)
        self.init(bytes: value)
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        coder.appendPrimitiveNode(identifier: identifier) { out in
            if bytes.isEmpty {
                out.append(0)
            } else {
                if bytes[0] & 0x80 != 0 { out.append(0) }
                out.append(contentsOf: bytes)
            }
        }
    }
}
