import SwiftASN1

/// ```
/// KeyUsage ::= BIT STRING {
///     digitalSignature (0), nonRepudiation (1), keyEncipherment (2), dataEncipherment (3),
///     keyAgreement (4), keyCertSign (5), cRLSign (6), encipherOnly (7), decipherOnly (8) }
/// ```
/// A named bit list: DER drops trailing zero bits, so `keyCertSign | cRLSign` is `03 02 01 06`.
public struct KeyUsage: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, OptionSet, CustomStringConvertible {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.keyUsage
    public static var defaultIdentifier: ASN1Identifier { .bitString }

    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Bit n of the ASN.1 BIT STRING is `1 << n` here.
    public static let digitalSignature = KeyUsage(rawValue: 1 << 0)
    public static let nonRepudiation = KeyUsage(rawValue: 1 << 1)
    public static let keyEncipherment = KeyUsage(rawValue: 1 << 2)
    public static let dataEncipherment = KeyUsage(rawValue: 1 << 3)
    public static let keyAgreement = KeyUsage(rawValue: 1 << 4)
    public static let keyCertSign = KeyUsage(rawValue: 1 << 5)
    public static let cRLSign = KeyUsage(rawValue: 1 << 6)
    public static let encipherOnly = KeyUsage(rawValue: 1 << 7)
    public static let decipherOnly = KeyUsage(rawValue: 1 << 8)

    static let names = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
                        "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"]

    public var description: String {
        Self.names.enumerated().filter { rawValue & (1 << $0.offset) != 0 }.map(\.element).joined(separator: ", ")
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let bits = try ASN1BitString(berEncoded: node, withIdentifier: identifier)
        var value: UInt16 = 0
        for (index, byte) in bits.bytes.prefix(2).enumerated() {
            for bit in 0..<8 where byte & (0x80 >> bit) != 0 {
                value |= 1 << (index * 8 + bit)
            }
        }
        self.rawValue = value
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        var bytes: [UInt8] = [0, 0]
        for bit in 0..<9 where rawValue & (1 << bit) != 0 {
            bytes[bit / 8] |= 0x80 >> (bit % 8)
        }
        while bytes.count > 1, bytes.last == 0 { bytes.removeLast() }
        let last = bytes[bytes.count - 1]
        let padding = last == 0 ? 0 : last.trailingZeroBitCount
        try ASN1BitString(bytes: bytes[...], paddingBits: padding).serialize(into: &coder, withIdentifier: identifier)
    }
}
