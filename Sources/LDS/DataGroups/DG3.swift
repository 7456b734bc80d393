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

    /// One instance per finger record, each with the ICAO header for finger images.
    public init(fingers: [FingerImageRecord]) {
        let header = BiometricHeaderTemplate(
            biometricType: BiometricHeaderTemplate.fingerBiometricType, formatType: BiometricHeaderTemplate.fingerFormatType)
        self.init(group: BiometricInformationGroupTemplate(
            instances: fingers.map { BiometricInformationTemplate(header: header, dataBlock: .finger($0)) }))
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
