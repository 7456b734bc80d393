import PKICore
/// A Certification Authority Reference or Certificate Holder Reference (BSI TR-03110-3 §A.6.1): how CV
/// certificates name CVCAs, DVs and terminals, e.g. `DECVCAEPASS00102`.
///
/// ```
/// Country Code     2 characters, ISO 3166-1 alpha-2
/// Holder Mnemonic  up to 9 characters (ISO/IEC 8859-1 alphanumerics)
/// Sequence Number  5 characters; the next certificate of the same holder increments it
/// ```
/// Stored in tags 42 (CAR) and 5F20 (CHR) as the characters themselves.
public struct CertificationAuthorityReference: Hashable, Sendable, CustomStringConvertible {
    public var countryCode: String
    public var holderMnemonic: String
    public var sequenceNumber: String

    public init(countryCode: String, holderMnemonic: String, sequenceNumber: String) throws {
        guard countryCode.count == 2, countryCode.allSatisfy({ $0.isASCII && $0.isLetter && $0.isUppercase }) else {
            throw CVCError(.invalidReference, "country code '\(countryCode)' must be two upper-case letters")
        }
        guard holderMnemonic.count <= 9, holderMnemonic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw CVCError(.invalidReference, "holder mnemonic '\(holderMnemonic)' must be at most 9 letters or digits")
        }
        guard sequenceNumber.count == 5, sequenceNumber.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw CVCError(.invalidReference, "sequence number '\(sequenceNumber)' must be 5 letters or digits")
        }
        self.countryCode = countryCode
        self.holderMnemonic = holderMnemonic
        self.sequenceNumber = sequenceNumber
    }

    /// Splits an encoded reference: the first two characters are the country, the last five the sequence number.
    public init(encoded bytes: some Collection<UInt8>) throws {
        guard (7...16).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw CVCError(.invalidReference, "a reference holds 7 to 16 printable characters, found \(bytes.count) bytes")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        try self.init(
            countryCode: String(text.prefix(2)), holderMnemonic: String(text.dropFirst(2).dropLast(5)),
            sequenceNumber: String(text.suffix(5)))
    }

    public var description: String { countryCode + holderMnemonic + sequenceNumber }
    public var encoded: [UInt8] { Array(description.utf8) }

    /// The reference of the holder's next key: the sequence number plus one, keeping any alphabetic prefix
    /// (TR-03110 lets the first characters of a sequence number be letters, e.g. a country prefix).
    public func successor() throws -> CertificationAuthorityReference {
        let digits = sequenceNumber.reversed().prefix(while: \.isNumber).count
        guard digits > 0 else { throw CVCError(.invalidReference, "sequence number '\(sequenceNumber)' has no numeric part") }
        let prefix = sequenceNumber.dropLast(digits)
        guard let value = Int(sequenceNumber.suffix(digits)) else {
            throw CVCError(.invalidReference, "sequence number '\(sequenceNumber)' is not numeric")
        }
        let next = String(value + 1)
        guard next.count <= digits else {
            throw CVCError(.invalidReference, "sequence number '\(sequenceNumber)' cannot be incremented further")
        }
        return try CertificationAuthorityReference(
            countryCode: countryCode, holderMnemonic: holderMnemonic,
            sequenceNumber: prefix + String(repeating: "0", count: digits - next.count) + next)
    }
}
