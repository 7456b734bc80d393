/// The CBEFF biometric group that DG2, DG3 and DG4 wrap (ISO/IEC 7816-11, Doc 9303-10 §4.7.2.1).
///
/// ```
/// 7F61 L                 Biometric Information Group Template
///    02 01 n             number of instances
///    7F60 L …            first Biometric Information Template
///    7F60 L …            … n in all
/// ```
public struct BiometricInformationGroupTemplate: Hashable, Sendable {
    public static let tag: UInt32 = 0x7F61
    static let countTag: UInt32 = 0x02

    public var instances: [BiometricInformationTemplate]
    /// The number-of-instances value as read; nil writes the actual count.
    private var declaredCount: Int?
    private var lengthOctets: (outer: Int?, count: Int?) = (nil, nil)

    public init(instances: [BiometricInformationTemplate]) {
        self.instances = instances
    }

    init(tlv: BERTLV, what: String) throws {
        guard tlv.tag == Self.tag else {
            throw LDSError.malformed(what, "biometric information group template at offset \(tlv.offset) has tag \(tlv.tagHex), expected 7F61")
        }
        let children = try tlv.children(what)
        guard let count = children.first, count.tag == Self.countTag, (1...2).contains(count.value.count) else {
            throw LDSError.malformed(what, "the group template does not start with the number of instances (tag 02)")
        }
        declaredCount = count.value.reduce(0) { $0 << 8 | Int($1) }
        instances = try children.dropFirst().map { try BiometricInformationTemplate(tlv: $0, what: what) }
        lengthOctets = (tlv.lengthOctetCount, count.lengthOctetCount)
    }

    var tlv: BERTLV {
        let count = declaredCount ?? instances.count
        var countElement = BERTLV(tag: Self.countTag, value: count > 0xFF ? [UInt8(count >> 8), UInt8(count & 0xFF)] : [UInt8(count)])
        countElement.lengthOctetCount = lengthOctets.count
        var outer = BERTLV(tag: Self.tag, children: [countElement] + instances.map(\.tlv))
        outer.lengthOctetCount = lengthOctets.outer
        return outer
    }

    /// Findings that do not stop reading: a number of instances that disagrees with the templates present.
    public var findings: [String] {
        if let declaredCount, declaredCount != instances.count {
            return ["the group announces \(declaredCount) instance(s) but holds \(instances.count)"]
        }
        return []
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.instances == rhs.instances && lhs.declaredCount == rhs.declaredCount
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(instances) }
}

/// The shape shared by DG2, DG3 and DG4: the file tag around one biometric group template.
enum BiometricDataGroup {
    static func decode(_ bytes: [UInt8], tag: UInt32, what: String) throws -> (BiometricInformationGroupTemplate, Int?) {
        let outer = try BERTLV.parseSingle(bytes[...], what: what)
        guard outer.tag == tag else {
            throw LDSError.malformed(what, "starts with tag \(outer.tagHex), expected \(BERTLV.tagHex(tag))")
        }
        let children = try outer.children(what)
        guard children.count == 1, let group = children.first else {
            throw LDSError.malformed(what, "holds \(children.count) elements, expected one biometric information group template (7F61)")
        }
        return (try BiometricInformationGroupTemplate(tlv: group, what: what), outer.lengthOctetCount)
    }

    static func encode(_ group: BiometricInformationGroupTemplate, tag: UInt32, lengthOctets: Int?) -> [UInt8] {
        var outer = BERTLV(tag: tag, children: [group.tlv])
        outer.lengthOctetCount = lengthOctets
        return outer.encoded
    }
}
