/// A data group of the eMRTD application, with the tag, file identifier and short file identifier of
/// Doc 9303-10 §4.6 (Table 35 "LDS1 Elementary Files").
///
/// ```
/// DataGroupNumber ::= INTEGER { dataGroup1 (1), ... dataGroup16 (16) }
///
/// file     FID   SFI  tag          file     FID   SFI  tag
/// DG1      0101  01   61           DG9      0109  09   69
/// DG2      0102  02   75           DG10     010A  0A   6A
/// DG3      0103  03   63           DG11     010B  0B   6B
/// DG4      0104  04   76           DG12     010C  0C   6C
/// DG5      0105  05   65           DG13     010D  0D   6D
/// DG6      0106  06   66           DG14     010E  0E   6E
/// DG7      0107  07   67           DG15     010F  0F   6F
/// DG8      0108  08   68           DG16     0110  10   70
/// EF.COM   011E  1E   60           EF.SOD   011D  1D   77
/// ```
/// DG2 and DG4 break the 0x60 + n pattern (0x75, 0x76): they are the CBEFF-wrapped biometric groups.
public struct DataGroupNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: Int

    public static let range = 1...16

    public init?(_ value: Int) {
        guard Self.range.contains(value) else { return nil }
        self.value = value
    }

    /// The data group whose file starts with `tag`, nil for EF.COM, EF.SOD and anything else.
    public init?(tag: UInt32) {
        guard let index = Self.tags.firstIndex(of: tag) else { return nil }
        self.value = index + 1
    }

    static let tags: [UInt32] = [0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70]

    /// The tag of the file's outermost TLV.
    public var tag: UInt32 { Self.tags[value - 1] }
    /// File identifier in the eMRTD application (0101 … 0110).
    public var fileIdentifier: UInt16 { UInt16(0x0100 + value) }
    public var shortFileIdentifier: UInt8 { UInt8(value) }

    public var description: String { "DG\(value)" }

    /// What Doc 9303-10 §4.7 stores in the group.
    public var contents: String {
        switch value {
        case 1: "Machine Readable Zone"
        case 2: "encoded face"
        case 3: "encoded fingers"
        case 4: "encoded irises"
        case 5: "displayed portrait"
        case 6: "reserved for future use"
        case 7: "displayed signature or usual mark"
        case 8: "data features"
        case 9: "structure features"
        case 10: "substance features"
        case 11: "additional personal details"
        case 12: "additional document details"
        case 13: "optional details"
        case 14: "security options (SecurityInfos)"
        case 15: "Active Authentication public key"
        default: "persons to notify"
        }
    }

    public static func < (lhs: DataGroupNumber, rhs: DataGroupNumber) -> Bool { lhs.value < rhs.value }
}

/// The other files of the eMRTD application and the master file that epki reads (Doc 9303-10 §3.11, §4.6).
public enum LDSFileTag {
    /// EF.COM, tag 0x60 ([APPLICATION 0], constructed).
    public static let com: UInt32 = 0x60
    /// EF.SOD, tag 0x77 ([APPLICATION 23], constructed).
    public static let sod: UInt32 = 0x77
    public static let comFileIdentifier: UInt16 = 0x011E
    public static let sodFileIdentifier: UInt16 = 0x011D
    /// EF.CardAccess and EF.CardSecurity live in the master file, not the eMRTD application.
    public static let cardAccessFileIdentifier: UInt16 = 0x011C
    public static let cardSecurityFileIdentifier: UInt16 = 0x011D
}
