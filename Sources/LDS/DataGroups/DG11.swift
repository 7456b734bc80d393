/// Data Group 11, additional personal details (Doc 9303-10 §4.7.11).
///
/// ```
/// 6B L
///    5C L <tags>                tag list of the elements present
///    5F0E L  full name          primary and secondary identifiers, "<<" between them
///    A0 L                       other names
///       02 01 n                 number of other names
///       5F0F L  other name      n times
///    5F10 L  personal number
///    5F2B L  full date of birth CCYYMMDD
///    5F11 L  place of birth     "<" between parts
///    5F42 L  permanent address  "<" between parts
///    5F12 L  telephone
///    5F13 L  profession
///    5F14 L  title
///    5F15 L  personal summary
///    5F16 L  proof of citizenship (an image)
///    5F17 L  other valid TD numbers
///    5F18 L  custody information
/// ```
public struct DG11: Hashable, Sendable {
    public static let tag: UInt32 = 0x6B

    public enum Field: UInt32, CaseIterable, Sendable {
        case fullName = 0x5F0E
        case personalNumber = 0x5F10
        case fullDateOfBirth = 0x5F2B
        case placeOfBirth = 0x5F11
        case permanentAddress = 0x5F42
        case telephone = 0x5F12
        case profession = 0x5F13
        case title = 0x5F14
        case personalSummary = 0x5F15
        case proofOfCitizenship = 0x5F16
        case otherValidTDNumbers = 0x5F17
        case custodyInformation = 0x5F18

        public var name: String {
            switch self {
            case .fullName: "full name"
            case .personalNumber: "personal number"
            case .fullDateOfBirth: "full date of birth"
            case .placeOfBirth: "place of birth"
            case .permanentAddress: "permanent address"
            case .telephone: "telephone"
            case .profession: "profession"
            case .title: "title"
            case .personalSummary: "personal summary"
            case .proofOfCitizenship: "proof of citizenship"
            case .otherValidTDNumbers: "other valid TD numbers"
            case .custodyInformation: "custody information"
            }
        }
    }

    static let otherNameTag: UInt32 = 0x5F0F
    var template: DataElementTemplate

    public init() {
        template = DataElementTemplate(fileTag: Self.tag, repeatedTag: Self.otherNameTag, elements: [])
    }

    public init(bytes: [UInt8]) throws {
        template = try DataElementTemplate(bytes: bytes, fileTag: Self.tag, repeatedTag: Self.otherNameTag, what: "DG11")
    }

    public func encode() -> [UInt8] { template.encode() }

    /// A field as text (nil when absent).
    public subscript(field: Field) -> String? {
        get { template.string(field.rawValue) }
        set { template.set(field.rawValue, newValue) }
    }

    /// A field's bytes, for the image in proof of citizenship.
    public func bytes(_ field: Field) -> [UInt8]? { template.value(field.rawValue).map(Array.init) }

    public mutating func setBytes(_ field: Field, _ value: [UInt8]?) { template.set(field.rawValue, value) }

    public var otherNames: [String] {
        get { template.repeatedStrings }
        set { template.setRepeated(newValue) }
    }

    /// The tags in the tag list, as read or as derived from the fields set.
    public var tagList: [UInt32] { template.tagList }

    /// The data elements in file order (for display of fields this type does not name).
    public var elements: [BERTLV] { template.elements }

    public var findings: [String] { template.findings }
}
