import SwiftASN1

/// Marks a link certificate that also changes the CSCA's name (Doc 9303-12 §7.1.1.5).
///
/// ```
/// nameChange EXTENSION ::= { SYNTAX NULL IDENTIFIED BY id-icao-mrtd-security-extensions-nameChange }
/// ```
/// The value is DER NULL, `05 00`.
public struct NameChange: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .ICAO.nameChange
    public static var defaultIdentifier: ASN1Identifier { .null }

    public init() {}

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        _ = try ASN1Null(derEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        _ = try ASN1Null(berEncoded: node, withIdentifier: identifier)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        ASN1Null().serialize(into: &coder, withIdentifier: identifier)
    }
}
