import Foundation
import SwiftASN1

/// ```
/// PrivateKeyUsagePeriod ::= SEQUENCE {
///     notBefore  [0] GeneralizedTime OPTIONAL,
///     notAfter   [1] GeneralizedTime OPTIONAL }
/// ```
/// (implicit tags). Mandatory in CSCA, link and DS certificates (Doc 9303-12 Table 6): a DS key signs documents
/// for at most three months, while its certificate stays valid as long as those documents.
public struct PrivateKeyUsagePeriod: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.privateKeyUsagePeriod
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var notBefore: GeneralizedTime?
    public var notAfter: GeneralizedTime?

    public init(notBefore: GeneralizedTime?, notAfter: GeneralizedTime?) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    public init(notBefore: Date?, notAfter: Date?) throws {
        func time(_ date: Date?) throws -> GeneralizedTime? {
            guard let date else { return nil }
            let c = CivilTime(date)
            return try GeneralizedTime(year: c.year, month: c.month, day: c.day, hours: c.hour, minutes: c.minute, seconds: c.second, fractionalSeconds: 0)
        }
        self.init(notBefore: try time(notBefore), notAfter: try time(notAfter))
    }

    public var notBeforeDate: Date? { notBefore.map { Time.generalTime($0).date } }
    public var notAfterDate: Date? { notAfter.map { Time.generalTime($0).date } }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            var result = PrivateKeyUsagePeriod(notBefore: nil as GeneralizedTime?, notAfter: nil)
            while let field = nodes.next() {
                switch (field.identifier.tagClass, field.identifier.tagNumber) {
                case (.contextSpecific, 0): result.notBefore = try GeneralizedTime(berEncoded: field, withIdentifier: field.identifier)
                case (.contextSpecific, 1): result.notAfter = try GeneralizedTime(berEncoded: field, withIdentifier: field.identifier)
                default: throw ASN1Error.unexpectedFieldType(field.identifier)
                }
            }
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if let notBefore { try notBefore.serialize(into: &coder, withIdentifier: .init(tagWithNumber: 0, tagClass: .contextSpecific)) }
            if let notAfter { try notAfter.serialize(into: &coder, withIdentifier: .init(tagWithNumber: 1, tagClass: .contextSpecific)) }
        }
    }
}
