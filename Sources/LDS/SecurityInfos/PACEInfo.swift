import SwiftASN1

/// A PACE variant the chip supports (TR-03110-3 A.1.1.1, Doc 9303-11 §9.2.1), in EF.CardAccess.
///
/// ```
/// PACEInfo ::= SEQUENCE {
///     protocol     OBJECT IDENTIFIER (id-PACE-DH-GM-3DES-CBC-CBC | … | id-PACE-ECDH-CAM-AES-CBC-CMAC-256),
///     version      INTEGER,             -- 2
///     parameterId  INTEGER OPTIONAL }   -- standardized domain parameters (13 = brainpoolP256r1), or the
///                                       -- key of a PACEDomainParameterInfo
/// ```
public struct PACEInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var version: Int
    public var parameterId: Int?

    public init(protocolIdentifier: ASN1ObjectIdentifier, version: Int = 2, parameterId: Int? = nil) {
        self.protocolIdentifier = protocolIdentifier
        self.version = version
        self.parameterId = parameterId
    }

    /// id-PACE-<mapping>-<cipher>: a mapping arc (1, 2, 3, 4, 6) and a cipher arc (1 to 4).
    static func isProtocol(_ oid: ASN1ObjectIdentifier) -> Bool {
        guard let arcs = oid.arcs(after: .EAC.pace) else { return false }
        return arcs.count == 2 && [1, 2, 3, 4, 6].contains(arcs[0]) && (1...4).contains(arcs[1])
    }

    /// The standardized domain parameters of TR-03110-3 Table 4 by ID, for display.
    public static func standardizedDomainParameterName(_ id: Int) -> String? {
        let names = [0: "1024-bit MODP group with 160-bit prime order subgroup", 1: "2048-bit MODP group with 224-bit prime order subgroup",
                     2: "2048-bit MODP group with 256-bit prime order subgroup", 8: "NIST P-192", 9: "brainpoolP192r1",
                     10: "NIST P-224", 11: "brainpoolP224r1", 12: "NIST P-256", 13: "brainpoolP256r1", 14: "brainpoolP320r1",
                     15: "NIST P-384", 16: "brainpoolP384r1", 17: "brainpoolP512r1", 18: "NIST P-521"]
        return names[id]
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let version = try Int(berEncoded: &nodes)
            let parameterId = try nodes.next().map { try Int(berEncoded: $0) }
            return PACEInfo(protocolIdentifier: oid, version: version, parameterId: parameterId)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(version)
            if let parameterId { try coder.serialize(parameterId) }
        }
    }
}
