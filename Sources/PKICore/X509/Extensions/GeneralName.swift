import SwiftASN1

/// ```
/// GeneralName ::= CHOICE {
///     otherName                  [0] AnotherName,
///     rfc822Name                 [1] IA5String,
///     dNSName                    [2] IA5String,
///     x400Address                [3] ORAddress,
///     directoryName              [4] Name,
///     ediPartyName               [5] EDIPartyName,
///     uniformResourceIdentifier  [6] IA5String,
///     iPAddress                  [7] OCTET STRING,
///     registeredID               [8] OBJECT IDENTIFIER }
/// ```
/// Implicit tags, except directoryName, which is explicit because Name is a CHOICE. Forms epki does not use are
/// kept as encoded.
public enum GeneralName: DERParseable, BERParseable, DERSerializable, Hashable, Sendable, CustomStringConvertible {
    case rfc822Name(String)
    case dnsName(String)
    case directoryName(DistinguishedName)
    case uniformResourceIdentifier(String)
    case other(ASN1Any)

    private static func tag(_ n: UInt) -> ASN1Identifier { .init(tagWithNumber: n, tagClass: .contextSpecific) }

    public init(derEncoded node: ASN1Node) throws {
        self = try Self(berEncoded: node)
    }

    public init(berEncoded node: ASN1Node) throws {
        guard node.identifier.tagClass == .contextSpecific else { throw ASN1Error.unexpectedFieldType(node.identifier) }
        switch node.identifier.tagNumber {
        case 1: self = .rfc822Name(String(try ASN1IA5String(berEncoded: node, withIdentifier: node.identifier)))
        case 2: self = .dnsName(String(try ASN1IA5String(berEncoded: node, withIdentifier: node.identifier)))
        case 4:
            guard case .constructed(let inner) = node.content, let name = inner.first(where: { _ in true }) else {
                throw ASN1Error.invalidASN1Object(reason: "directoryName is empty")
            }
            self = .directoryName(try DistinguishedName(berEncoded: name))
        case 6: self = .uniformResourceIdentifier(String(try ASN1IA5String(berEncoded: node, withIdentifier: node.identifier)))
        default: self = .other(ASN1Any(berEncoded: node))
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .rfc822Name(let text): try ASN1IA5String(text).serialize(into: &coder, withIdentifier: Self.tag(1))
        case .dnsName(let text): try ASN1IA5String(text).serialize(into: &coder, withIdentifier: Self.tag(2))
        case .directoryName(let name): try coder.serialize(name, explicitlyTaggedWithIdentifier: Self.tag(4))
        case .uniformResourceIdentifier(let text): try ASN1IA5String(text).serialize(into: &coder, withIdentifier: Self.tag(6))
        case .other(let any): try coder.serialize(any)
        }
    }

    public var description: String {
        switch self {
        case .rfc822Name(let s): "email:\(s)"
        case .dnsName(let s): "DNS:\(s)"
        case .directoryName(let name): "DirName:\(name)"
        case .uniformResourceIdentifier(let s): "URI:\(s)"
        case .other(let any): "other:\(any)"
        }
    }
}

/// An extension whose value is `GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName`; the coding is shared,
/// only the OID differs.
public protocol GeneralNamesExtension: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    var names: [GeneralName] { get }
    init(_ names: [GeneralName])
}

extension GeneralNamesExtension {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.init(try BER.sequence(of: GeneralName.self, identifier: identifier, rootNode: node))
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.init(try BER.sequence(of: GeneralName.self, identifier: identifier, rootNode: node))
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(names, identifier: identifier)
    }

    /// The dNSName entries, in order (a TLS server certificate names its host here).
    public var dnsNames: [String] {
        names.compactMap { name in
            if case .dnsName(let host) = name { return host }
            return nil
        }
    }
}

/// ```
/// SubjectAltName ::= GeneralNames
/// ```
/// Doc 9303-12 §7.1.1.2 asks for a directoryName whose localityName is the issuing country's code.
public struct SubjectAlternativeName: GeneralNamesExtension {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.subjectAltName
    public var names: [GeneralName]

    public init(_ names: [GeneralName]) {
        self.names = names
    }
}

/// ```
/// IssuerAltName ::= GeneralNames
/// ```
public struct IssuerAlternativeName: GeneralNamesExtension {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.issuerAltName
    public var names: [GeneralName]

    public init(_ names: [GeneralName]) {
        self.names = names
    }
}
