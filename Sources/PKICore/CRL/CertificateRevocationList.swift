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

    /// What an index of revoked serials keeps of one entry: its serial number's content octets and its revocation date.
    public struct EntryKey {
        public let serialNumber: ArraySlice<UInt8>
        /// Seconds since 1970, as `revocationDate.date.timeIntervalSince1970`.
        public let revocationDate: Double
    }

    /// Walks the entries reading only what an index needs, for the shape nearly every entry has: an INTEGER and a
    /// UTCTime or GeneralizedTime to the second in Zulu time, no extensions. Any other entry (extensions, fractions of a
    /// second, odd encodings) is decoded as `entries()` decodes it, and handed over whole too; so the values, and the
    /// errors naming an undecodable entry, are those of `entries()`. A million entries in well under a second.
    public func forEachEntryKey(_ body: (EntryKey, RevokedCertificate?) throws -> Void) throws {
        var reader = TLVReader(entryBytes, what: "revokedCertificates")
        var index = 0
        while let element = try reader.next() {
            let position = index
            index += 1
            if element.firstOctet == 0x30, let key = Self.plainEntryKey(element.content) {
                try body(key, nil)
                continue
            }
            let entry = try PKIError.decoding("revokedCertificates entry \(position) at offset \(element.offset)") {
                try RevokedCertificate(berEncoded: BER.parse(element.encoded))
            }
            try body(EntryKey(serialNumber: entry.serialNumber, revocationDate: entry.revocationDate.date.timeIntervalSince1970), entry)
        }
    }

    /// `INTEGER, Time` and nothing else, the time as `YYMMDDHHMMSSZ` or `YYYYMMDDHHMMSSZ` with every field in range;
    /// nil for anything else, which the full decoder then judges.
    static func plainEntryKey(_ content: ArraySlice<UInt8>) -> EntryKey? {
        var fields = TLVReader(content, what: "revokedCertificates entry")
        guard let serial = try? fields.next(), serial.firstOctet == 0x02, !serial.content.isEmpty,
              let time = try? fields.next(), fields.isAtEnd else { return nil }
        let text = time.content
        let digitCount = text.count - 1
        guard text.last == UInt8(ascii: "Z"), text.dropLast().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ from: Int, _ count: Int) -> Int {
            var value = 0
            for offset in from..<(from + count) { value = value * 10 + Int(text[text.startIndex + offset] - 0x30) }
            return value
        }
        let year: Int
        let rest: Int
        switch (time.firstOctet, digitCount) {
        case (0x17, 12):
            let yy = number(0, 2)
            year = yy < 50 ? 2000 + yy : 1900 + yy
            rest = 2
        case (0x18, 14):
            year = number(0, 4)
            rest = 4
        default:
            return nil
        }
        let month = number(rest, 2), day = number(rest + 2, 2), hour = number(rest + 4, 2)
        let minute = number(rest + 6, 2), second = number(rest + 8, 2)
        guard (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, year: year), hour < 24, minute < 60, second < 60 else {
            return nil
        }
        let date = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second).date
        return EntryKey(serialNumber: serial.content, revocationDate: date.timeIntervalSince1970)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
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
