/// The data a machine readable zone is built from, as a personalization system holds it (Doc 9303-4 to -6).
///
/// Values are given readable ("ANNA MARIA", "D") and written as the MRZ writes them: upper case, spaces and
/// hyphens as the filler `<`, apostrophes dropped (Doc 9303-3 §4.6), short codes padded with fillers. Names are
/// not transliterated or truncated here: a name that does not fit, or holds characters outside A–Z, is refused
/// with the field named, so that the caller applies the Doc 9303-3 rules it is bound to.
public struct MRZFields: Hashable, Sendable, Codable {
    public var format: MRZFormat
    /// "P", "PO", "I", "ID", "AC", "V" …: one or two letters.
    public var documentCode: String
    /// Three-letter code of Doc 9303-3 §5 ("UTO", or "D" for Germany, padded to "D<<").
    public var issuingState: String
    public var primaryIdentifier: String
    public var secondaryIdentifier: String
    /// Up to 9 characters for TD3; longer numbers continue into the optional data for TD1 and TD2.
    public var documentNumber: String
    public var nationality: String
    /// YYMMDD; fillers for unknown parts.
    public var dateOfBirth: String
    /// "M", "F", or "<" / "X" / "" for unspecified.
    public var sex: String
    public var dateOfExpiry: String
    /// TD3 personal number (14), TD2 optional data (7), TD1 line-1 optional data (15).
    public var optionalData: String
    /// TD1 line-2 optional data (11); must be empty for TD2 and TD3.
    public var optionalData2: String

    public init(
        format: MRZFormat, documentCode: String, issuingState: String, primaryIdentifier: String, secondaryIdentifier: String,
        documentNumber: String, nationality: String, dateOfBirth: String, sex: String, dateOfExpiry: String,
        optionalData: String = "", optionalData2: String = ""
    ) {
        self.format = format
        self.documentCode = documentCode
        self.issuingState = issuingState
        self.primaryIdentifier = primaryIdentifier
        self.secondaryIdentifier = secondaryIdentifier
        self.documentNumber = documentNumber
        self.nationality = nationality
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.dateOfExpiry = dateOfExpiry
        self.optionalData = optionalData
        self.optionalData2 = optionalData2
    }

    /// The fields of an existing zone.
    public init(_ mrz: MRZ) {
        self.init(
            format: mrz.format, documentCode: mrz.documentCode, issuingState: mrz.issuingState,
            primaryIdentifier: mrz.primaryIdentifier, secondaryIdentifier: mrz.secondaryIdentifier,
            documentNumber: mrz.documentNumber, nationality: mrz.nationality, dateOfBirth: mrz.dateOfBirth, sex: mrz.sex,
            dateOfExpiry: mrz.dateOfExpiry, optionalData: mrz.optionalData, optionalData2: mrz.optionalData2)
    }
}

extension MRZ {
    /// Builds the zone and all its check digits from fields; throws naming the first field that does not fit.
    public init(fields: MRZFields) throws {
        let f = fields
        let code = try Self.mrzText(f.documentCode, field: "document code", allowDigits: false)
        guard (1...2).contains(code.count), code.first != "<" else {
            throw LDSError.invalid("MRZ document code", "'\(f.documentCode)' must be one or two letters")
        }
        let state = try Self.code(f.issuingState, field: "issuing state")
        let nationality = try Self.code(f.nationality, field: "nationality")
        let number = try Self.mrzText(f.documentNumber, field: "document number", allowDigits: true)
        guard !number.isEmpty, !number.hasSuffix("<") else {
            throw LDSError.invalid("MRZ document number", "'\(f.documentNumber)' is empty or ends with a filler")
        }
        let birth = try Self.date(f.dateOfBirth, field: "date of birth")
        let expiry = try Self.date(f.dateOfExpiry, field: "date of expiry")
        let sex: String
        switch f.sex.uppercased() {
        case "M", "F": sex = f.sex.uppercased()
        case "", "<", "X": sex = "<"  // Doc 9303-4: unspecified is the filler in the MRZ, "X" only in the VIZ
        default: throw LDSError.invalid("MRZ sex", "'\(f.sex)' is not M, F or unspecified")
        }
        let optional = try Self.mrzText(f.optionalData, field: "optional data", allowDigits: true)
        let optional2 = try Self.mrzText(f.optionalData2, field: "optional data 2", allowDigits: true)
        guard f.format == .td1 || optional2.isEmpty else {
            throw LDSError.invalid("MRZ optional data 2", "only TD1 has a second optional data field")
        }
        let name = try Self.nameField(primary: f.primaryIdentifier, secondary: f.secondaryIdentifier, length: f.format.nameLength)

        func pad(_ text: String, _ length: Int) -> String { text + String(repeating: "<", count: max(0, length - text.count)) }
        func digit(_ text: String) -> String { MRZCheckDigit.compute(text).map(String.init) ?? "<" }

        let numberCheck = digit(number)
        // The nine-character field and what continues into the optional data (TD1 and TD2 only).
        var numberField = number
        var optionalField = optional
        var numberCheckField = numberCheck
        if number.count > 9 {
            guard f.format != .td3 else {
                throw LDSError.invalid("MRZ document number", "'\(number)' is longer than the 9 characters of a TD3 zone")
            }
            numberField = String(number.prefix(9))
            numberCheckField = "<"
            optionalField = String(number.dropFirst(9)) + numberCheck + "<" + optional
        }
        guard optionalField.count <= f.format.optionalDataLength else {
            throw LDSError.invalid(
                "MRZ optional data", "'\(optional)' (with the document number's overflow) exceeds the \(f.format.optionalDataLength) characters of \(f.format)")
        }
        guard optional2.count <= 11 else {
            throw LDSError.invalid("MRZ optional data 2", "'\(optional2)' exceeds 11 characters")
        }

        let lines: [String]
        switch f.format {
        case .td3:
            let personal = pad(optionalField, 14)
            let personalCheck = optionalField.isEmpty ? "<" : digit(personal)
            let head = pad(numberField, 9) + numberCheckField + nationality
            let dates = birth + digit(birth) + sex + expiry + digit(expiry) + personal + personalCheck
            let composite = digit(pad(numberField, 9) + numberCheckField + birth + digit(birth) + expiry + digit(expiry) + personal + personalCheck)
            lines = [pad(code, 2) + state + name, head + dates + composite]
        case .td2:
            let optionalPadded = pad(optionalField, 7)
            let head = pad(numberField, 9) + numberCheckField + nationality
            let tail = birth + digit(birth) + sex + expiry + digit(expiry) + optionalPadded
            let composite = digit(pad(numberField, 9) + numberCheckField + birth + digit(birth) + expiry + digit(expiry) + optionalPadded)
            lines = [pad(code, 2) + state + name, head + tail + composite]
        case .td1:
            let line1 = pad(code, 2) + state + pad(numberField, 9) + numberCheckField + pad(optionalField, 15)
            let line2Head = birth + digit(birth) + sex + expiry + digit(expiry) + nationality + pad(optional2, 11)
            let composite = digit(String(line1.dropFirst(5)) + birth + digit(birth) + expiry + digit(expiry) + pad(optional2, 11))
            lines = [line1, line2Head + composite, name]
        }
        try self.init(lines: lines)
    }

    /// Upper case, spaces and hyphens as fillers; refuses anything else outside A–Z (and 0–9 when allowed).
    static func mrzText(_ text: String, field: String, allowDigits: Bool) throws -> String {
        var out = ""
        for character in text.uppercased() {
            switch character {
            case "A"..."Z", "<": out.append(character)
            case "0"..."9" where allowDigits: out.append(character)
            case " ", "-": out.append("<")
            default:
                throw LDSError.invalid("MRZ \(field)", "'\(text)' holds '\(character)', which the MRZ cannot carry (transliterate it first, Doc 9303-3 §6)")
            }
        }
        return out
    }

    static func code(_ text: String, field: String) throws -> String {
        let code = try mrzText(text, field: field, allowDigits: false)
        guard (1...3).contains(code.count) else {
            throw LDSError.invalid("MRZ \(field)", "'\(text)' is not a code of one to three letters")
        }
        return code + String(repeating: "<", count: 3 - code.count)
    }

    static func date(_ text: String, field: String) throws -> String {
        let date = text.uppercased()
        guard date.count == 6, date.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "<") }) else {
            throw LDSError.invalid("MRZ \(field)", "'\(text)' is not YYMMDD")
        }
        return date
    }

    static func nameField(primary: String, secondary: String, length: Int) throws -> String {
        func clean(_ text: String, _ which: String) throws -> String {
            let dropped = text.replacingApostrophes()
            let words = dropped.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "<" })
            return try words.map { try mrzText(String($0), field: which, allowDigits: false) }.joined(separator: "<")
        }
        let surname = try clean(primary, "primary identifier")
        let given = try clean(secondary, "secondary identifier")
        guard !surname.isEmpty || !given.isEmpty else { throw LDSError.invalid("MRZ name", "both name parts are empty") }
        let name = given.isEmpty ? surname : surname + "<<" + given
        guard name.count <= length else {
            throw LDSError.invalid("MRZ name", "'\(name)' is \(name.count) characters; the field holds \(length) (truncate as Doc 9303-3 §4.6 says)")
        }
        return name + String(repeating: "<", count: length - name.count)
    }
}

extension String {
    fileprivate func replacingApostrophes() -> String {
        String(filter { $0 != "'" && $0 != "\u{2019}" })
    }
}

extension MRZFields {
    enum CodingKeys: String, CodingKey {
        case format, documentCode, issuingState, primaryIdentifier, secondaryIdentifier, documentNumber, nationality
        case dateOfBirth, sex, dateOfExpiry, optionalData, optionalData2
    }

    /// As a document order gives the fields (JSON): the optional data may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .format)
        guard let format = MRZFormat(rawValue: name.uppercased()) else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: container, debugDescription: "'\(name)' is not TD1, TD2 or TD3")
        }
        self.init(
            format: format, documentCode: try container.decode(String.self, forKey: .documentCode),
            issuingState: try container.decode(String.self, forKey: .issuingState),
            primaryIdentifier: try container.decode(String.self, forKey: .primaryIdentifier),
            secondaryIdentifier: try container.decode(String.self, forKey: .secondaryIdentifier),
            documentNumber: try container.decode(String.self, forKey: .documentNumber),
            nationality: try container.decode(String.self, forKey: .nationality), dateOfBirth: try container.decode(String.self, forKey: .dateOfBirth),
            sex: try container.decode(String.self, forKey: .sex), dateOfExpiry: try container.decode(String.self, forKey: .dateOfExpiry),
            optionalData: try container.decodeIfPresent(String.self, forKey: .optionalData) ?? "",
            optionalData2: try container.decodeIfPresent(String.self, forKey: .optionalData2) ?? "")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format.rawValue, forKey: .format)
        try container.encode(documentCode, forKey: .documentCode)
        try container.encode(issuingState, forKey: .issuingState)
        try container.encode(primaryIdentifier, forKey: .primaryIdentifier)
        try container.encode(secondaryIdentifier, forKey: .secondaryIdentifier)
        try container.encode(documentNumber, forKey: .documentNumber)
        try container.encode(nationality, forKey: .nationality)
        try container.encode(dateOfBirth, forKey: .dateOfBirth)
        try container.encode(sex, forKey: .sex)
        try container.encode(dateOfExpiry, forKey: .dateOfExpiry)
        if !optionalData.isEmpty { try container.encode(optionalData, forKey: .optionalData) }
        if !optionalData2.isEmpty { try container.encode(optionalData2, forKey: .optionalData2) }
    }
}
