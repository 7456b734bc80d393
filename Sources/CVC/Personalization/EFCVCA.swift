/// The content of EF.CVCA (TR-03110-3 A.7.2, Table 16; FID 011C, SFI 1C): the CARs of the chip's trust points,
/// which tell a terminal which CVCA key to start its chain from.
///
/// ```
/// 42 CAR(i)        the most recent trust point
/// 42 CAR(i-1)      OPTIONAL, the previous one
/// 00 … 00          padding: the file is 36 bytes
/// ```
/// At most two references; the chip updates the file itself from then on (write access NEVER).
public struct EFCVCA: Hashable, Sendable {
    /// The file size Table 16 fixes.
    public static let size = 36

    /// Newest first.
    public var references: [String]

    public init(references: [String]) throws {
        guard (1...2).contains(references.count) else {
            throw CVCError(.invalidValue, "EF.CVCA holds one or two CARs, not \(references.count)")
        }
        for reference in references { _ = try ReferenceField.encode(reference, .certificationAuthorityReference) }
        self.references = references
    }

    /// The trust points of CVCA certificates, newest first by effective date.
    public init(trustPoints: [CVCertificate]) throws {
        let newestFirst = trustPoints.sorted { $0.body.effectiveDate > $1.body.effectiveDate }
        try self.init(references: newestFirst.map(\.chr))
    }

    /// Reads the file: one or two 42 objects, then zero padding to the end.
    public init(encoded bytes: [UInt8]) throws {
        let context = "EF.CVCA"
        guard bytes.count <= Self.size else {
            throw CVCError(.malformedEncoding, "\(context): \(bytes.count) bytes, more than the \(Self.size) the file holds")
        }
        let padding = bytes.firstIndex(where: { $0 == 0 }) ?? bytes.count
        guard bytes[padding...].allSatisfy({ $0 == 0 }) else {
            throw CVCError(.malformedEncoding, "\(context): non-zero bytes after the padding that starts at offset \(padding)", offset: padding)
        }
        var reader = TLVReader(bytes[..<padding], context: context)
        var references: [String] = []
        while !reader.isAtEnd {
            let object = try reader.expect(.certificationAuthorityReference)
            references.append(try ReferenceField.decode(object, .certificationAuthorityReference, context: context))
        }
        guard (1...2).contains(references.count) else {
            throw CVCError(.invalidValue, "\(context): \(references.count) CARs; the file holds one or two")
        }
        self.references = references
    }

    /// The 36 bytes to personalize.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            for reference in references {
                try writer.append(.certificationAuthorityReference, ReferenceField.encode(reference, .certificationAuthorityReference))
            }
            guard writer.bytes.count <= Self.size else {
                throw CVCError(.invalidValue, "EF.CVCA: the CARs take \(writer.bytes.count) bytes, more than \(Self.size)")
            }
            return writer.bytes + [UInt8](repeating: 0, count: Self.size - writer.bytes.count)
        }
    }
}
