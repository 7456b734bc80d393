/// The Biometric Header Template of ISO/IEC 7816-11 as Doc 9303-10 §4.7.2.1 profiles it for DG2 to DG4.
///
/// ```
/// A1 L
///    80 02        ICAO header version, 0101                            optional
///    81 01..03    biometric type: 02 face, 08 finger, 10 iris          optional
///    82 01        biometric subtype (finger position bits, eye)        optional
///    83 07        creation date and time, BCD YYYYMMDDhhmmss            optional
///    85 08        validity period, BCD from YYYYMMDD to YYYYMMDD        optional
///    86 04        creator of the biometric reference data (PID)        optional
///    87 02        format owner: 0101 = ISO/IEC JTC 1 SC 37             mandatory
///    88 02        format type: 0008 face (19794-5), 0007 finger image  mandatory
/// ```
/// The elements are kept in the order read, unknown ones included, so the template encodes back to its bytes.
public struct BiometricHeaderTemplate: Hashable, Sendable {
    public static let tag: UInt32 = 0xA1

    public static let icaoHeaderVersionTag: UInt32 = 0x80
    public static let biometricTypeTag: UInt32 = 0x81
    public static let biometricSubtypeTag: UInt32 = 0x82
    public static let creationDateTimeTag: UInt32 = 0x83
    public static let validityPeriodTag: UInt32 = 0x85
    public static let creatorTag: UInt32 = 0x86
    public static let formatOwnerTag: UInt32 = 0x87
    public static let formatTypeTag: UInt32 = 0x88

    /// Format owner ISO/IEC JTC 1/SC 37 (CBEFF registry).
    public static let isoFormatOwner: UInt16 = 0x0101
    public static let faceFormatType: UInt16 = 0x0008
    public static let fingerFormatType: UInt16 = 0x0007
    public static let irisFormatType: UInt16 = 0x0009

    public static let faceBiometricType: UInt8 = 0x02
    public static let fingerBiometricType: UInt8 = 0x08
    public static let irisBiometricType: UInt8 = 0x10

    public var elements: [BERTLV]
    private var lengthOctets: Int?

    public init(elements: [BERTLV]) {
        self.elements = elements
    }

    /// The template epki writes: header version 0101, the biometric type, format owner and type.
    public init(biometricType: UInt8, subtype: UInt8? = nil, formatType: UInt16) {
        var elements = [BERTLV(tag: Self.icaoHeaderVersionTag, value: [0x01, 0x01]),
                        BERTLV(tag: Self.biometricTypeTag, value: [biometricType])]
        if let subtype { elements.append(BERTLV(tag: Self.biometricSubtypeTag, value: [subtype])) }
        elements.append(BERTLV(tag: Self.formatOwnerTag, value: [UInt8(Self.isoFormatOwner >> 8), UInt8(Self.isoFormatOwner & 0xFF)]))
        elements.append(BERTLV(tag: Self.formatTypeTag, value: [UInt8(formatType >> 8), UInt8(formatType & 0xFF)]))
        self.init(elements: elements)
    }

    init(tlv: BERTLV, what: String) throws {
        guard tlv.tag == Self.tag else {
            throw LDSError.malformed(what, "biometric header template at offset \(tlv.offset) has tag \(tlv.tagHex), expected A1")
        }
        elements = try tlv.children("\(what) biometric header template")
        lengthOctets = tlv.lengthOctetCount
    }

    var tlv: BERTLV {
        var tlv = BERTLV(tag: Self.tag, children: elements)
        tlv.lengthOctetCount = lengthOctets
        return tlv
    }

    public func value(_ tag: UInt32) -> ArraySlice<UInt8>? { elements.first { $0.tag == tag }?.value }

    private func number(_ tag: UInt32) -> UInt32? {
        value(tag).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    public var formatOwner: UInt16? { number(Self.formatOwnerTag).map { UInt16(truncatingIfNeeded: $0) } }
    public var formatType: UInt16? { number(Self.formatTypeTag).map { UInt16(truncatingIfNeeded: $0) } }
    public var biometricType: UInt32? { number(Self.biometricTypeTag) }
    public var biometricSubtype: UInt8? { value(Self.biometricSubtypeTag)?.first }
    public var icaoHeaderVersion: UInt16? { number(Self.icaoHeaderVersionTag).map { UInt16(truncatingIfNeeded: $0) } }
    /// The BCD creation date as hex digits ("20240131120000").
    public var creationDateTime: String? { value(Self.creationDateTimeTag)?.hexString }
}
