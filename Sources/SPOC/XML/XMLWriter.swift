/// Writes the XML the SPOC sends: elements with namespace prefixes declared where they are first used, text
/// escaped, UTF-8. Small on purpose: the SPOC's messages are flat sequences of strings and base64 values.
public struct XMLWriter: Sendable {
    private(set) public var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

    public init() {}

    /// Opens `<prefix:name xmlns:p="uri" ...>`.
    public mutating func open(_ name: String, namespaces: [(prefix: String, uri: String)] = [], attributes: [(String, String)] = []) {
        text += "<\(name)"
        for (prefix, uri) in namespaces { text += " xmlns:\(prefix)=\"\(Self.escape(uri, attribute: true))\"" }
        for (key, value) in attributes { text += " \(key)=\"\(Self.escape(value, attribute: true))\"" }
        text += ">"
    }

    public mutating func close(_ name: String) {
        text += "</\(name)>"
    }

    /// `<name>escaped text</name>`.
    public mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escape(value, attribute: false))</\(name)>"
    }

    /// Escaped character data inside the open element.
    public mutating func characters(_ value: String) {
        text += Self.escape(value, attribute: false)
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    public static func escape(_ value: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\r": out += "&#13;"
            default: out.append(character)
            }
        }
        return out
    }
}
