import PKICore
import SwiftASN1

/// The chip's static key for Chip Authentication (TR-03110-3 A.1.1.2, Doc 9303-11 §9.2.6), in DG14 and
/// EF.CardSecurity. Passive authentication is what binds this key to the document.
///
/// ```
/// ChipAuthenticationPublicKeyInfo ::= SEQUENCE {
///     protocol                    OBJECT IDENTIFIER (id-PK-DH | id-PK-ECDH),
///     chipAuthenticationPublicKey SubjectPublicKeyInfo,
///     keyId                       INTEGER OPTIONAL }
/// ```
/// The SubjectPublicKeyInfo carries explicit domain parameters (BSI reference data) or standardized ones
/// (AlgorithmIdentifier 0.4.0.127.0.7.1.2 with the parameter ID, TR-03110-3 A.2.1.1).
public struct ChipAuthenticationPublicKeyInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var chipAuthenticationPublicKey: SubjectPublicKeyInfo
    public var keyId: Int?

    public init(protocolIdentifier: ASN1ObjectIdentifier, chipAuthenticationPublicKey: SubjectPublicKeyInfo, keyId: Int? = nil) {
        self.protocolIdentifier = protocolIdentifier
        self.chipAuthenticationPublicKey = chipAuthenticationPublicKey
        self.keyId = keyId
    }

    static func isProtocol(_ oid: ASN1ObjectIdentifier) -> Bool {
        oid == .EAC.pkDH || oid == .EAC.pkECDH
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let key = try SubjectPublicKeyInfo(berEncoded: &nodes)
            let keyId = try nodes.next().map { try Int(berEncoded: $0) }
            return ChipAuthenticationPublicKeyInfo(protocolIdentifier: oid, chipAuthenticationPublicKey: key, keyId: keyId)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(chipAuthenticationPublicKey)
            if let keyId { try coder.serialize(keyId) }
        }
    }
}
