import Foundation
import SwiftASN1

/// A point in time as X.509 encodes it (RFC 5280 §4.1.2.5).
///
/// ```
/// Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }
/// ```
///
/// Written as UTCTime up to 2049 and GeneralizedTime from 2050 on, to the second, in Zulu time
/// (Doc 9303-12 Table 5).
public enum Time: DERParseable, BERParseable, DERSerializable, Hashable, Sendable, Comparable, CustomStringConvertible {
    case utcTime(UTCTime)
    case generalTime(GeneralizedTime)

    /// The encoding the 2050 rule asks for; fractions of a second are dropped.
    public init(_ date: Date) throws {
        let c = CivilTime(date)
        if c.year < 2050 {
            self = .utcTime(try UTCTime(year: c.year, month: c.month, day: c.day, hours: c.hour, minutes: c.minute, seconds: c.second))
        } else {
            self = .generalTime(
                try GeneralizedTime(year: c.year, month: c.month, day: c.day, hours: c.hour, minutes: c.minute, seconds: c.second, fractionalSeconds: 0))
        }
    }

    public init(derEncoded node: ASN1Node) throws {
        switch node.identifier {
        case .utcTime: self = .utcTime(try UTCTime(derEncoded: node))
        case .generalizedTime: self = .generalTime(try GeneralizedTime(derEncoded: node))
        default: throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    public init(berEncoded node: ASN1Node) throws {
        switch node.identifier {
        case .utcTime: self = .utcTime(try UTCTime(berEncoded: node))
        case .generalizedTime: self = .generalTime(try GeneralizedTime(berEncoded: node))
        default: throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .utcTime(let time): try coder.serialize(time)
        case .generalTime(let time): try coder.serialize(time)
        }
    }

    public var date: Date {
        switch self {
        case .utcTime(let t):
            CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hours, minute: t.minutes, second: t.seconds).date
        case .generalTime(let t):
            CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hours, minute: t.minutes, second: t.seconds).date
                + t.fractionalSeconds
        }
    }

    /// Whether the encoding is the one the 2050 rule prescribes for this date.
    public var followsYear2050Rule: Bool {
        switch self {
        case .utcTime: true  // UTCTime cannot express 2050 or later
        case .generalTime(let t): t.year >= 2050
        }
    }

    public static func < (lhs: Time, rhs: Time) -> Bool { lhs.date < rhs.date }

    public var description: String { Self.iso8601(date) }

    /// The DER TLV, written digit by digit (UTCTime `YYMMDDHHMMSSZ`, GeneralizedTime `YYYYMMDDHHMMSSZ`); swift-asn1's
    /// serializer for anything it cannot (fractions of a second, years outside 0…9999).
    public var derEncoding: [UInt8] {
        get throws {
            let tag: UInt8
            let civil: CivilTime
            let yearDigits: Int
            switch self {
            case .utcTime(let t):
                (tag, yearDigits) = (0x17, 2)
                civil = CivilTime(year: t.year % 100, month: t.month, day: t.day, hour: t.hours, minute: t.minutes, second: t.seconds)
            case .generalTime(let t) where t.fractionalSeconds == 0 && (0...9999).contains(t.year):
                (tag, yearDigits) = (0x18, 4)
                civil = CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hours, minute: t.minutes, second: t.seconds)
            case .generalTime:
                var serializer = DER.Serializer()
                try serializer.serialize(self)
                return serializer.serializedBytes
            }
            var out: [UInt8] = [tag, UInt8(yearDigits + 11)]
            out.reserveCapacity(yearDigits + 13)
            civil.appendDigits(yearDigits: yearDigits, separators: nil, to: &out)
            return out
        }
    }

    public static func iso8601(_ date: Date) -> String {
        // Reports print many dates: written digit by digit, without Foundation's formatter or intermediate strings.
        // Years outside 0…9999 (no X.509 time has one) take the slow way.
        let c = CivilTime(date)
        guard (0...9999).contains(c.year) else {
            return "\(c.year)-\(c.month)-\(c.day)T\(c.hour):\(c.minute):\(c.second)Z"
        }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        c.appendDigits(yearDigits: 4, separators: ("-", "-", "T", ":", ":"), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads an RFC 3339 date-time (what `iso8601` writes, `YYYY-MM-DDTHH:MM:SSZ`, or with fractional seconds or an
    /// offset); nil for anything else.
    public static func parseISO8601(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Proleptic Gregorian date and time in UTC, converted without a Calendar (faster and locale-free).
struct CivilTime {
    var year, month, day, hour, minute, second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    init(_ date: Date) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        var days = total / 86_400
        var seconds = total % 86_400
        if seconds < 0 { seconds += 86_400; days -= 1 }
        // Days to civil date (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d,
                  hour: seconds / 3600, minute: seconds % 3600 / 60, second: seconds % 60)
    }

    /// Year (`yearDigits` digits), month, day, hour, minute and second as zero-padded decimal digits, each of the
    /// first five followed by its separator when there are separators, then `Z`: the ISO 8601 text and the DER
    /// contents of UTCTime and GeneralizedTime.
    func appendDigits(
        yearDigits: Int, separators: (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar)?,
        to out: inout [UInt8]
    ) {
        func put(_ value: Int, _ digits: Int, then separator: Unicode.Scalar?) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
            if let separator { out.append(UInt8(ascii: separator)) }
        }
        put(year, yearDigits, then: separators?.0)
        put(month, 2, then: separators?.1)
        put(day, 2, then: separators?.2)
        put(hour, 2, then: separators?.3)
        put(minute, 2, then: separators?.4)
        put(second, 2, then: nil)
        out.append(UInt8(ascii: "Z"))
    }

    var date: Date {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
    }
}

/// ```
/// Validity ::= SEQUENCE { notBefore Time, notAfter Time }
/// ```
public struct Validity: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var notBefore: Time
    public var notAfter: Time

    public init(notBefore: Time, notAfter: Time) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    public init(notBefore: Date, notAfter: Date) throws {
        self.init(notBefore: try Time(notBefore), notAfter: try Time(notAfter))
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            Validity(notBefore: try Time(derEncoded: &nodes), notAfter: try Time(derEncoded: &nodes))
        }
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            Validity(notBefore: try Time(berEncoded: &nodes), notAfter: try Time(berEncoded: &nodes))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(notBefore)
            try coder.serialize(notAfter)
        }
    }

    public func contains(_ date: Date) -> Bool {
        notBefore.date <= date && date <= notAfter.date
    }
}
