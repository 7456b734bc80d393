import LDS
import PKICore

/// The BAC key seed of ICAO Doc 9303-11 §9.7.2 (and the MRZ password of PACE): the document number, date of birth
/// and date of expiry of the MRZ, each followed by its check digit.
///
/// ```
/// MRZ_information = document number (padded with '<' to 9) ‖ check digit ‖ date of birth (YYMMDD) ‖ check digit
///                   ‖ date of expiry (YYMMDD) ‖ check digit
/// K_seed          = first 16 bytes of SHA-1(MRZ_information)
/// K_Enc, K_MAC    = KDF(K_seed, 1), KDF(K_seed, 2) with 3DES
/// ```
/// A document number of more than nine characters continues in the optional data of a TD1 MRZ; the key takes the
/// whole number here, with the check digit the MRZ gives for it.
public struct BACKey: Hashable, Sendable {
    public let documentNumber: String
    public let dateOfBirth: String
    public let dateOfExpiry: String

    public init(documentNumber: String, dateOfBirth: String, dateOfExpiry: String) throws {
        let number = String(documentNumber.uppercased().map { $0 == " " ? "<" : $0 })
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "<") }) else {
            throw ChipAccessError(.invalidValue, "document number '\(documentNumber)' is not MRZ characters (A-Z, 0-9, <)")
        }
        for (name, date) in [("date of birth", dateOfBirth), ("date of expiry", dateOfExpiry)] {
            guard date.count == 6, date.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ChipAccessError(.invalidValue, "\(name) '\(date)' is not YYMMDD")
            }
        }
        self.documentNumber = number.count < 9 ? number + String(repeating: "<", count: 9 - number.count) : number
        self.dateOfBirth = dateOfBirth
        self.dateOfExpiry = dateOfExpiry
    }

    /// The MRZ information with its three check digits.
    public var mrzInformation: String {
        func withCheckDigit(_ field: String) -> String { field + String(MRZCheckDigit.compute(field) ?? "0") }
        return withCheckDigit(documentNumber) + withCheckDigit(dateOfBirth) + withCheckDigit(dateOfExpiry)
    }

    public var keySeed: [UInt8] {
        get throws { Array(try HashAlgorithm.sha1.hash(Array(mrzInformation.utf8)).prefix(16)) }
    }

    /// K_Enc and K_MAC for the BAC exchange.
    public var keys: SecureMessagingKeys {
        get throws { try SecureMessagingKeys(seed: keySeed, cipher: .tripleDES) }
    }
}
