/// The layout shared by DG11 and DG12 (Doc 9303-10 §4.7.11, §4.7.12): a tag list followed by optional data
/// elements, one of which may be a counted A0 container of repeated names.
///
/// ```
/// 6B | 6C L
///    5C L <tags>               tag list: the tags of the elements present (5F0F for the A0 container)
///    5Fxx L <value>            data elements, each optional, in any order
///    A0 L                      repeated names (DG11 other names 5F0F, DG12 other persons 5F1A)
///       02 01 n                number of names
///       5F0F | 5F1A L <name>   n times
/// ```
/// Values are kept as bytes in the order read, so the file encodes back to itself even when a country wrote a
/// field in another character set; accessors read them as text.
struct DataElementTemplate: Hashable, Sendable {
    static let tagListTag: UInt32 = 0x5C
    static let containerTag: UInt32 = 0xA0
    static let countTag: UInt32 = 0x02

    let fileTag: UInt32
    /// The tag listed in 5C for the A0 container and used for its entries.
    let repeatedTag: UInt32
    /// Tag list as read; nil derives it from the elements.
    var declaredTagList: [UInt32]?
    /// Data elements in order, the A0 container included as it was read.
    var elements: [BERTLV]
    var lengthOctets: (outer: Int?, tagList: Int?) = (nil, nil)

    init(fileTag: UInt32, repeatedTag: UInt32, elements: [BERTLV]) {
        self.fileTag = fileTag
        self.repeatedTag = repeatedTag
        self.elements = elements
    }

    init(bytes: [UInt8], fileTag: UInt32, repeatedTag: UInt32, what: String) throws {
        let outer = try BERTLV.parseSingle(bytes[...], what: what)
        guard outer.tag == fileTag else {
            throw LDSError.malformed(what, "starts with tag \(outer.tagHex), expected \(BERTLV.tagHex(fileTag))")
        }
        var children = try outer.children(what)
        guard let list = children.first, list.tag == Self.tagListTag else {
            throw LDSError.malformed(what, "the tag list (5C) must come first")
        }
        children.removeFirst()
        self.fileTag = fileTag
        self.repeatedTag = repeatedTag
        self.declaredTagList = try Self.parseTagList(list.value, what: what)
        self.elements = children
        self.lengthOctets = (outer.lengthOctetCount, list.lengthOctetCount)
        // Read the container now, so that a damaged one fails here and not in an accessor.
        _ = try repeatedValues(what: what)
    }

    /// The tag list's value is tags written back to back, each in its BER form.
    static func parseTagList(_ bytes: ArraySlice<UInt8>, what: String) throws -> [UInt32] {
        var tags: [UInt32] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var tag = UInt32(bytes[index])
            let multiByte = bytes[index] & 0x1F == 0x1F
            index += 1
            if multiByte {
                var count = 0
                repeat {
                    guard index < bytes.endIndex, count < 3 else {
                        throw LDSError.malformed(what, "tag list ends inside a tag at offset \(index)")
                    }
                    tag = tag << 8 | UInt32(bytes[index])
                    index += 1
                    count += 1
                } while bytes[index - 1] & 0x80 != 0
            }
            tags.append(tag)
        }
        return tags
    }

    /// The tags present, as the tag list should name them.
    var presentTags: [UInt32] {
        elements.map { $0.tag == Self.containerTag ? repeatedTag : $0.tag }
    }

    var tagList: [UInt32] { declaredTagList ?? presentTags }

    func encode() -> [UInt8] {
        var list = BERTLV(tag: Self.tagListTag, value: tagList.flatMap { BERTLV.tagBytes($0) })
        list.lengthOctetCount = lengthOctets.tagList
        var outer = BERTLV(tag: fileTag, children: [list] + elements)
        outer.lengthOctetCount = lengthOctets.outer
        return outer.encoded
    }

    func value(_ tag: UInt32) -> ArraySlice<UInt8>? { elements.first { $0.tag == tag }?.value }

    func string(_ tag: UInt32) -> String? { value(tag).map { String(decoding: $0, as: UTF8.self) } }

    /// Sets, replaces or (with nil) removes an element; the tag list is derived again.
    mutating func set(_ tag: UInt32, _ value: [UInt8]?) {
        declaredTagList = nil
        if let index = elements.firstIndex(where: { $0.tag == tag }) {
            if let value { elements[index] = BERTLV(tag: tag, value: value) } else { elements.remove(at: index) }
        } else if let value {
            elements.append(BERTLV(tag: tag, value: value))
        }
    }

    mutating func set(_ tag: UInt32, _ text: String?) {
        set(tag, text.map { Array($0.utf8) })
    }

    /// The names in the A0 container.
    func repeatedValues(what: String) throws -> [ArraySlice<UInt8>] {
        guard let container = elements.first(where: { $0.tag == Self.containerTag }) else { return [] }
        let children = try container.children(what)
        guard let count = children.first, count.tag == Self.countTag else {
            throw LDSError.malformed(what, "the A0 container at offset \(container.offset) does not start with its count (02)")
        }
        return children.dropFirst().filter { $0.tag == repeatedTag }.map(\.value)
    }

    var repeatedStrings: [String] {
        ((try? repeatedValues(what: "")) ?? []).map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func setRepeated(_ names: [String]) {
        guard !names.isEmpty else { return set(Self.containerTag, nil as [UInt8]?) }
        var content = BERTLV(tag: Self.countTag, value: [UInt8(truncatingIfNeeded: names.count)]).encoded
        for name in names { BERTLV(tag: repeatedTag, string: name).encode(into: &content) }
        set(Self.containerTag, content)
    }

    /// Disagreements between the tag list and the elements present.
    var findings: [String] {
        var found: [String] = []
        let present = presentTags
        for tag in tagList where !present.contains(tag) {
            found.append("the tag list names \(BERTLV.tagHex(tag)), which is absent")
        }
        for tag in present where !tagList.contains(tag) {
            found.append("element \(BERTLV.tagHex(tag)) is present but not in the tag list")
        }
        return found
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fileTag == rhs.fileTag && lhs.tagList == rhs.tagList && lhs.elements == rhs.elements
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(fileTag)
        hasher.combine(elements)
    }
}
