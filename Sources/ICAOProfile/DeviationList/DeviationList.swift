import Foundation
import PKICore
import SwiftASN1

/// A Deviation List (Doc 9303-12 §10): documents that deviate from the specifications and how, signed as CMS
/// with eContentType 2.23.136.1.1.7 by a Deviation List Signer.
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
/// epki writes documentType, the DS by subjectKeyIdentifier, the issuance period and document numbers, and
/// descriptions with a type and text; tags are explicit, as the module's default tagging is.
public struct DeviationList: Hashable, Sendable {
    public struct Description: Hashable, Sendable, Codable {
        public var deviationType: String
        public var description: String?

        public init(deviationType: String, description: String? = nil) {
            self.deviationType = deviationType
            self.description = description
        }
    }

    public struct Deviation: Hashable, Sendable, Codable {
        public var documentType: String?
        /// Subject key identifier (hex) of the Document Signer concerned.
        public var documentSignerKeyIdentifier: String?
        public var firstIssued: Date?
        public var lastIssued: Date?
        public var documentNumbers: [String]?
        public var descriptions: [Description]

        public init(documentType: String? = nil, documentSignerKeyIdentifier: String? = nil, firstIssued: Date? = nil,
                    lastIssued: Date? = nil, documentNumbers: [String]? = nil, descriptions: [Description]) {
            self.documentType = documentType
            self.documentSignerKeyIdentifier = documentSignerKeyIdentifier
            self.firstIssued = firstIssued
            self.lastIssued = lastIssued
            self.documentNumbers = documentNumbers
            self.descriptions = descriptions
        }
    }

    public var deviations: [Deviation]

    public init(deviations: [Deviation]) {
        self.deviations = deviations
    }

    /// The deviation types of Doc 9303-12 Table 10-1, by name, for operators' input files.
    public static let typeNames: [String: String] = [
        "CertOrKey.DSSignature": "2.23.136.1.1.7.1.1", "CertOrKey.DSEncoding": "2.23.136.1.1.7.1.2",
        "CertOrKey.CSCAEncoding": "2.23.136.1.1.7.1.3", "CertOrKey.AAKeyCompromised": "2.23.136.1.1.7.1.4",
        "LDS.DGMalformed": "2.23.136.1.1.7.2.1", "LDS.DGHashWrong": "2.23.136.1.1.7.2.2",
        "LDS.SODSignatureWrong": "2.23.136.1.1.7.2.3", "LDS.COMInconsistent": "2.23.136.1.1.7.2.4",
        "MRZ.WrongData": "2.23.136.1.1.7.3.1", "MRZ.WrongCheckDigit": "2.23.136.1.1.7.3.2",
        "Chip": "2.23.136.1.1.7.4", "NationalUse": "2.23.136.1.1.7.5",
    ]

    private static func tag(_ n: UInt) -> ASN1Identifier { .init(tagWithNumber: n, tagClass: .contextSpecific) }

    public func derEncoded() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            var encodedDeviations: [ASN1Any] = []
            for deviation in deviations {
                var item = DER.Serializer()
                try item.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        if let type = deviation.documentType {
                            try coder.serialize(try Self.printable(type, "documentType", length: 2), explicitlyTaggedWithIdentifier: Self.tag(0))
                        }
                        if let ski = deviation.documentSignerKeyIdentifier {
                            guard let bytes = [UInt8](hex: ski), !bytes.isEmpty else { throw ICAOProfileError(.invalidValue, "'\(ski)' is not a hex key identifier") }
                            try coder.serialize(ASN1OctetString(contentBytes: bytes[...]), explicitlyTaggedWithIdentifier: Self.tag(2))
                        }
                        if let first = deviation.firstIssued, let last = deviation.lastIssued {
                            try coder.serialize(explicitlyTaggedWithTagNumber: 4, tagClass: .contextSpecific) { coder in
                                try coder.appendConstructedNode(identifier: .sequence) { coder in
                                    try coder.serialize(Self.generalizedTime(first))
                                    try coder.serialize(Self.generalizedTime(last))
                                }
                            }
                        }
                        if let numbers = deviation.documentNumbers, !numbers.isEmpty {
                            try coder.serialize(explicitlyTaggedWithTagNumber: 5, tagClass: .contextSpecific) { coder in
                                try coder.serializeSetOf(numbers.map { try Self.printable($0, "documentNumbers") })
                            }
                        }
                    }
                    var descriptions: [ASN1Any] = []
                    for description in deviation.descriptions {
                        guard let oid = try? ASN1ObjectIdentifier(dotRepresentation: Self.typeNames[description.deviationType] ?? description.deviationType),
                              oid.description.hasPrefix("2.23.136.1.1.7.") else {
                            throw ICAOProfileError(.invalidValue, "deviation type '\(description.deviationType)' is not under 2.23.136.1.1.7")
                        }
                        var entry = DER.Serializer()
                        try entry.appendConstructedNode(identifier: .sequence) { coder in
                            if let text = description.description { try coder.serialize(try Self.printable(text, "description")) }
                            try coder.serialize(oid)
                        }
                        descriptions.append(try ASN1Any(derEncoded: DER.parse(entry.serializedBytes)))
                    }
                    guard !descriptions.isEmpty else { throw ICAOProfileError(.invalidValue, "every deviation needs at least one description") }
                    try coder.serializeSetOf(descriptions)
                }
                encodedDeviations.append(try ASN1Any(derEncoded: DER.parse(item.serializedBytes)))
            }
            guard !encodedDeviations.isEmpty else { throw ICAOProfileError(.invalidValue, "a deviation list needs at least one deviation") }
            try coder.serializeSetOf(encodedDeviations)
        }
        return serializer.serializedBytes
    }

    /// PrintableString allows letters, digits, space and '()+,-./:=? — not the MRZ filler '<'.
    static func printable(_ text: String, _ field: String, length: Int? = nil) throws -> ASN1PrintableString {
        if let length, text.count != length {
            throw ICAOProfileError(.invalidValue, "\(field) '\(text)' must have \(length) characters")
        }
        guard let value = try? ASN1PrintableString(text) else {
            throw ICAOProfileError(.invalidValue, "\(field) '\(text)' is not a PrintableString (letters, digits, space and '()+,-./:=? only)")
        }
        return value
    }

    static func generalizedTime(_ date: Date) throws -> GeneralizedTime {
        guard case .generalTime(let time) = try Time.generalizedTime(date) else { throw ICAOProfileError(.invalidValue, "bad date") }
        return time
    }
}

extension Time {
    /// A GeneralizedTime whatever the year (for fields that are always GeneralizedTime).
    static func generalizedTime(_ date: Date) throws -> Time {
        let text = Time.iso8601(date)  // yyyy-MM-ddTHH:mm:ssZ
        let digits = text.compactMap { $0.wholeNumberValue }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
        return .generalTime(try GeneralizedTime(year: number(0..<4), month: number(4..<6), day: number(6..<8), hours: number(8..<10),
                                                minutes: number(10..<12), seconds: number(12..<14), fractionalSeconds: 0))
    }
}
