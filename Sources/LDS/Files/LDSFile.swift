/// Any LDS file, recognised by its first tag (Doc 9303-10 Table 35; EF.CardAccess and EF.CardSecurity by their
/// ASN.1 SET and SEQUENCE). For tools that are handed a file without being told what it is (`epki lds show`).
public enum LDSFile: Sendable {
    case com(EFCOM)
    case dg1(DG1)
    case dg2(DG2)
    case dg3(DG3)
    case dg11(DG11)
    case dg12(DG12)
    case dg14(DG14)
    case dg15(DG15)
    case sod(EFSOD)
    case cardAccess(EFCardAccess)
    case cardSecurity(EFCardSecurity)
    /// DG4 to DG10, DG13 and DG16: their content is not modelled; the file is kept as its TLV.
    case otherDataGroup(DataGroupNumber, BERTLV)

    public init(bytes: [UInt8]) throws {
        guard let first = bytes.first else { throw LDSError.malformed("LDS file", "the file is empty") }
        switch UInt32(first) {
        case EFCOM.tag: self = .com(try EFCOM(bytes: bytes))
        case DG1.tag: self = .dg1(try DG1(bytes: bytes))
        case DG2.tag: self = .dg2(try DG2(bytes: bytes))
        case DG3.tag: self = .dg3(try DG3(bytes: bytes))
        case DG11.tag: self = .dg11(try DG11(bytes: bytes))
        case DG12.tag: self = .dg12(try DG12(bytes: bytes))
        case DG14.tag: self = .dg14(try DG14(bytes: bytes))
        case DG15.tag: self = .dg15(try DG15(bytes: bytes))
        case EFSOD.tag: self = .sod(try EFSOD(bytes: bytes))
        case 0x31: self = .cardAccess(try EFCardAccess(bytes: bytes))
        case 0x30: self = .cardSecurity(try EFCardSecurity(bytes: bytes))
        default:
            guard let number = DataGroupNumber(tag: UInt32(first)) else {
                throw LDSError.malformed("LDS file", "tag \(BERTLV.tagHex(UInt32(first))) starts no LDS file (EF.COM 60, DG1 61 … DG16 70, EF.SOD 77, EF.CardAccess 31, EF.CardSecurity 30)")
            }
            self = .otherDataGroup(number, try BERTLV.parseSingle(bytes[...], what: "\(number)"))
        }
    }

    public func encode() throws -> [UInt8] {
        switch self {
        case .com(let file): file.encode()
        case .dg1(let file): file.encode()
        case .dg2(let file): file.encode()
        case .dg3(let file): file.encode()
        case .dg11(let file): file.encode()
        case .dg12(let file): file.encode()
        case .dg14(let file): try file.encode()
        case .dg15(let file): try file.encode()
        case .sod(let file): try file.encode()
        case .cardAccess(let file): try file.encode()
        case .cardSecurity(let file): try file.encode()
        case .otherDataGroup(_, let tlv): tlv.encoded
        }
    }

    /// "DG1", "EF.SOD", …
    public var name: String {
        switch self {
        case .com: "EF.COM"
        case .dg1: "DG1"
        case .dg2: "DG2"
        case .dg3: "DG3"
        case .dg11: "DG11"
        case .dg12: "DG12"
        case .dg14: "DG14"
        case .dg15: "DG15"
        case .sod: "EF.SOD"
        case .cardAccess: "EF.CardAccess"
        case .cardSecurity: "EF.CardSecurity"
        case .otherDataGroup(let number, _): number.description
        }
    }

    /// The data group number, for data groups.
    public var dataGroup: DataGroupNumber? {
        switch self {
        case .dg1: DataGroupNumber(1)
        case .dg2: DataGroupNumber(2)
        case .dg3: DataGroupNumber(3)
        case .dg11: DataGroupNumber(11)
        case .dg12: DataGroupNumber(12)
        case .dg14: DataGroupNumber(14)
        case .dg15: DataGroupNumber(15)
        case .otherDataGroup(let number, _): number
        case .com, .sod, .cardAccess, .cardSecurity: nil
        }
    }
}
