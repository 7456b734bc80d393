import SwiftASN1

/// OBJECT IDENTIFIERs read by their encoding, and written, the recent ones kept: the same few content and
/// attribute types come in every SOD, read at a border and written on a personalization line.
enum ObjectIdentifierCache {
    private static let recent = RecentByEncoding<ASN1ObjectIdentifier>(limit: 256)
    private static let encodings = Locked<[ASN1ObjectIdentifier: [UInt8]]>([:])

    static func identifier(_ encoded: ArraySlice<UInt8>) throws -> ASN1ObjectIdentifier {
        try recent.value(for: encoded) { try ASN1ObjectIdentifier(derEncoded: encoded) }
    }

    /// The DER of `identifier`.
    static func encoding(of identifier: ASN1ObjectIdentifier) throws -> [UInt8] {
        if let hit = encodings.withLock({ $0[identifier] }) { return hit }
        var serializer = DER.Serializer()
        try serializer.serialize(identifier)
        let der = serializer.serializedBytes
        encodings.withLock { encodings in
            if encodings.count >= 64 { encodings.removeAll(keepingCapacity: true) }
            encodings[identifier] = der
        }
        return der
    }
}
