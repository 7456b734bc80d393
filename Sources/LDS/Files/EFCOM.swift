/// EF.COM, the common data elements: LDS and Unicode versions and the list of data groups present
/// (Doc 9303-10 §4.6.1). Kept by LDS 1.8 for older inspection systems; the security object does not cover it.
///
/// ```
/// 60 L                       EF.COM (application 0, constructed)
///    5F01 04 "aabb"          LDS version: "0107" = 1.7
///    5F36 06 "aabbcc"        Unicode version: "040000" = 4.0.0
///    5C L <tags>             one tag per data group present: 61 75 6E …
/// ```
/// Example of the Doc 9303-11 Appendix D.4 worked example: `60 14 5F01 04 30313036 5F36 06 303430303030 5C 02 6175`.
public struct EFCOM: Hashable, Sendable {
    public static let tag: UInt32 = 0x60
    static let ldsVersionTag: UInt32 = 0x5F01
    static let unicodeVersionTag: UInt32 = 0x5F36
    static let tagListTag: UInt32 = 0x5C

    /// "aabb", e.g. "0107".
    public var ldsVersion: String
    /// "aabbcc", e.g. "040000".
    public var unicodeVersion: String
    /// The data group tags in the order listed.
    public var tagList: [UInt8]
    private var layout: [BERTLV] = []

    public init(ldsVersion: String = "0107", unicodeVersion: String = "040000", dataGroups: [DataGroupNumber]) throws {
        try Self.checkVersion(ldsVersion, digits: 4, "LDS version")
        try Self.checkVersion(unicodeVersion, digits: 6, "Unicode version")
        self.ldsVersion = ldsVersion
        self.unicodeVersion = unicodeVersion
        self.tagList = dataGroups.sorted().map { UInt8($0.tag) }
    }

    static func checkVersion(_ text: String, digits: Int, _ what: String) throws {
        guard text.count == digits, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw LDSError.invalid("EF.COM \(what)", "'\(text)' is not \(digits) digits")
        }
    }

    /// The data groups the tag list names; tags that name no data group are left out (see `findings`).
    public var dataGroups: [DataGroupNumber] { tagList.compactMap { DataGroupNumber(tag: UInt32($0)) } }

    /// "1.7" from "0107".
    public var ldsVersionDisplay: String { Self.display(ldsVersion) }
    public var unicodeVersionDisplay: String { Self.display(unicodeVersion) }

    static func display(_ digits: String) -> String {
        var parts: [String] = []
        var rest = Substring(digits)
        while rest.count >= 2 {
            parts.append(String(Int(rest.prefix(2)) ?? 0))
            rest = rest.dropFirst(2)
        }
        return parts.isEmpty ? digits : parts.joined(separator: ".")
    }

    public init(bytes: [UInt8]) throws {
        let outer = try BERTLV.parseSingle(bytes[...], what: "EF.COM")
        guard outer.tag == Self.tag else { throw LDSError.malformed("EF.COM", "starts with tag \(outer.tagHex), expected 60") }
        let children = try outer.children("EF.COM")
        func required(_ tag: UInt32, _ name: String) throws -> BERTLV {
            guard let element = children.first(where: { $0.tag == tag }) else {
                throw LDSError.malformed("EF.COM", "\(name) (tag \(BERTLV.tagHex(tag))) is missing")
            }
            return element
        }
        ldsVersion = try required(Self.ldsVersionTag, "LDS version").stringValue
        unicodeVersion = try required(Self.unicodeVersionTag, "Unicode version").stringValue
        tagList = Array(try required(Self.tagListTag, "tag list").value)
        var layout = [outer]
        layout.append(contentsOf: children)
        self.layout = layout
    }

    public func encode() -> [UInt8] {
        var children = [
            BERTLV(tag: Self.ldsVersionTag, string: ldsVersion),
            BERTLV(tag: Self.unicodeVersionTag, string: unicodeVersion),
            BERTLV(tag: Self.tagListTag, value: tagList),
        ]
        // Keep the order and length forms of the file read, and any element this version does not know.
        if layout.count > 1 {
            var ordered: [BERTLV] = []
            for old in layout.dropFirst() {
                if let index = children.firstIndex(where: { $0.tag == old.tag }) {
                    var element = children.remove(at: index)
                    element.lengthOctetCount = old.lengthOctetCount
                    ordered.append(element)
                } else {
                    ordered.append(old)
                }
            }
            children = ordered + children
        }
        var outer = BERTLV(tag: Self.tag, children: children)
        outer.lengthOctetCount = layout.first?.lengthOctetCount
        return outer.encoded
    }

    /// Where the file departs from Doc 9303-10: malformed versions, tags that are no data group, repetitions.
    public var findings: [String] {
        var found: [String] = []
        if (try? Self.checkVersion(ldsVersion, digits: 4, "")) == nil { found.append("LDS version '\(ldsVersion)' is not 4 digits") }
        if (try? Self.checkVersion(unicodeVersion, digits: 6, "")) == nil { found.append("Unicode version '\(unicodeVersion)' is not 6 digits") }
        for tag in tagList where DataGroupNumber(tag: UInt32(tag)) == nil {
            found.append("tag list entry \(BERTLV.tagHex(UInt32(tag))) is no data group")
        }
        if Set(tagList).count != tagList.count { found.append("the tag list names a data group twice") }
        return found
    }
}
