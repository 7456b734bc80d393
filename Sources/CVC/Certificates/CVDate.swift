import Foundation

/// A certificate effective or expiration date (TR-03110-3 D.2.1.3).
///
/// ```
/// 5F25 06 Y Y M M D D      effective date
/// 5F24 06 Y Y M M D D      expiration date
/// ```
/// Six digits YYMMDD, one octet per digit as unpacked BCD (2010-09-30 is `01 00 00 09 03 00`), in GMT; YY means
/// 20YY. A certificate is valid from the start of its effective day to the end of its expiration day, since the
/// chip compares whole dates ("if the expiration date is before the current date, the verification fails").
public struct CVDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) throws {
        guard (2000...2099).contains(year) else {
            throw CVCError(.invalidValue, "year \(year) cannot be written as a CV date (2000 to 2099)")
        }
        guard (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else {
            throw CVCError(.invalidValue, String(format: "%04d-%02d-%02d is not a calendar date", year, month, day))
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The GMT day on which `date` falls.
    public init(_ date: Date) throws {
        let parts = Self.calendar.dateComponents([.year, .month, .day], from: date)
        try self.init(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
    }

    /// Parses `YYYY-MM-DD` or the six digits `YYMMDD` that OpenPACE's tools take.
    public init(string text: String) throws {
        let digits = text.filter(\.isNumber)
        let numbers = digits.compactMap(\.wholeNumberValue)
        switch (text.count, digits.count) {
        case (10, 8) where text.split(separator: "-").count == 3:
            try self.init(
                year: numbers[0...3].reduce(0) { $0 * 10 + $1 }, month: numbers[4] * 10 + numbers[5],
                day: numbers[6] * 10 + numbers[7])
        case (6, 6):
            try self.init(year: 2000 + numbers[0] * 10 + numbers[1], month: numbers[2] * 10 + numbers[3], day: numbers[4] * 10 + numbers[5])
        default:
            throw CVCError(.invalidValue, "date '\(text)' is neither YYYY-MM-DD nor YYMMDD")
        }
    }

    /// Decodes the six unpacked BCD octets of a 5F24/5F25 data object.
    init(_ object: TLVObject, _ tag: CVTag, context: String) throws {
        let octets = Array(object.value)
        guard octets.count == 6 else {
            throw CVCError(.invalidValue, "\(context): \(tag) at offset \(object.offset) has \(octets.count) octets instead of 6", offset: object.offset)
        }
        guard octets.allSatisfy({ $0 <= 9 }) else {
            let hex = octets.map { CVTag.hex(UInt32($0)) }.joined()
            throw CVCError(.invalidValue, "\(context): \(tag) at offset \(object.offset) is \(hex), not six unpacked BCD digits", offset: object.offset)
        }
        do {
            try self.init(
                year: 2000 + Int(octets[0]) * 10 + Int(octets[1]), month: Int(octets[2]) * 10 + Int(octets[3]),
                day: Int(octets[4]) * 10 + Int(octets[5]))
        } catch let error as CVCError {
            throw CVCError(.invalidValue, "\(context): \(tag) at offset \(object.offset): \(error.reason)", offset: object.offset)
        }
    }

    /// The six unpacked BCD octets.
    public var encoded: [UInt8] {
        let yy = year - 2000
        return [yy / 10, yy % 10, month / 10, month % 10, day / 10, day % 10].map { UInt8($0) }
    }

    /// Midnight GMT at the start of this day.
    public var start: Date {
        Self.calendar.date(from: DateComponents(year: year, month: month, day: day)) ?? Date(timeIntervalSince1970: 0)
    }

    /// The first instant after this day: a certificate expiring on this day is no longer valid from then on.
    public var end: Date { start.addingTimeInterval(86_400) }

    /// The date `days` days later (or earlier, when negative).
    public func adding(days: Int) throws -> CVDate {
        try CVDate(start.addingTimeInterval(Double(days) * 86_400))
    }

    /// The same day `months` months later, clamped to the last day of a shorter month (a 3-month DV validity
    /// from 30 November ends on 28 or 29 February).
    public func adding(months: Int) throws -> CVDate {
        let total = (year * 12 + month - 1) + months
        let newYear = total / 12
        let newMonth = total % 12 + 1
        return try CVDate(year: newYear, month: newMonth, day: min(day, Self.days(inMonth: newMonth, year: newYear)))
    }

    /// `2026-11-01`.
    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: CVDate, rhs: CVDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    private static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
