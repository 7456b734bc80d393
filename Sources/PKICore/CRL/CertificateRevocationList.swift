import Foundation
import SwiftASN1

/// An X.509 v2 CRL (RFC 5280 §5.1), read without materialising its entries.
///
/// ```
/// CertificateList ::= SEQUENCE {
///     tbsCertList          TBSCertList,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING }
/// TBSCertList ::= SEQUENCE {
///     version                 Version OPTIONAL,     -- v2 when present
///     signature               AlgorithmIdentifier,
///     issuer                  Name,
///     thisUpdate              Time,
///     nextUpdate              Time OPTIONAL,
///     revokedCertificates     SEQUENCE OF SEQUENCE { ... } OPTIONAL,
///     crlExtensions       [0] EXPLICIT Extensions OPTIONAL }
/// ```
///
/// The header fields are decoded at once; the entries stay as bytes and are decoded one at a time by
/// `entries()`, so a CRL of a million entries costs its file size in memory, not a tree of nodes.
public struct CertificateRevocationList: Sendable {
    public let version: Int?
    public let signature: AlgorithmIdentifier
    public let issuer: DistinguishedName
    public let thisUpdate: Time
    public let nextUpdate: Time?
    public let extensions: Extensions
    public let signatureAlgorithm: AlgorithmIdentifier
    public let signatureValue: ASN1BitString
    /// The TBSCertList as received: the bytes the signature covers.
    public let tbsBytes: ArraySlice<UInt8>
    public let encoded: [UInt8]
    /// The content of revokedCertificates; empty when the field is absent.
    private let entryBytes: ArraySlice<UInt8>
    public let hasRevokedCertificatesField: Bool

    /// Reads a CRL from DER or PEM.
    public init(bytes input: [UInt8]) throws {
        let der = try PEM.decodeIfPEM(input, label: "X509 CRL")
        let what = "CRL"
        try OuterSequence.check(der, what: what)
        var top = TLVReader(der[...], what: what)
        let outer = try top.expect(0x30, "CertificateList")
        guard top.isAtEnd else { throw PKIError.malformed(what, "\(der.count - outer.encoded.count) bytes follow the CRL") }
        var list = TLVReader(outer.content, what: what)
        let tbs = try list.expect(0x30, "tbsCertList")
        let algorithm = try list.expect(0x30, "signatureAlgorithm")
        let signature = try list.expect(0x03, "signatureValue")

        var fields = TLVReader(tbs.content, what: "TBSCertList")
        var field = try fields.next()
        var version: Int?
        if let f = field, f.firstOctet == 0x02 {
            version = try PKIError.decoding("CRL version") { try Int(berEncoded: BER.parse(f.encoded)) }
            field = try fields.next()
        }
        guard let signatureField = field, signatureField.firstOctet == 0x30 else {
            throw PKIError.malformed("TBSCertList", "signature AlgorithmIdentifier is missing")
        }
        let issuerField = try fields.expect(0x30, "issuer")
        guard let thisUpdateField = try fields.next() else { throw PKIError.malformed("TBSCertList", "thisUpdate is missing") }
        var nextUpdate: Time?
        var entries: ArraySlice<UInt8> = []
        var hasEntries = false
        var extensions = Extensions()
        while let next = try fields.next() {
            switch next.firstOctet {
            case 0x17 where nextUpdate == nil && !hasEntries, 0x18 where nextUpdate == nil && !hasEntries:
                nextUpdate = try PKIError.decoding("CRL nextUpdate") { try Time(berEncoded: BER.parse(next.encoded)) }
            case 0x30 where !hasEntries:
                entries = next.content
                hasEntries = true
            case 0xA0:
                extensions = try PKIError.decoding("CRL extensions") {
                    let node = try BER.parse(next.encoded)
                    guard case .constructed(let inner) = node.content, let list = inner.first(where: { _ in true }) else {
                        throw ASN1Error.invalidASN1Object(reason: "crlExtensions [0] is empty")
                    }
                    return try Extensions(berEncoded: list)
                }
            default:
                throw PKIError.malformed("TBSCertList", "unexpected tag 0x\(String(next.firstOctet, radix: 16)) at offset \(next.offset)")
            }
        }
        self.version = version
        self.signature = try PKIError.decoding("CRL signature algorithm") { try AlgorithmIdentifier(berEncoded: BER.parse(signatureField.encoded)) }
        self.issuer = try PKIError.decoding("CRL issuer") { try DistinguishedName(berEncoded: BER.parse(issuerField.encoded)) }
        self.thisUpdate = try PKIError.decoding("CRL thisUpdate") { try Time(berEncoded: BER.parse(thisUpdateField.encoded)) }
        self.nextUpdate = nextUpdate
        self.extensions = extensions
        self.signatureAlgorithm = try PKIError.decoding("CRL signatureAlgorithm") { try AlgorithmIdentifier(berEncoded: BER.parse(algorithm.encoded)) }
        self.signatureValue = try PKIError.decoding("CRL signatureValue") { try ASN1BitString(berEncoded: BER.parse(signature.encoded)) }
        self.tbsBytes = tbs.encoded
        self.encoded = der
        self.entryBytes = entries
        self.hasRevokedCertificatesField = hasEntries
    }

    public var derEncoded: [UInt8] { encoded }
    public var pemEncoded: String { PEM.encode(encoded, label: "X509 CRL") }

    public var crlNumber: CRLNumber? { (try? extensions.value(CRLNumber.self)) ?? nil }
    public var authorityKeyIdentifier: [UInt8]? { (try? extensions.value(AuthorityKeyIdentifier.self))??.keyIdentifier }

    public var signatureAlgorithmValue: SignatureAlgorithm {
        get throws { try SignatureAlgorithm(algorithmIdentifier: signatureAlgorithm) }
    }

    public func isSignatureValid(issuerKey: PublicKey) throws -> Bool {
        let algorithm = try signatureAlgorithmValue
        guard signatureValue.paddingBits == 0 else {
            throw PKIError.malformed("CRL signature", "BIT STRING has \(signatureValue.paddingBits) unused bits")
        }
        return try issuerKey.isValidSignature(signatureValue.bytes, for: tbsBytes, algorithm: algorithm)
    }

    /// Walks the entries, decoding one at a time.
    public func entries() -> EntryIterator {
        EntryIterator(reader: TLVReader(entryBytes, what: "revokedCertificates"))
    }

    /// Calls `body` for every entry; stops at the first undecodable one with an error naming its position.
    public func forEachEntry(_ body: (RevokedCertificate) throws -> Void) throws {
        var iterator = entries()
        while let entry = try iterator.next() { try body(entry) }
    }

    /// Counts the entries by walking their headers only.
    public func entryCount() throws -> Int {
        var reader = TLVReader(entryBytes, what: "revokedCertificates")
        var count = 0
        while try reader.next() != nil { count += 1 }
        return count
    }

    public struct EntryIterator {
        fileprivate var reader: TLVReader
        public private(set) var index = 0

        public mutating func next() throws -> RevokedCertificate? {
            guard let element = try reader.next() else { return nil }
            let position = index
            index += 1
            return try PKIError.decoding("revokedCertificates entry \(position) at offset \(element.offset)") {
                try RevokedCertificate(berEncoded: BER.parse(element.encoded))
            }
        }
    }
}
