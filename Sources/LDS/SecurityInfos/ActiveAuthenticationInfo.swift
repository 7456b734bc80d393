import SwiftASN1

/// The signature algorithm of Active Authentication with an ECDSA key (Doc 9303-11 §9.2.9), in DG14.
///
/// ```
/// ActiveAuthenticationInfo ::= SEQUENCE {
///     protocol            id-icao-mrtd-security-aaProtocolObject,   -- 2.23.136.1.1.5
///     version             INTEGER,                                  -- MUST be 1
///     signatureAlgorithm  OBJECT IDENTIFIER }                       -- e.g. ecdsa-plain-SHA256 0.4.0.127.0.7.1.1.4.1.3
/// ```
public struct ActiveAuthenticationInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var version: Int
    public var signatureAlgorithm: ASN1ObjectIdentifier

    public init(signatureAlgorithm: ASN1ObjectIdentifier, version: Int = 1) {
        self.protocolIdentifier = .ICAO.activeAuthentication
        self.version = version
        self.signatureAlgorithm = signatureAlgorithm
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let version = try Int(berEncoded: &nodes)
            var info = ActiveAuthenticationInfo(signatureAlgorithm: try ASN1ObjectIdentifier(berEncoded: &nodes), version: version)
            info.protocolIdentifier = oid
            return info
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(version)
            try coder.serialize(signatureAlgorithm)
        }
    }
}
