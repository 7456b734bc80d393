/// The three machine readable zone layouts of Doc 9303 Parts 4 to 6, position by position (0-based here).
///
/// ```
/// TD3 (passport, 2 × 44)
///   line 1  0-1 document code · 2-4 issuing state · 5-43 name
///   line 2  0-8 document number · 9 cd · 10-12 nationality · 13-18 birth · 19 cd · 20 sex · 21-26 expiry
///           27 cd · 28-41 personal number (optional data) · 42 cd · 43 composite cd over 0-9, 13-19, 21-42
/// TD2 (2 × 36)
///   line 1  0-1 document code · 2-4 issuing state · 5-35 name
///   line 2  0-8 document number · 9 cd · 10-12 nationality · 13-18 birth · 19 cd · 20 sex · 21-26 expiry
///           27 cd · 28-34 optional data · 35 composite cd over 0-9, 13-19, 21-34
/// TD1 (card, 3 × 30)
///   line 1  0-1 document code · 2-4 issuing state · 5-13 document number · 14 cd · 15-29 optional data
///   line 2  0-5 birth · 6 cd · 7 sex · 8-13 expiry · 14 cd · 15-17 nationality · 18-28 optional data
///           29 composite cd over line 1 5-29, line 2 0-6, 8-14, 18-28
///   line 3  0-29 name
/// ```
/// A TD1 or TD2 document number longer than nine characters puts `<` in its check-digit position and
/// continues at the start of the optional data, followed by its check digit (Doc 9303-5 §4.2.4 note j,
/// Doc 9303-6 §4.2.2.2).
public enum MRZFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case td1 = "TD1"
    case td2 = "TD2"
    case td3 = "TD3"

    public var description: String { rawValue }

    public var lineCount: Int { self == .td1 ? 3 : 2 }

    public var lineLength: Int {
        switch self {
        case .td1: 30
        case .td2: 36
        case .td3: 44
        }
    }

    /// Characters in DG1's MRZ data object: the lines concatenated.
    public var totalLength: Int { lineCount * lineLength }

    public var nameLength: Int {
        switch self {
        case .td1: 30
        case .td2: 31
        case .td3: 39
        }
    }

    /// Length of the (first) optional data field: TD1 line 1, TD2 line 2, TD3's personal number.
    public var optionalDataLength: Int {
        switch self {
        case .td1: 15
        case .td2: 7
        case .td3: 14
        }
    }

    public init?(totalLength: Int) {
        guard let format = Self.allCases.first(where: { $0.totalLength == totalLength }) else { return nil }
        self = format
    }

    public init?(name: String) {
        guard let format = Self(rawValue: name.uppercased()) else { return nil }
        self = format
    }
}
