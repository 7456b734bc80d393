import SwiftASN1

/// The hash of one data group in the security object (Doc 9303-10 §4.6.2.2).
///
/// ```
/// DataGroupHash ::= SEQUENCE {
///     dataGroupNumber     DataGroupNumber,   -- INTEGER 1..16
///     dataGroupHashValue  OCTET STRING }     -- the hash of the whole file as read, tag and length included
/// ```
public struct DataGroupHash: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// As encoded; a value outside 1…16 is kept so a verifier can report it.
    public var dataGroupNumber: Int
    public var hashValue: [UInt8]

    public init(dataGroupNumber: Int, hashValue: [UInt8]) {
        self.dataGroupNumber = dataGroupNumber
        self.hashValue = hashValue
    }

    public var dataGroup: DataGroupNumber? { DataGroupNumber(dataGroupNumber) }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            DataGroupHash(dataGroupNumber: try Int(berEncoded: &nodes), hashValue: Array(try ASN1OctetString(berEncoded: &nodes).bytes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(dataGroupNumber)
            try coder.serialize(ASN1OctetString(contentBytes: hashValue[...]))
        }
    }
}
