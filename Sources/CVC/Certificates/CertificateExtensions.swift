import SwiftASN1

/// The certificate extensions of a CV certificate or request (TR-03110-3 C.3, Table 25).
///
/// ```
/// 65 Certificate Extensions
///   73 Discretionary Data Template        -- one per extension
///     06 OID                              -- id-extensions (0.4.0.127.0.7.3.1.3) x: 2 id-sector, 3 id-PS-Sector, …
///     80 / 81 / A0 …                      -- one or more context-specific data objects, kept as encoded
/// ```
/// Extensions are uncritical ("the ICC MUST NOT reject certificates due to unknown extensions"), so epki keeps
/// each one as it came and only checks that it is a well-formed template.
public struct CertificateExtensions: Hashable, Sendable {
    public struct Extension: Hashable, Sendable, CustomStringConvertible {
        public var oid: ASN1ObjectIdentifier
        /// The data objects after the OID, exactly as encoded.
        public var content: [UInt8]

        public init(oid: ASN1ObjectIdentifier, content: [UInt8]) {
            self.oid = oid
            self.content = content
        }

        public var description: String { "\(oid) (\(content.count) bytes)" }
    }

    public var extensions: [Extension]

    public init(_ extensions: [Extension]) {
        self.extensions = extensions
    }

    init(_ object: TLVObject, context: String) throws {
        let where_ = "\(context), certificate extensions at offset \(object.offset)"
        var reader = try object.children(where_)
        var extensions: [Extension] = []
        while let template = try reader.next() {
            guard template.tag == CVTag.discretionaryDataTemplate.value else {
                throw CVCError(
                    .unexpectedTag, "\(where_): expected \(CVTag.discretionaryDataTemplate) at offset \(template.offset), found \(CVTag.named(template.tag))",
                    offset: template.offset)
            }
            var inner = try template.children(where_)
            let oid = try inner.expect(.objectIdentifier).objectIdentifier(where_)
            let contentStart = inner.offset
            var count = 0
            // Walk the context data once so that a damaged extension is reported, then keep it as encoded.
            while try inner.next() != nil { count += 1 }
            guard count > 0 else {
                throw CVCError(.unexpectedTag, "\(where_): extension \(oid) at offset \(template.offset) holds no data object after its OID", offset: template.offset)
            }
            extensions.append(Extension(oid: oid, content: Array(template.value[contentStart...])))
        }
        self.extensions = extensions
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.certificateExtensions) { writer in
            for item in extensions {
                try writer.appendConstructed(.discretionaryDataTemplate) { writer in
                    try writer.append(item.oid)
                    writer.appendEncoded(item.content)
                }
            }
        }
    }
}
