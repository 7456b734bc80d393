/// The two status bytes that end every response (ISO/IEC 7816-4 §5.6), with the names the standard and Doc 9303-11
/// give them, so that logs and errors say "6982 security status not satisfied" rather than a bare number.
public struct StatusWord: Hashable, Sendable, CustomStringConvertible {
    public let sw1: UInt8
    public let sw2: UInt8

    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    public init(_ value: UInt16) {
        self.init(sw1: UInt8(value >> 8), sw2: UInt8(value & 0xFF))
    }

    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }
    public var bytes: [UInt8] { [sw1, sw2] }

    public static let success = StatusWord(0x9000)
    public static let warningNoInformation = StatusWord(0x6200)
    public static let endOfFileReached = StatusWord(0x6282)
    public static let verificationFailed = StatusWord(0x6300)
    public static let memoryFailure = StatusWord(0x6581)
    public static let wrongLength = StatusWord(0x6700)
    public static let secureMessagingNotSupported = StatusWord(0x6882)
    public static let commandNotAllowed = StatusWord(0x6900)
    public static let commandIncompatibleWithFileStructure = StatusWord(0x6981)
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    public static let authenticationMethodBlocked = StatusWord(0x6983)
    public static let referenceDataNotUsable = StatusWord(0x6984)
    public static let conditionsOfUseNotSatisfied = StatusWord(0x6985)
    public static let commandNotAllowedNoCurrentEF = StatusWord(0x6986)
    public static let expectedSecureMessagingObjectsMissing = StatusWord(0x6987)
    public static let incorrectSecureMessagingObjects = StatusWord(0x6988)
    public static let incorrectParametersInData = StatusWord(0x6A80)
    public static let functionNotSupported = StatusWord(0x6A81)
    public static let fileNotFound = StatusWord(0x6A82)
    public static let recordNotFound = StatusWord(0x6A83)
    public static let notEnoughMemory = StatusWord(0x6A84)
    public static let incorrectP1P2 = StatusWord(0x6A86)
    public static let referencedDataNotFound = StatusWord(0x6A88)
    public static let fileAlreadyExists = StatusWord(0x6A89)
    public static let wrongP1P2 = StatusWord(0x6B00)
    public static let instructionNotSupported = StatusWord(0x6D00)
    public static let classNotSupported = StatusWord(0x6E00)
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    public var isSuccess: Bool { self == .success }
    /// 61xx: xx more bytes wait for GET RESPONSE.
    public var bytesRemaining: Int? { sw1 == 0x61 ? (sw2 == 0 ? 256 : Int(sw2)) : nil }
    /// 6Cxx: wrong Le, xx is the right one.
    public var correctLength: Int? { sw1 == 0x6C ? (sw2 == 0 ? 256 : Int(sw2)) : nil }

    /// The standard's name of this status word, or of its group.
    public var name: String {
        switch value {
        case 0x9000: return "success"
        case 0x6200: return "warning: no information given"
        case 0x6281: return "warning: part of returned data may be corrupted"
        case 0x6282: return "warning: end of file reached before Le bytes"
        case 0x6300: return "verification failed"
        case 0x6581: return "memory failure"
        case 0x6700: return "wrong length"
        case 0x6881: return "logical channel not supported"
        case 0x6882: return "secure messaging not supported"
        case 0x6883: return "last command of the chain expected"
        case 0x6884: return "command chaining not supported"
        case 0x6900: return "command not allowed"
        case 0x6981: return "command incompatible with file structure"
        case 0x6982: return "security status not satisfied"
        case 0x6983: return "authentication method blocked"
        case 0x6984: return "reference data not usable"
        case 0x6985: return "conditions of use not satisfied"
        case 0x6986: return "command not allowed (no current EF)"
        case 0x6987: return "expected secure messaging data objects missing"
        case 0x6988: return "incorrect secure messaging data objects"
        case 0x6A80: return "incorrect parameters in the data field"
        case 0x6A81: return "function not supported"
        case 0x6A82: return "file or application not found"
        case 0x6A83: return "record not found"
        case 0x6A84: return "not enough memory space in the file"
        case 0x6A86: return "incorrect parameters P1-P2"
        case 0x6A88: return "referenced data not found"
        case 0x6A89: return "file already exists"
        case 0x6B00: return "wrong parameters P1-P2"
        case 0x6D00: return "instruction not supported"
        case 0x6E00: return "class not supported"
        case 0x6F00: return "no precise diagnosis"
        default: break
        }
        switch sw1 {
        case 0x61: return "\(bytesRemaining ?? 0) more bytes available"
        case 0x6C: return "wrong Le: \(correctLength ?? 0) bytes available"
        case 0x63 where sw2 & 0xF0 == 0xC0: return "verification failed, \(sw2 & 0x0F) tries left"
        case 0x62, 0x63: return "warning"
        case 0x64, 0x65: return "execution error"
        case 0x67: return "wrong length"
        case 0x68: return "functions in CLA not supported"
        case 0x69: return "command not allowed"
        case 0x6A: return "wrong parameters"
        default: return "unknown status"
        }
    }

    /// "6982 security status not satisfied".
    public var description: String {
        let hex = String(value, radix: 16, uppercase: true)
        return "\(String(repeating: "0", count: 4 - hex.count))\(hex) \(name)"
    }
}
