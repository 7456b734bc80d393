import PKICore
import SwiftASN1

/// The content of a CSCA master list (Doc 9303-12 §9), signed as CMS with eContentType 2.23.136.1.1.2.
///
/// ```
/// CscaMasterList ::= SEQUENCE {
///     version   CscaMasterListVersion,    -- INTEGER { v0(0) }
///     certList  SET OF Certificate }
/// ```
/// Real master lists are not reliably DER (unsorted sets), and hold certificates that break the profile; the
/// list is read with BER and certificates that cannot be parsed at all are counted, not fatal.
public struct CscaMasterList: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var version: Int
    public var certificates: [Certificate]
    /// Entries of certList that could not be read as certificates, with the reason.
    public var unreadable: [String] = []

    public init(certificates: [Certificate]) {
        self.version = 0
        self.certificates = certificates
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            guard let set = nodes.next(), set.identifier == .set, case .constructed(let entries) = set.content else {
                throw ASN1Error.invalidASN1Object(reason: "certList SET OF Certificate is missing")
            }
            var list = CscaMasterList(certificates: [])
            list.version = version
            for (index, entry) in entries.enumerated() {
                do {
                    list.certificates.append(try Certificate(berEncoded: entry))
                } catch {
                    list.unreadable.append("certificate \(index): \(error)")
                }
            }
            return list
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            coder.appendConstructedNode(identifier: .set) { coder in
                for der in certificates.map(\.derEncoded).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                    coder.serializeRawBytes(der)
                }
            }
        }
    }

    public var derEncoded: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }
}
