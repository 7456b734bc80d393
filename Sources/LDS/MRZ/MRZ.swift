/// A machine readable zone (Doc 9303 Parts 3 to 6), kept as its lines: the lines are what DG1 stores and
/// what the check digits cover, so every field is read from them by position (see `MRZFormat`).
///
/// Reading is lenient: a zone with a wrong check digit or a character outside A–Z 0–9 < still reads (real
/// documents and the ICAO specimens have them); `checkDigits` and `findings` say what is wrong. Building from
/// fields is strict and computes every check digit.
public struct MRZ: Hashable, Sendable, CustomStringConvertible {
    public let format: MRZFormat
    /// The lines, each exactly `format.lineLength` ASCII characters.
    public let lines: [String]

    /// Reads lines as printed or as typed (surrounding spaces ignored).
    public init(lines input: [String]) throws {
        let lines = input.map { $0.trimmingCharacters(in: " \t\r\n") }
        guard let format = Self.format(of: lines) else {
            let lengths = lines.map { String($0.utf8.count) }.joined(separator: ", ")
            throw LDSError.invalid(
                "MRZ", "\(lines.count) line(s) of \(lengths) characters match none of TD1 (3 × 30), TD2 (2 × 36) or TD3 (2 × 44)")
        }
        try self.init(format: format, lines: lines)
    }

    private static func format(of lines: [String]) -> MRZFormat? {
        MRZFormat.allCases.first { format in
            format.lineCount == lines.count && lines.allSatisfy { $0.utf8.count == format.lineLength }
        }
    }

    /// Reads the concatenated form stored in DG1 (88, 72 or 90 characters).
    public init(string: String) throws {
        let bytes = Array(string.utf8)
        guard let format = MRZFormat(totalLength: bytes.count) else {
            throw LDSError.invalid("MRZ", "\(bytes.count) characters match none of TD1 (90), TD2 (72) or TD3 (88)")
        }
        let lines = (0..<format.lineCount).map { index in
            String(decoding: bytes[(index * format.lineLength)..<((index + 1) * format.lineLength)], as: UTF8.self)
        }
        try self.init(format: format, lines: lines)
    }

    private init(format: MRZFormat, lines: [String]) throws {
        for (number, line) in lines.enumerated() {
            if let offset = line.utf8.firstIndex(where: { $0 < 0x20 || $0 > 0x7E }) {
                throw LDSError.invalid(
                    "MRZ", "line \(number + 1) has a non-printable or non-ASCII character at position \(line.utf8.distance(from: line.utf8.startIndex, to: offset) + 1)")
            }
        }
        self.format = format
        self.lines = lines
    }

    /// The zone as DG1 stores it: the lines one after the other, without separators.
    public var string: String { lines.joined() }

    public var description: String { lines.joined(separator: "\n") }

    // MARK: - Fields

    private func field(_ line: Int, _ range: Range<Int>) -> String {
        // The lines are ASCII of a known length (checked at init): offsets in the UTF-8 view are character offsets.
        let utf8 = lines[line].utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let end = utf8.index(start, offsetBy: range.count)
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while text.last == "<" { text.removeLast() }
        return String(text)
    }

    /// "P", "I", "AC", … with the fillers removed; `documentCodeField` keeps them ("P<").
    public var documentCode: String { Self.trimmed(documentCodeField) }
    public var documentCodeField: String { field(0, 0..<2) }
    public var issuingState: String { Self.trimmed(field(0, 2..<5)) }

    public var nameField: String { format == .td1 ? field(2, 0..<30) : field(0, 5..<lines[0].utf8.count) }

    /// The primary identifier (surname): the name field up to `<<`, fillers shown as spaces.
    public var primaryIdentifier: String {
        let name = nameField
        let primary = name.range(of: "<<").map { String(name[..<$0.lowerBound]) } ?? name
        return Self.readable(primary)
    }

    /// The secondary identifier (given names): after the first `<<`.
    public var secondaryIdentifier: String {
        let name = nameField
        guard let separator = name.range(of: "<<") else { return "" }
        return Self.readable(String(name[separator.upperBound...]))
    }

    private static func readable(_ field: String) -> String {
        field.split(separator: "<", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Raw nine-character field, its check digit, and the optional-data region that may hold the overflow.
    private var documentNumberParts: (field: String, checkDigit: Character, overflowRegion: String) {
        switch format {
        case .td1: (field(0, 5..<14), Character(field(0, 14..<15)), field(0, 15..<30))
        case .td2: (field(1, 0..<9), Character(field(1, 9..<10)), field(1, 28..<35))
        case .td3: (field(1, 0..<9), Character(field(1, 9..<10)), "")
        }
    }

    /// For TD1 and TD2 numbers longer than nine characters: the continuation and the real check digit.
    private var overflow: (continuation: String, checkDigit: Character, rest: String)? {
        guard format != .td3 else { return nil }
        let parts = documentNumberParts
        guard parts.checkDigit == "<" else { return nil }
        let region = parts.overflowRegion
        let used = region.prefix { $0 != "<" }
        guard let last = used.last else { return nil }
        return (String(used.dropLast()), last, String(region.dropFirst(used.count)))
    }

    /// The document number without fillers, long numbers joined with their continuation.
    public var documentNumber: String {
        let parts = documentNumberParts
        if let overflow { return Self.trimmed(parts.field) + overflow.continuation }
        return Self.trimmed(parts.field)
    }

    public var documentNumberCheckDigit: Character { overflow?.checkDigit ?? documentNumberParts.checkDigit }

    public var nationality: String { Self.trimmed(format == .td1 ? field(1, 15..<18) : field(1, 10..<13)) }

    /// YYMMDD as printed; unknown parts are fillers.
    public var dateOfBirth: String { format == .td1 ? field(1, 0..<6) : field(1, 13..<19) }
    public var dateOfBirthCheckDigit: Character { Character(format == .td1 ? field(1, 6..<7) : field(1, 19..<20)) }

    /// "M", "F" or "<" (unspecified).
    public var sex: String { format == .td1 ? field(1, 7..<8) : field(1, 20..<21) }

    public var dateOfExpiry: String { format == .td1 ? field(1, 8..<14) : field(1, 21..<27) }
    public var dateOfExpiryCheckDigit: Character { Character(format == .td1 ? field(1, 14..<15) : field(1, 27..<28)) }

    /// TD3: the personal number; TD2: line 2's optional data; TD1: line 1's optional data (after an overflowing
    /// document number, if any). Fillers at the end removed.
    public var optionalData: String {
        switch format {
        case .td1: Self.trimmed(overflow.map { String($0.rest.drop { $0 == "<" }) } ?? field(0, 15..<30))
        case .td2: Self.trimmed(overflow.map { String($0.rest.drop { $0 == "<" }) } ?? field(1, 28..<35))
        case .td3: Self.trimmed(field(1, 28..<42))
        }
    }

    /// TD1's second optional data field (line 2, 18-28); empty for the other formats.
    public var optionalData2: String { format == .td1 ? Self.trimmed(field(1, 18..<29)) : "" }

    /// TD3's check digit over the personal number; nil for TD1 and TD2, which have none.
    public var optionalDataCheckDigit: Character? { format == .td3 ? Character(field(1, 42..<43)) : nil }

    public var compositeCheckDigit: Character {
        switch format {
        case .td1: Character(field(1, 29..<30))
        case .td2: Character(field(1, 35..<36))
        case .td3: Character(field(1, 43..<44))
        }
    }

    // MARK: - Check digits

    public struct CheckDigit: Hashable, Sendable, CustomStringConvertible {
        public let field: String
        public let found: Character
        /// nil when the field holds characters outside the MRZ set, so no digit can be computed.
        public let expected: Character?
        public let isValid: Bool

        public var description: String {
            isValid ? "\(field) check digit \(found) ok"
                : "\(field) check digit is \(found), expected \(expected.map(String.init) ?? "none (invalid characters)")"
        }
    }

    /// Every check digit of the zone, the composite last. Computed over the lines' bytes by position: passive
    /// authentication asks for every passport, and cutting the fields out as strings cost more than the check.
    public var checkDigits: [CheckDigit] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(format.lineCount * format.lineLength)
        for line in lines { bytes.append(contentsOf: line.utf8) }
        let width = format.lineLength
        func span(_ line: Int, _ range: Range<Int>) -> ArraySlice<UInt8> {
            bytes[(line * width + range.lowerBound)..<(line * width + range.upperBound)]
        }
        func found(_ line: Int, _ column: Int) -> UInt8 { bytes[line * width + column] }
        // Up to four pieces (the TD1 composite), as parameters rather than a variadic list: no array per check.
        func check(_ name: String, _ first: ArraySlice<UInt8>, _ second: ArraySlice<UInt8> = [], _ third: ArraySlice<UInt8> = [],
                   _ fourth: ArraySlice<UInt8> = [], found: UInt8, fillerAllowed: Bool = false) -> CheckDigit {
            var digit = MRZCheckDigit.Accumulator()
            digit.add(first)
            digit.add(second)
            digit.add(third)
            digit.add(fourth)
            let expected = digit.checkDigit
            // Doc 9303-4 §4.2.2: an unused personal number may carry the filler (or zero) as its check digit; only
            // the personal number allows it, and it is a single piece.
            let emptyField = fillerAllowed && first.allSatisfy { $0 == UInt8(ascii: "<") }
                && (found == UInt8(ascii: "<") || found == UInt8(ascii: "0"))
            return CheckDigit(field: name, found: Character(Unicode.Scalar(found)), expected: expected.map { Character(Unicode.Scalar($0)) },
                              isValid: emptyField || expected == found)
        }
        var digits: [CheckDigit] = []
        digits.reserveCapacity(5)
        switch format {
        case .td1:
            if found(0, 14) == UInt8(ascii: "<"), let overflow {
                digits.append(check("document number", span(0, 5..<14), Array(overflow.continuation.utf8)[...], found: overflow.checkDigit.asciiValue ?? 0))
            } else {
                digits.append(check("document number", span(0, 5..<14), found: found(0, 14)))
            }
            digits.append(check("date of birth", span(1, 0..<6), found: found(1, 6)))
            digits.append(check("date of expiry", span(1, 8..<14), found: found(1, 14)))
            digits.append(check("composite", span(0, 5..<30), span(1, 0..<7), span(1, 8..<15), span(1, 18..<29), found: found(1, 29)))
        case .td2, .td3:
            if format == .td2, found(1, 9) == UInt8(ascii: "<"), let overflow {
                digits.append(check("document number", span(1, 0..<9), Array(overflow.continuation.utf8)[...], found: overflow.checkDigit.asciiValue ?? 0))
            } else {
                digits.append(check("document number", span(1, 0..<9), found: found(1, 9)))
            }
            digits.append(check("date of birth", span(1, 13..<19), found: found(1, 19)))
            digits.append(check("date of expiry", span(1, 21..<27), found: found(1, 27)))
            if format == .td3 {
                digits.append(check("personal number", span(1, 28..<42), found: found(1, 42), fillerAllowed: true))
                digits.append(check("composite", span(1, 0..<10), span(1, 13..<20), span(1, 21..<43), found: found(1, 43)))
            } else {
                digits.append(check("composite", span(1, 0..<10), span(1, 13..<20), span(1, 21..<35), found: found(1, 35)))
            }
        }
        return digits
    }

    /// What does not follow Doc 9303: wrong check digits, characters outside the MRZ set.
    public var findings: [String] {
        let digits = checkDigits
        var found = digits.allSatisfy(\.isValid) ? [] : digits.filter { !$0.isValid }.map(\.description)
        for (number, line) in lines.enumerated() {
            if let index = line.utf8.firstIndex(where: { !MRZCheckDigit.isMRZCharacter($0) }) {
                let position = line.utf8.distance(from: line.utf8.startIndex, to: index) + 1
                found.append("line \(number + 1) position \(position): '\(Character(Unicode.Scalar(line.utf8[index])))' is not an MRZ character (A-Z, 0-9, <)")
            }
        }
        return found
    }

    public var isValid: Bool { findings.isEmpty }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
