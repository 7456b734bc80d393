/// Data Group 12, additional document details (Doc 9303-10 §4.7.12).
///
/// ```
/// 6C L
///    5C L <tags>                       tag list of the elements present
///    5F19 L  issuing authority
///    5F26 L  date of issue             CCYYMMDD
///    A0 L                              other persons
///       02 01 n                        number of other persons
///       5F1A L  name of other person   n times
///    5F1B L  endorsements, observations
///    5F1C L  tax or exit requirements
///    5F1D L  image of front of document
///    5F1E L  image of rear of document
///    5F55 L  date and time of personalization  CCYYMMDDhhmmss
///    5F56 L  serial number of the personalization system
/// ```
public struct DG12: Hashable, Sendable {
    public static let tag: UInt32 = 0x6C

    public enum Field: UInt32, CaseIterable, Sendable {
        case issuingAuthority = 0x5F19
        case dateOfIssue = 0x5F26
        case endorsementsAndObservations = 0x5F1B
        case taxOrExitRequirements = 0x5F1C
        case imageOfFront = 0x5F1D
        case imageOfRear = 0x5F1E
        case personalizationDateTime = 0x5F55
        case personalizationSystemSerialNumber = 0x5F56

        public var name: String {
            switch self {
            case .issuingAuthority: "issuing authority"
            case .dateOfIssue: "date of issue"
            case .endorsementsAndObservations: "endorsements and observations"
            case .taxOrExitRequirements: "tax or exit requirements"
            case .imageOfFront: "image of front"
            case .imageOfRear: "image of rear"
            case .personalizationDateTime: "date and time of personalization"
            case .personalizationSystemSerialNumber: "personalization system serial number"
            }
        }
    }

    static let otherPersonTag: UInt32 = 0x5F1A
    var template: DataElementTemplate

    public init() {
        template = DataElementTemplate(fileTag: Self.tag, repeatedTag: Self.otherPersonTag, elements: [])
    }

    public init(bytes: [UInt8]) throws {
        template = try DataElementTemplate(bytes: bytes, fileTag: Self.tag, repeatedTag: Self.otherPersonTag, what: "DG12")
    }

    public func encode() -> [UInt8] { template.encode() }

    public subscript(field: Field) -> String? {
        get { template.string(field.rawValue) }
        set { template.set(field.rawValue, newValue) }
    }

    public func bytes(_ field: Field) -> [UInt8]? { template.value(field.rawValue).map(Array.init) }

    public mutating func setBytes(_ field: Field, _ value: [UInt8]?) { template.set(field.rawValue, value) }

    public var otherPersons: [String] {
        get { template.repeatedStrings }
        set { template.setRepeated(newValue) }
    }

    public var tagList: [UInt32] { template.tagList }
    public var elements: [BERTLV] { template.elements }
    public var findings: [String] { template.findings }
}
