/// Data Group 3, the encoded fingers (Doc 9303-10 §4.7.3): the same CBEFF container as DG2 holding
/// ISO/IEC 19794-4 finger image records. Readable only after Terminal Authentication (EAC).
///
/// ```
/// 63 L
///    7F61 L                       biometric information group template
///       02 01 n                   number of instances
///       7F60 L                    one per record
///          A1 L …                 biometric header template: 81 08, 82 <finger>, 87 0101, 88 0007
///          5F2E L "FIR\0" …       ISO/IEC 19794-4 record (WSQ or JPEG 2000 images inside)
/// ```
public struct DG3: Hashable, Sendable {
    public static let tag: UInt32 = 0x63

    public var group: BiometricInformationGroupTemplate
    private var lengthOctets: Int?

    public init(group: BiometricInformationGroupTemplate) {
        self.group = group
    }

    /// One instance per finger record, each with the ICAO header for finger images and the biometric subtype of the
    /// record's finger (`biometricSubtype(position:)`; 00, no information, when the record holds several fingers),
    /// which inspection systems tested to BSI TR-03105 Part 5.1 expect (LDS_D_13).
    public init(fingers: [FingerImageRecord]) {
        self.init(group: BiometricInformationGroupTemplate(instances: fingers.map { record in
            let positions = Set(record.fingers.map(\.position))
            let subtype = positions.count == 1 ? Self.biometricSubtype(position: positions.first ?? 0) : 0
            let header = BiometricHeaderTemplate(
                biometricType: BiometricHeaderTemplate.fingerBiometricType, subtype: subtype, formatType: BiometricHeaderTemplate.fingerFormatType)
            return BiometricInformationTemplate(header: header, dataBlock: .finger(record))
        }))
    }

    /// The CBEFF biometric subtype (ISO/IEC 19785-3) of an ISO/IEC 19794-4 finger position:
    ///
    /// ```
    /// position  1–5 right thumb, index, middle, ring, little;  6–10 the same of the left hand;  0, 11–15 unknown or
    ///           several fingers
    /// subtype   bit 1 right, bit 2 left; bits 3–5 the finger: 1 thumb, 2 index, 3 middle, 4 ring, 5 little; 00 no
    ///           information
    /// ```
    public static func biometricSubtype(position: UInt8) -> UInt8 {
        switch position {
        case 1...5: 0x01 | (position << 2)
        case 6...10: 0x02 | ((position - 5) << 2)
        default: 0x00
        }
    }

    public init(bytes: [UInt8]) throws {
        (group, lengthOctets) = try BiometricDataGroup.decode(bytes, tag: Self.tag, what: "DG3")
    }

    public func encode() -> [UInt8] {
        BiometricDataGroup.encode(group, tag: Self.tag, lengthOctets: lengthOctets)
    }

    public var fingerRecords: [FingerImageRecord] {
        group.instances.compactMap { if case .finger(let record) = $0.dataBlock { record } else { nil } }
    }
}
