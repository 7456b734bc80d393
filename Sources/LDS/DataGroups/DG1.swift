/// Data Group 1, the machine readable zone (Doc 9303-10 §4.7.1).
///
/// ```
/// 61 L                 DG1 (application 1, constructed)
///    5F1F L <MRZ>      the zone's lines concatenated: 90 (TD1), 72 (TD2) or 88 (TD3) characters
/// ```
public struct DG1: Hashable, Sendable {
    public static let tag: UInt32 = 0x61
    public static let mrzTag: UInt32 = 0x5F1F

    public var mrz: MRZ
    /// Length forms as read, so that a file with non-minimal lengths encodes back to the same bytes.
    private var outerLengthOctets: Int?
    private var innerLengthOctets: Int?

    public init(mrz: MRZ) {
        self.mrz = mrz
    }

    public init(bytes: [UInt8]) throws {
        let outer = try BERTLV.parseSingle(bytes[...], what: "DG1")
        guard outer.tag == Self.tag else {
            throw LDSError.malformed("DG1", "starts with tag \(outer.tagHex), expected 61")
        }
        let children = try outer.children("DG1")
        guard let inner = children.first(where: { $0.tag == Self.mrzTag }) else {
            throw LDSError.malformed("DG1", "the MRZ data object 5F1F is missing")
        }
        guard children.count == 1 else {
            throw LDSError.malformed("DG1", "holds \(children.count) data objects; only 5F1F is defined")
        }
        do {
            mrz = try MRZ(string: inner.stringValue)
        } catch let error as LDSError {
            throw LDSError.malformed("DG1", "5F1F at offset \(inner.offset): \(error.reason)")
        }
        outerLengthOctets = outer.lengthOctetCount
        innerLengthOctets = inner.lengthOctetCount
    }

    public func encode() -> [UInt8] {
        var inner = BERTLV(tag: Self.mrzTag, string: mrz.string)
        inner.lengthOctetCount = innerLengthOctets
        var outer = BERTLV(tag: Self.tag, value: inner.encoded)
        outer.lengthOctetCount = outerLengthOctets
        return outer.encoded
    }
}
