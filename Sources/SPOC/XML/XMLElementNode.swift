/// One element of a parsed XML document: its expanded name (local name and namespace URI), its attributes, the
/// character data directly inside it and its child elements. Comments and processing instructions are dropped;
/// the SPOC's messages carry none that matter.
public struct XMLElementNode: Sendable, Hashable {
    public var localName: String
    public var namespaceURI: String?
    public var attributes: [String: String]
    public var children: [XMLElementNode]
    /// The character data of this element (not of its children), as the parser delivered it.
    public var text: String

    public init(localName: String, namespaceURI: String?, attributes: [String: String] = [:], children: [XMLElementNode] = [], text: String = "") {
        self.localName = localName
        self.namespaceURI = namespaceURI
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The child elements with this local name in this namespace.
    public func children(_ localName: String, namespace: String?) -> [XMLElementNode] {
        children.filter { $0.localName == localName && $0.namespaceURI == namespace }
    }

    /// The one child with this local name in this namespace, or nil.
    public func child(_ localName: String, namespace: String?) -> XMLElementNode? {
        children.first { $0.localName == localName && $0.namespaceURI == namespace }
    }

    /// The text with surrounding white space removed (xs:string values of the SPOC are compared this way, and
    /// xs:base64Binary may be folded over lines).
    public var trimmedText: String {
        String(text.unicodeScalars.drop(while: Self.isSpace).reversed().drop(while: Self.isSpace).reversed().map(Character.init))
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }
}
