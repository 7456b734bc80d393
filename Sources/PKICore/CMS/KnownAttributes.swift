import Foundation
import SwiftASN1

/// The three signed attributes every CMS verification reads (RFC 5652 §11): contentType, messageDigest and
/// signingTime.
///
/// A border lane reads one SignerInfo per passport; decoding its attributes into swift-asn1 nodes and then each
/// value again for every question cost more than all other fields of the SignerInfo together. They are read
/// once, by hand, when the attributes are the usual ones; anything unusual is left to swift-asn1.
struct KnownAttributes: Hashable, Sendable {
    var contentType: ASN1ObjectIdentifier?
    var messageDigest: ArraySlice<UInt8>?
    var signingTime: Date?
    /// A signingTime attribute is present, readable or not.
    var hasSigningTime = false

    init() {}

    /// From decoded attributes: the first value of the first attribute of each type.
    init(_ attributes: [CMSAttribute]) {
        for attribute in attributes {
            guard let value = attribute.attrValues.first else {
                if attribute.attrType == .CMS.signingTime { hasSigningTime = true }
                continue
            }
            switch attribute.attrType {
            case .CMS.contentType where contentType == nil:
                contentType = try? ASN1ObjectIdentifier(berASN1Any: value)
            case .CMS.messageDigest where messageDigest == nil:
                messageDigest = (try? ASN1OctetString(berASN1Any: value))?.bytes
            case .CMS.signingTime where !hasSigningTime:
                hasSigningTime = true
                signingTime = (try? Time(berASN1Any: value))?.date
            default:
                break
            }
        }
    }

    // The attribute types' OBJECT IDENTIFIER contents: 1.2.840.113549.1.9.3, .4 and .5.
    private static let pkcs9: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09]

    /// Reads the contents of `[0] IMPLICIT SignedAttributes`. Nil when they are not the plain case: a type twice,
    /// a known type without exactly one value of its tag, a signing time the short reader does not take, or any
    /// value swift-asn1 would refuse; the caller then reads the SignerInfo the general way.
    static func read(_ contents: ArraySlice<UInt8>) throws -> KnownAttributes? {
        var known = KnownAttributes()
        var entries = TLVReader(contents, what: "SignerInfo signedAttrs")
        var others = 0
        while let attribute = try entries.next() {
            guard attribute.firstOctet == 0x30 else { return nil }
            var fields = TLVReader(attribute.content, what: "SignerInfo signedAttrs")
            let type = try fields.expect(0x06, "attrType")
            let set = try fields.expect(0x31, "attrValues")
            guard fields.isAtEnd else { return nil }
            var values = TLVReader(set.content, what: "SignerInfo attrValues")
            guard let value = try values.next() else { return nil }
            let oid = type.content
            if oid.count == pkcs9.count + 1, oid.prefix(pkcs9.count).elementsEqual(pkcs9), values.isAtEnd {
                switch oid.last {
                case 0x03:
                    guard known.contentType == nil, value.firstOctet == 0x06 else { return nil }
                    known.contentType = try ObjectIdentifierCache.identifier(value.encoded)
                    continue
                case 0x04:
                    guard known.messageDigest == nil, value.firstOctet == 0x04 else { return nil }
                    known.messageDigest = value.content
                    continue
                case 0x05:
                    guard !known.hasSigningTime, let date = signingDate(value) else { return nil }
                    known.hasSigningTime = true
                    known.signingTime = date
                    continue
                default:
                    break
                }
            }
            // Any other attribute: what swift-asn1 will be asked to decode later must decode now.
            others += 1
            guard others <= 8 else { return nil }
            _ = try ObjectIdentifierCache.identifier(type.encoded)
            _ = try BER.parse(set.encoded)
        }
        return known
    }

    /// UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ` (the forms RFC 5280 §4.1.2.5 prescribes),
    /// digit by digit; other forms go through swift-asn1. Nil when neither reads it.
    private static func signingDate(_ value: TLVReader.Element) -> Date? {
        let text = value.content
        func number(_ offset: Int, _ count: Int) -> Int? {
            var result = 0
            for octet in text[(text.startIndex + offset)..<(text.startIndex + offset + count)] {
                guard (0x30...0x39).contains(octet) else { return nil }
                result = result * 10 + Int(octet - 0x30)
            }
            return result
        }
        let yearDigits: Int
        switch (value.firstOctet, text.count) {
        case (0x17, 13): yearDigits = 2
        case (0x18, 15): yearDigits = 4
        default: return slowSigningDate(value)
        }
        guard text.last == UInt8(ascii: "Z"), var year = number(0, yearDigits), let month = number(yearDigits, 2),
              let day = number(yearDigits + 2, 2), let hour = number(yearDigits + 4, 2), let minute = number(yearDigits + 6, 2),
              let second = number(yearDigits + 8, 2)
        else { return slowSigningDate(value) }
        if yearDigits == 2 { year += year < 50 ? 2000 : 1900 }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = switch month {
        case 2: leap ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
        guard (1...12).contains(month), (1...days).contains(day), hour < 24, minute < 60, second < 60 else {
            return slowSigningDate(value)
        }
        return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second).date
    }

    private static func slowSigningDate(_ value: TLVReader.Element) -> Date? {
        (try? Time(berEncoded: BER.parse(value.encoded)))?.date
    }
}
