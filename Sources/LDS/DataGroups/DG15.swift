import PKICore
import SwiftASN1

/// Data Group 15, the Active Authentication public key (Doc 9303-10 §4.7.15).
///
/// ```
/// 6F L
///    30 L SubjectPublicKeyInfo   RSA (ISO/IEC 9796-2 signatures) or EC (then DG14 holds an
///                                ActiveAuthenticationInfo naming the ECDSA algorithm)
/// ```
/// (The 9303-10 transcription's inner tag "7F49" is wrong; real files hold the SubjectPublicKeyInfo directly.)
public struct DG15: Hashable, Sendable {
    public static let tag: UInt32 = 0x6F

    public var subjectPublicKeyInfo: SubjectPublicKeyInfo
    private var lengthOctets: Int?

    public init(subjectPublicKeyInfo: SubjectPublicKeyInfo) {
        self.subjectPublicKeyInfo = subjectPublicKeyInfo
    }

    public init(bytes: [UInt8]) throws {
        let outer = try BERTLV.parseSingle(bytes[...], what: "DG15")
        guard outer.tag == Self.tag else { throw LDSError.malformed("DG15", "starts with tag \(outer.tagHex), expected 6F") }
        subjectPublicKeyInfo = try LDSError.decoding("DG15 SubjectPublicKeyInfo") {
            try SubjectPublicKeyInfo(berEncoded: BER.parse(outer.value))
        }
        lengthOctets = outer.lengthOctetCount
    }

    public func encode() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(subjectPublicKeyInfo)
        var outer = BERTLV(tag: Self.tag, value: serializer.serializedBytes)
        outer.lengthOctetCount = lengthOctets
        return outer.encoded
    }

    /// The key as OpenSSL reads it; throws for a key epki cannot use (an unknown curve).
    public var publicKey: PublicKey {
        get throws { try PublicKey(subjectPublicKeyInfo: subjectPublicKeyInfo) }
    }
}
