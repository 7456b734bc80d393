import Foundation
import PKICore
import SwiftASN1

/// The content of a Deviation List (Doc 9303-12 §10), decoded: what `DeviationList` encodes, read
/// back from another country's signed list.
///
/// ```
/// DeviationList ::= SEQUENCE {
///     version          DeviationListVersion,            -- v0
///     digestAlgorithm  AlgorithmIdentifier OPTIONAL,
///     deviations       SET OF Deviation }
/// Deviation ::= SEQUENCE { documents DeviationDocuments, descriptions SET OF DeviationDescription }
/// DeviationDocuments ::= SEQUENCE {
///     documentType     [0] PrintableString (SIZE(2)) OPTIONAL,
///     dscIdentifier    DocumentSignerIdentifier OPTIONAL,
///     issuingDate      [4] IssuancePeriod OPTIONAL,
///     documentNumbers  [5] SET OF PrintableString OPTIONAL }
/// DocumentSignerIdentifier ::= CHOICE {
///     issuerAndSerialNumber [1] IssuerAndSerialNumber,
///     subjectKeyIdentifier  [2] SubjectKeyIdentifier,
///     certificateDigest     [3] Digest }
/// IssuancePeriod ::= SEQUENCE { firstIssued GeneralizedTime, lastIssued GeneralizedTime }
/// DeviationDescription ::= SEQUENCE {
///     description     PrintableString OPTIONAL,
///     deviationType   OBJECT IDENTIFIER,
///     parameters      [0] ANY DEFINED BY deviationType OPTIONAL,
///     nationalUse     [1] ANY OPTIONAL }
/// ```
/// The module's tagging default is not settled across transcriptions, so each tagged field is read whether it was
/// written explicitly (epki's CSCA does) or implicitly; any string type is accepted where PrintableString is meant.
public struct DeviationListContent: Sendable, Hashable {
    public enum SignerIdentifier: Sendable, Hashable, CustomStringConvertible {
        case issuerAndSerialNumber(issuer: DistinguishedName, serialNumber: [UInt8])
        case subjectKeyIdentifier([UInt8])
        case certificateDigest([UInt8])

        public var description: String {
            switch self {
            case .issuerAndSerialNumber(let issuer, let serial): return "issuer \(issuer), serial \(serial.hexString)"
            case .subjectKeyIdentifier(let ski): return "ski:\(ski.hexString)"
            case .certificateDigest(let digest): return "digest:\(digest.hexString)"
            }
        }
    }

    public struct Entry: Sendable, Hashable {
        public var documentType: String?
        public var signer: SignerIdentifier?
        public var firstIssued: Date?
        public var lastIssued: Date?
        public var documentNumbers: [String]
        public var descriptions: [DeviationList.Description]
    }

    public var version: Int
    public var digestAlgorithm: AlgorithmIdentifier?
    public var deviations: [Entry]

    public init(derEncoded bytes: [UInt8]) throws {
        do {
            let root = try BER.parse(bytes)
            let fields = try Self.children(root, "DeviationList", expecting: .sequence)
            var index = 0
            guard let versionNode = fields.first else { throw Self.error("DeviationList: version is missing") }
            version = try Int(berEncoded: versionNode)
            index += 1
            digestAlgorithm = nil
            if index < fields.count, fields[index].identifier == .sequence {
                digestAlgorithm = try AlgorithmIdentifier(berEncoded: fields[index])
                index += 1
            }
            guard index < fields.count else { throw Self.error("DeviationList: deviations SET OF Deviation is missing") }
            deviations = try Self.children(fields[index], "deviations", expecting: .set).enumerated().map { number, node in
                do {
                    return try Self.entry(node)
                } catch let error as ICAOProfileError {
                    throw ICAOProfileError(error.code, "deviation \(number): \(error.reason)")
                }
            }
        } catch let error as ICAOProfileError {
            throw error
        } catch {
            throw ICAOProfileError(.malformed, "DeviationList: \(error)")
        }
    }

    /// The entries in the CSCA module's model (the DS named by its key identifier when it is).
    public var deviationList: DeviationList {
        DeviationList(deviations: deviations.map { entry in
            var ski: String?
            if case .subjectKeyIdentifier(let bytes) = entry.signer { ski = bytes.hexString }
            return DeviationList.Deviation(documentType: entry.documentType, documentSignerKeyIdentifier: ski, firstIssued: entry.firstIssued,
                                           lastIssued: entry.lastIssued, documentNumbers: entry.documentNumbers.isEmpty ? nil : entry.documentNumbers,
                                           descriptions: entry.descriptions)
        })
    }

    // MARK: - Fields

    private static func entry(_ node: ASN1Node) throws -> Entry {
        let parts = try children(node, "Deviation", expecting: .sequence)
        guard parts.count == 2 else { throw error("Deviation: expected documents and descriptions, found \(parts.count) fields") }
        var entry = Entry(documentType: nil, signer: nil, firstIssued: nil, lastIssued: nil, documentNumbers: [], descriptions: [])
        for field in try children(parts[0], "DeviationDocuments", expecting: .sequence) {
            guard field.identifier.tagClass == .contextSpecific else {
                throw error("DeviationDocuments: unexpected field \(field.identifier)")
            }
            switch field.identifier.tagNumber {
            case 0: entry.documentType = try string(unwrapExplicit(field, ifInnerIs: nil), "documentType")
            case 1: entry.signer = try issuerAndSerial(field)
            case 2: entry.signer = .subjectKeyIdentifier(try octets(field, "subjectKeyIdentifier"))
            case 3: entry.signer = .certificateDigest(try octets(field, "certificateDigest"))
            case 4:
                let period = try unwrapExplicit(field, ifInnerIs: .sequence)
                let times = try children(period, "IssuancePeriod", expecting: nil)
                guard times.count == 2 else { throw error("IssuancePeriod: expected firstIssued and lastIssued") }
                entry.firstIssued = try Time(berEncoded: times[0]).date
                entry.lastIssued = try Time(berEncoded: times[1]).date
            case 5:
                let set = try unwrapExplicit(field, ifInnerIs: .set)
                entry.documentNumbers = try children(set, "documentNumbers", expecting: nil).map { try string($0, "documentNumbers") }
            default:
                throw error("DeviationDocuments: unknown field [\(field.identifier.tagNumber)]")
            }
        }
        for description in try children(parts[1], "descriptions", expecting: .set) {
            var text: String?
            var type: ASN1ObjectIdentifier?
            for field in try children(description, "DeviationDescription", expecting: .sequence) {
                if field.identifier == .objectIdentifier {
                    type = try ASN1ObjectIdentifier(berEncoded: field)
                } else if field.identifier.tagClass == .universal, type == nil {
                    text = try string(field, "description")
                }
                // parameters [0] and nationalUse [1] are defined by the deviation type; kept in the signed bytes only.
            }
            guard let type else { throw error("DeviationDescription: deviationType is missing") }
            entry.descriptions.append(DeviationList.Description(deviationType: type.description, description: text))
        }
        return entry
    }

    private static func issuerAndSerial(_ field: ASN1Node) throws -> SignerIdentifier {
        var parts = try children(field, "issuerAndSerialNumber", expecting: nil)
        if parts.count == 1, parts[0].identifier == .sequence { parts = try children(parts[0], "IssuerAndSerialNumber", expecting: .sequence) }
        guard parts.count == 2 else { throw error("IssuerAndSerialNumber: expected issuer and serialNumber") }
        let issuer = try DistinguishedName(berEncoded: parts[0])
        guard case .primitive(let serial) = parts[1].content else { throw error("IssuerAndSerialNumber: serialNumber is not an INTEGER") }
        return .issuerAndSerialNumber(issuer: issuer, serialNumber: Array(serial))
    }

    /// The inner node of an explicitly tagged field; the field itself when it was tagged implicitly.
    private static func unwrapExplicit(_ field: ASN1Node, ifInnerIs inner: ASN1Identifier?) throws -> ASN1Node {
        guard case .constructed(let nodes) = field.content else { return field }
        let list = Array(nodes)
        if list.count == 1, inner.map({ list[0].identifier == $0 }) ?? true { return list[0] }
        return field
    }

    private static func octets(_ field: ASN1Node, _ name: String) throws -> [UInt8] {
        switch field.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed(let nodes):
            for node in nodes {
                if case .primitive(let bytes) = node.content, node.identifier == .octetString { return Array(bytes) }
                if node.identifier == .sequence, case .constructed(let inner) = node.content {
                    // Digest ::= SEQUENCE { algorithm, digest OCTET STRING } in some transcriptions.
                    for part in inner where part.identifier == .octetString {
                        if case .primitive(let bytes) = part.content { return Array(bytes) }
                    }
                }
            }
            throw error("\(name): no OCTET STRING inside")
        }
    }

    private static func string(_ node: ASN1Node, _ name: String) throws -> String {
        guard case .primitive(let bytes) = node.content else { throw error("\(name) is not a string") }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func children(_ node: ASN1Node, _ name: String, expecting identifier: ASN1Identifier?) throws -> [ASN1Node] {
        if let identifier, node.identifier != identifier {
            throw error("\(name): expected \(identifier), found \(node.identifier)")
        }
        guard case .constructed(let nodes) = node.content else { throw error("\(name) is not constructed") }
        return Array(nodes)
    }

    private static func error(_ reason: String) -> ICAOProfileError {
        ICAOProfileError(.malformed, reason)
    }
}
