/// The check digit of Doc 9303-3 §4.9: each character valued (0–9 as digits, A–Z as 10–35, the filler `<` as 0),
/// multiplied by the repeating weights 7, 3, 1, summed, modulo 10.
///
/// ```
/// field    L  8  9  8  9  0  2  C  3
/// value   21  8  9  8  9  0  2 12  3
/// weight   7  3  1  7  3  1  7  3  1
/// sum 147+24+9+56+27+0+14+36+3 = 316  ->  check digit 6
/// ```
public enum MRZCheckDigit {
    /// The check digit character ("0"–"9") over `field`; nil when a character is outside the MRZ set A–Z 0–9 <.
    public static func compute(_ field: some StringProtocol) -> Character? {
        compute(bytes: field.utf8).map { Character(Unicode.Scalar($0)) }
    }

    /// The same over ASCII bytes, returning the ASCII digit.
    static func compute(bytes: some Sequence<UInt8>) -> UInt8? {
        var digit = Accumulator()
        digit.add(bytes)
        return digit.checkDigit
    }

    /// The running sum over a field given in pieces (the composite check digit covers several ranges of a line,
    /// the weights running on across them).
    struct Accumulator {
        private var sum = 0
        private var weight = 7
        private var valid = true

        mutating func add(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                guard let value = MRZCheckDigit.value(of: byte) else {
                    valid = false
                    continue
                }
                sum += value * weight
                weight = weight == 7 ? 3 : (weight == 3 ? 1 : 7)
            }
        }

        /// The ASCII digit; nil when a character was outside the MRZ set.
        var checkDigit: UInt8? { valid ? UInt8(ascii: "0") + UInt8(sum % 10) : nil }
    }

    static func value(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        case UInt8(ascii: "<"): 0
        default: nil
        }
    }

    /// Whether `byte` belongs to the MRZ character set (Doc 9303-3 §4.3: A–Z, 0–9 and the filler).
    static func isMRZCharacter(_ byte: UInt8) -> Bool { value(of: byte) != nil }
}
