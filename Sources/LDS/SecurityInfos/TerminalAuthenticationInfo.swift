import SwiftASN1

/// Terminal Authentication support (TR-03110-3 A.1.1.3, Doc 9303-11 §9.2.7).
///
/// ```
/// TerminalAuthenticationInfo ::= SEQUENCE {
///     protocol  OBJECT IDENTIFIER (id-TA),
///     version   INTEGER,             -- 1 or 2
///     efCVCA    FileID OPTIONAL }    -- only when EF.CVCA is not at its default FID 011C
/// FileID ::= SEQUENCE {
///     fid   OCTET STRING (SIZE(2)),
///     sfid  OCTET STRING (SIZE(1)) OPTIONAL }
/// ```
public struct TerminalAuthenticationInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public struct FileID: Hashable, Sendable {
        public var fid: [UInt8]
        public var sfid: [UInt8]?

        public init(fid: [UInt8], sfid: [UInt8]? = nil) {
            self.fid = fid
            self.sfid = sfid
        }
    }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var version: Int
    public var efCVCA: FileID?

    public init(version: Int, efCVCA: FileID? = nil) {
        self.protocolIdentifier = .EAC.ta
        self.version = version
        self.efCVCA = efCVCA
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let version = try Int(berEncoded: &nodes)
            let file = try nodes.next().map { node in
                try BER.sequence(node, identifier: .sequence) { fields in
                    FileID(fid: Array(try ASN1OctetString(berEncoded: &fields).bytes),
                           sfid: try fields.next().map { Array(try ASN1OctetString(berEncoded: $0).bytes) })
                }
            }
            var info = TerminalAuthenticationInfo(version: version, efCVCA: file)
            info.protocolIdentifier = oid
            return info
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(version)
            if let efCVCA {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(ASN1OctetString(contentBytes: efCVCA.fid[...]))
                    if let sfid = efCVCA.sfid { try coder.serialize(ASN1OctetString(contentBytes: sfid[...])) }
                }
            }
        }
    }
}
