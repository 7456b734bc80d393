import SwiftASN1

/// The Chip Authentication protocol a chip supports (TR-03110-3 A.1.1.2, Doc 9303-11 §9.2.5).
///
/// ```
/// ChipAuthenticationInfo ::= SEQUENCE {
///     protocol  OBJECT IDENTIFIER (id-CA-DH-3DES-CBC-CBC | … | id-CA-ECDH-AES-CBC-CMAC-256),
///     version   INTEGER,            -- 1 or 2
///     keyId     INTEGER OPTIONAL }  -- which ChipAuthenticationPublicKeyInfo, when there are several
/// ```
public struct ChipAuthenticationInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var version: Int
    public var keyId: Int?

    public init(protocolIdentifier: ASN1ObjectIdentifier, version: Int, keyId: Int? = nil) {
        self.protocolIdentifier = protocolIdentifier
        self.version = version
        self.keyId = keyId
    }

    /// id-CA-DH-* or id-CA-ECDH-* with a cipher arc.
    static func isProtocol(_ oid: ASN1ObjectIdentifier) -> Bool {
        guard let arcs = oid.arcs(after: .EAC.ca) else { return false }
        return arcs.count == 2 && (1...2).contains(arcs[0]) && (1...4).contains(arcs[1])
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let version = try Int(berEncoded: &nodes)
            let keyId = try nodes.next().map { try Int(berEncoded: $0) }
            return ChipAuthenticationInfo(protocolIdentifier: oid, version: version, keyId: keyId)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(version)
            if let keyId { try coder.serialize(keyId) }
        }
    }
}
