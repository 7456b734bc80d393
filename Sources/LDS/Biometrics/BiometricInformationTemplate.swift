/// One biometric instance of a CBEFF group (ISO/IEC 7816-11, Doc 9303-10 §4.7.2.1): a header and a data block.
///
/// ```
/// 7F60 L
///    A1 L            Biometric Header Template (see `BiometricHeaderTemplate`)
///    5F2E L <BDB>    biometric data block: an ISO/IEC 19794 record
///  or 7F2E L <BDB>   the same, enciphered (constructed; kept as bytes)
/// ```
public struct BiometricInformationTemplate: Hashable, Sendable {
    public static let tag: UInt32 = 0x7F60
    public static let dataBlockTag: UInt32 = 0x5F2E
    public static let encipheredDataBlockTag: UInt32 = 0x7F2E

    public var header: BiometricHeaderTemplate
    public var dataBlock: BiometricDataBlock
    /// 5F2E, or 7F2E for an enciphered block.
    public var dataBlockTag: UInt32
    private var lengthOctets: (outer: Int?, block: Int?) = (nil, nil)

    public init(header: BiometricHeaderTemplate, dataBlock: BiometricDataBlock) {
        self.header = header
        self.dataBlock = dataBlock
        self.dataBlockTag = Self.dataBlockTag
    }

    init(tlv: BERTLV, what: String) throws {
        guard tlv.tag == Self.tag else {
            throw LDSError.malformed(what, "biometric information template at offset \(tlv.offset) has tag \(tlv.tagHex), expected 7F60")
        }
        let children = try tlv.children(what)
        guard children.count == 2 else {
            throw LDSError.malformed(what, "biometric information template at offset \(tlv.offset) holds \(children.count) elements, expected a header and a data block")
        }
        header = try BiometricHeaderTemplate(tlv: children[0], what: what)
        let block = children[1]
        guard block.tag == Self.dataBlockTag || block.tag == Self.encipheredDataBlockTag else {
            throw LDSError.malformed(what, "biometric data block at offset \(block.offset) has tag \(block.tagHex), expected 5F2E or 7F2E")
        }
        dataBlockTag = block.tag
        dataBlock = block.tag == Self.encipheredDataBlockTag ? .unparsed(Array(block.value), reason: "enciphered")
            : try BiometricDataBlock(bytes: Array(block.value), formatType: header.formatType, what: "\(what) at offset \(block.offset)")
        lengthOctets = (tlv.lengthOctetCount, block.lengthOctetCount)
    }

    var tlv: BERTLV {
        var block = BERTLV(tag: dataBlockTag, value: dataBlock.bytes)
        block.lengthOctetCount = lengthOctets.block
        var outer = BERTLV(tag: Self.tag, children: [header.tlv, block])
        outer.lengthOctetCount = lengthOctets.outer
        return outer
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.header == rhs.header && lhs.dataBlock == rhs.dataBlock && lhs.dataBlockTag == rhs.dataBlockTag
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(header)
        hasher.combine(dataBlock)
    }
}

/// The biometric data block of one instance, parsed when its format is one epki reads.
public enum BiometricDataBlock: Hashable, Sendable {
    case face(FacialRecord)
    case finger(FingerImageRecord)
    /// Kept as bytes: enciphered, or a format or version not parsed here (19794-5:2011, ISO/IEC 39794, iris).
    case unparsed([UInt8], reason: String)

    /// Reads the block by the format type of its header, or by its format identifier when the header has none.
    init(bytes: [UInt8], formatType: UInt16?, what: String) throws {
        do {
            if formatType == BiometricHeaderTemplate.faceFormatType || (formatType == nil && FacialRecord.isFacialRecord(bytes)) {
                self = .face(try FacialRecord(bytes: bytes))
            } else if formatType == BiometricHeaderTemplate.fingerFormatType || (formatType == nil && FingerImageRecord.isFingerImageRecord(bytes)) {
                self = .finger(try FingerImageRecord(bytes: bytes))
            } else {
                self = .unparsed(bytes, reason: "format type \(formatType.map { String($0, radix: 16) } ?? "absent") is not read")
            }
        } catch let error as LDSError where error.code == .unsupported {
            // A later edition of the record: keep it whole rather than refusing the data group.
            self = .unparsed(bytes, reason: error.reason)
        } catch let error as LDSError {
            throw LDSError.malformed(what, error.reason)
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .face(let record): record.encode()
        case .finger(let record): record.encode()
        case .unparsed(let bytes, _): bytes
        }
    }
}
