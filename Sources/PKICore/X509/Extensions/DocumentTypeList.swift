import Foundation
import SwiftASN1

/// The document types a Document Signer may sign for (Doc 9303-12 §7.1.1.6), mandatory in DS certificates.
///
/// ```
/// DocumentTypeListSyntax ::= SEQUENCE {
///     version      DocumentTypeListVersion,     -- INTEGER { v0(0) }
///     docTypeList  SET OF DocumentType }
/// DocumentType ::= PrintableString (SIZE (1..2))
/// ```
/// OID 2.23.136.1.1.6.2 (not BouncyCastle's draft value 2.23.136.1.1.4). A one-letter type covers every
/// document code starting with it.
public struct DocumentTypeList: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .ICAO.documentTypeList
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var version: Int
    public var documentTypes: [String]

    public init(documentTypes: [String]) throws {
        for type in documentTypes {
            guard (1...2).contains(type.count), (try? ASN1PrintableString(type)) != nil else {
                throw PKIError.invalid("DocumentTypeList", "'\(type)' is not a one- or two-character document type")
            }
        }
        self.version = 0
        self.documentTypes = documentTypes
    }

    /// Whether the list allows the document code of a DG1 (e.g. "P<" or "ID").
    public func allows(documentCode: String) -> Bool {
        let code = String(documentCode.filter { $0 != "<" })
        return documentTypes.contains { type in type.count == 1 ? code.hasPrefix(type) : code == type }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            let types = try BER.set(of: ASN1PrintableString.self, identifier: .set, nodes: &nodes)
            var result = try DocumentTypeList(documentTypes: types.map(String.init))
            result.version = version
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.serializeSetOf(documentTypes.map { try ASN1PrintableString($0) })
        }
    }
}
