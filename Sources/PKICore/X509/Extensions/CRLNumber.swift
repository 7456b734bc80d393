import SwiftASN1

/// ```
/// CRLNumber ::= INTEGER (0..MAX)
/// ```
/// Mandatory in ICAO CRLs, increasing with every CRL a CSCA issues, at most 20 octets (Doc 9303-12 Table 10).
public struct CRLNumber: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.cRLNumber
    public static var defaultIdentifier: ASN1Identifier { .integer }

    /// Big-endian two's complement, as encoded.
    public var bytes: [UInt8]

    public init(_ value: UInt64) {
        var serializer = DER.Serializer()
        try? serializer.serialize(value)  // an integer always serializes
        self.bytes = Array(serializer.serializedBytes.dropFirst(2))
    }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The value when it fits in 64 bits.
    public var value: UInt64? {
        let magnitude = bytes.drop(while: { $0 == 0 })
        guard bytes.first.map({ $0 & 0x80 == 0 }) ?? false, magnitude.count <= 8 else { return nil }
        return magnitude.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.bytes = Array(try RawInteger.decode(node, identifier: identifier))
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.bytes = Array(try RawInteger.decode(node, identifier: identifier))
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        RawInteger.encode(bytes, into: &coder, identifier: identifier)
    }
}
