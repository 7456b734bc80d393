import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads XML that comes from outside (a foreign SPOC, a DV) into `XMLElementNode`s, refusing what makes XML
/// dangerous before a byte reaches libxml2:
///
/// - a document type declaration of any kind (`<!DOCTYPE`): no DTD means no internal entity that could expand
///   (billion laughs) and no external entity that could reach a file or a URL. SOAP 1.1 §3 forbids a DTD in a
///   message anyway;
/// - another encoding than UTF-8 (a UTF-16 byte order mark or NULs), so the scan above cannot be dodged, and bytes
///   that are not UTF-8 at all: FoundationXML force-unwraps every name libxml2 hands it as UTF-8, so one stray byte
///   in an element name, an attribute name or a comment would stop the process (found by fuzzing, FUZZING.md);
/// - a processing instruction other than the XML declaration at the start: SOAP 1.1 §3 and SOAP 1.2 Part 1 §5 forbid
///   them, and FoundationXML reads one without data (`<?x?>`) through a null pointer, which stopped the process;
/// - more than `maximumBytes`, nesting deeper than `maximumDepth`, more than `maximumElements` elements.
///
/// The parser itself runs with external entities off and namespaces processed, so each element has its expanded
/// name, and stops after eight errors (`TreeBuilder.maximumParserErrors`): Foundation parses in libxml2's recover
/// mode and leaks a string for every error it reports, so a message made of errors would grow the process without
/// bound. A failure names what was refused and where (line and column when the parser knows them).
public struct SafeXMLReader: Sendable {
    public var maximumBytes: Int
    public var maximumDepth: Int
    public var maximumElements: Int

    public init(maximumBytes: Int = 1 << 20, maximumDepth: Int = 32, maximumElements: Int = 4_096) {
        self.maximumBytes = maximumBytes
        self.maximumDepth = maximumDepth
        self.maximumElements = maximumElements
    }

    public func read(_ bytes: [UInt8]) throws -> XMLElementNode {
        guard bytes.count <= maximumBytes else {
            throw SPOCError(.tooLarge, "the XML is \(bytes.count) bytes; at most \(maximumBytes) are accepted")
        }
        try Self.refuseDeclarations(bytes)
        let delegate = TreeBuilder(maximumDepth: maximumDepth, maximumElements: maximumElements)
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        if let refusal = delegate.refusal { throw refusal }
        guard parsed, let root = delegate.root else {
            let where_ = "line \(parser.lineNumber), column \(parser.columnNumber)"
            let why = (delegate.firstError ?? parser.parserError).map { ($0 as NSError).localizedDescription } ?? "no root element"
            throw SPOCError(.malformedXML, "the XML is not well-formed at \(where_): \(why)")
        }
        return root
    }

    /// The byte-level refusals: UTF-16/32 and any `<!DOCTYPE` or `<!ENTITY` outside a comment or CDATA section
    /// (inside one they are text, which a later check of the SOAP structure refuses if it matters).
    static func refuseDeclarations(_ bytes: [UInt8]) throws {
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.contains(0) {
            throw SPOCError(.malformedXML, "the XML is not UTF-8 (a UTF-16/32 byte order mark or NUL bytes); SPOC messages are read as UTF-8 only")
        }
        func line(of position: Int) -> Int { bytes[..<position].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } }
        if let offset = firstInvalidUTF8(bytes) {
            throw SPOCError(.malformedXML, "line \(line(of: offset)): byte \(offset) (0x\(String(bytes[offset], radix: 16, uppercase: true))) is not UTF-8; SPOC messages are read as UTF-8 only")
        }
        var index = 0
        let count = bytes.count
        func matches(_ text: String, at position: Int, caseInsensitive: Bool = false) -> Bool {
            let pattern = Array(text.utf8)
            guard position + pattern.count <= count else { return false }
            for offset in 0..<pattern.count {
                var byte = bytes[position + offset]
                if caseInsensitive, byte >= 0x61, byte <= 0x7A { byte -= 0x20 }
                if byte != pattern[offset] { return false }
            }
            return true
        }
        while index < count {
            guard bytes[index] == 0x3C else { index += 1; continue }  // '<'
            if matches("<!--", at: index) {
                index = skip(past: Array("-->".utf8), from: index + 4, in: bytes)
            } else if matches("<![CDATA[", at: index) {
                index = skip(past: Array("]]>".utf8), from: index + 9, in: bytes)
            } else if matches("<!DOCTYPE", at: index, caseInsensitive: true) {
                throw SPOCError(.malformedXML, "line \(line(of: index)): a document type declaration (<!DOCTYPE); SPOC messages carry no DTD, so no entity can be declared or expanded")
            } else if matches("<!ENTITY", at: index, caseInsensitive: true) {
                throw SPOCError(.malformedXML, "line \(line(of: index)): an entity declaration (<!ENTITY) is refused")
            } else if matches("<?", at: index) {
                // Only the XML declaration, first in the document (after a UTF-8 byte order mark) and followed by white
                // space: libxml2 reads anything else, `<?xml?>` included, as a processing instruction.
                let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
                guard index == start, matches("<?xml", at: index), index + 5 < count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[index + 5]) else {
                    throw SPOCError(.malformedXML, "line \(line(of: index)): a processing instruction (<?); SOAP messages carry none (SOAP 1.1 §3, SOAP 1.2 Part 1 §5)")
                }
                index += 5
            } else {
                index += 1
            }
        }
    }

    /// The offset of the first byte that does not begin a well-formed UTF-8 sequence; nil when all of it is UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    private static func skip(past terminator: [UInt8], from start: Int, in bytes: [UInt8]) -> Int {
        var index = start
        while index + terminator.count <= bytes.count {
            if bytes[index] == terminator[0], Array(bytes[index..<index + terminator.count]) == terminator { return index + terminator.count }
            index += 1
        }
        return bytes.count
    }
}

/// Builds the element tree while counting depth and elements; stops the parser at the first limit.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    let maximumDepth: Int
    let maximumElements: Int
    var stack: [XMLElementNode] = []
    var root: XMLElementNode?
    var elements = 0
    var refusal: SPOCError?
    /// The first error libxml2 reported, and how many it reported.
    var firstError: (any Error)?
    var errors = 0

    init(maximumDepth: Int, maximumElements: Int) {
        self.maximumDepth = maximumDepth
        self.maximumElements = maximumElements
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements += 1
        if stack.count >= maximumDepth {
            refuse(parser, "line \(parser.lineNumber): elements nest deeper than \(maximumDepth) levels")
            return
        }
        if elements > maximumElements {
            refuse(parser, "line \(parser.lineNumber): more than \(maximumElements) elements")
            return
        }
        let namespace = namespaceURI.flatMap { $0.isEmpty ? nil : $0 }
        stack.append(XMLElementNode(localName: elementName, namespaceURI: namespace, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard refusal == nil, let finished = stack.popLast() else { return }
        if stack.isEmpty {
            root = finished
        } else {
            stack[stack.count - 1].children.append(finished)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard refusal == nil, !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        refuse(parser, "an entity declaration (\(name)) is refused")
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuse(parser, "an external entity declaration (\(name)) is refused")
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refuse(parser, "an external entity reference (\(name)) is refused")
        return nil
    }

    /// libxml2 reports warnings this way too, so a few are let pass; past `maximumParserErrors` the parse stops
    /// (each report leaks memory in FoundationXML, see `SafeXMLReader`).
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        errors += 1
        if firstError == nil { firstError = parseError }
        if errors >= Self.maximumParserErrors {
            refuse(parser, "line \(parser.lineNumber): \(errors) XML errors, the first: \(((firstError ?? parseError) as NSError).localizedDescription)")
        }
    }

    static let maximumParserErrors = 8

    private func refuse(_ parser: XMLParser, _ reason: String) {
        if refusal == nil { refusal = SPOCError(.malformedXML, reason) }
        parser.abortParsing()
    }
}
