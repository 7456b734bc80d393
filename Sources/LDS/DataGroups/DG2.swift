/// Data Group 2, the encoded face (Doc 9303-10 §4.7.2): a CBEFF group of ISO/IEC 19794-5 face records.
///
/// ```
/// 75 L
///    7F61 L                       biometric information group template
///       02 01 n                   number of instances
///       7F60 L                    one per face
///          A1 L …                 biometric header template: 87 0101, 88 0008
///          5F2E L "FAC\0" …       ISO/IEC 19794-5 record, the image inside as JPEG or JPEG 2000
/// ```
public struct DG2: Hashable, Sendable {
    public static let tag: UInt32 = 0x75

    public var group: BiometricInformationGroupTemplate
    private var lengthOctets: Int?

    public init(group: BiometricInformationGroupTemplate) {
        self.group = group
    }

    /// One instance per face record, each with the ICAO header for faces.
    public init(faces: [FacialRecord]) {
        let header = BiometricHeaderTemplate(
            biometricType: BiometricHeaderTemplate.faceBiometricType, formatType: BiometricHeaderTemplate.faceFormatType)
        self.init(group: BiometricInformationGroupTemplate(
            instances: faces.map { BiometricInformationTemplate(header: header, dataBlock: .face($0)) }))
    }

    public init(bytes: [UInt8]) throws {
        (group, lengthOctets) = try BiometricDataGroup.decode(bytes, tag: Self.tag, what: "DG2")
    }

    public func encode() -> [UInt8] {
        BiometricDataGroup.encode(group, tag: Self.tag, lengthOctets: lengthOctets)
    }

    /// The face records that were parsed; unparsed blocks are in `group`.
    public var faces: [FacialRecord] {
        group.instances.compactMap { if case .face(let record) = $0.dataBlock { record } else { nil } }
    }
}
