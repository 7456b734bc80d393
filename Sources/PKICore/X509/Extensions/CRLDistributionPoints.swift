import SwiftASN1

/// ```
/// CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
/// DistributionPoint ::= SEQUENCE {
///     distributionPoint  [0] DistributionPointName OPTIONAL,
///     reasons            [1] ReasonFlags OPTIONAL,
///     cRLIssuer          [2] GeneralNames OPTIONAL }
/// DistributionPointName ::= CHOICE {
///     fullName                 [0] GeneralNames,
///     nameRelativeToCRLIssuer  [1] RelativeDistinguishedName }
/// ```
/// Doc 9303-12 wants ldap, http or https URIs in fullName; those are what epki writes. Other fields are read
/// and kept as encoded.
public struct CRLDistributionPoints: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.cRLDistributionPoints
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public struct DistributionPoint: Hashable, Sendable {
        /// The fullName entries; empty when the point uses nameRelativeToCRLIssuer or names only a cRLIssuer.
        public var fullName: [GeneralName]
        /// The whole DistributionPoint as read, so unusual forms survive a round trip.
        var encoded: ASN1Any?

        public init(fullName: [GeneralName]) {
            self.fullName = fullName
        }
    }

    public var points: [DistributionPoint]

    public init(uris: [String]) {
        self.points = uris.map { DistributionPoint(fullName: [.uniformResourceIdentifier($0)]) }
    }

    public var uris: [String] {
        points.flatMap(\.fullName).compactMap {
            if case .uniformResourceIdentifier(let uri) = $0 { return uri }
            return nil
        }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.points = try BER.sequence(of: ASN1Any.self, identifier: identifier, rootNode: node).map { any in
            var point = DistributionPoint(fullName: [])
            point.encoded = any
            let pointNode = try BER.parse(try Self.bytes(of: any))
            try BER.sequence(pointNode, identifier: .sequence) { fields in
                while let field = fields.next() {
                    guard field.identifier == .init(tagWithNumber: 0, tagClass: .contextSpecific),
                          case .constructed(let names) = field.content,
                          let choice = names.first(where: { _ in true }),
                          choice.identifier == .init(tagWithNumber: 0, tagClass: .contextSpecific)
                    else { continue }
                    point.fullName = try BER.sequence(of: GeneralName.self, identifier: choice.identifier, rootNode: choice)
                }
            }
            return point
        }
    }

    private static func bytes(of any: ASN1Any) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(any)
        return serializer.serializedBytes
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            for point in points {
                if let encoded = point.encoded {
                    try coder.serialize(encoded)
                    continue
                }
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .init(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                        try coder.serializeSequenceOf(point.fullName, identifier: .init(tagWithNumber: 0, tagClass: .contextSpecific))
                    }
                }
            }
        }
    }
}
