/// Recently parsed certificates by their encoding, shared by the process.
///
/// Every EF.SOD a border control lane reads embeds a copy of one of a few hundred Document Signer certificates;
/// parsing it again (and decoding its key again) for every passport would cost more than checking the signature.
/// A hit returns the same `Certificate` value, whose decoded key is shared too.
enum CertificateCache {
    private static let recent = RecentByEncoding<Certificate>(limit: 512)

    static func certificate(for encoded: ArraySlice<UInt8>, parse: () throws -> Certificate) rethrows -> Certificate {
        try recent.value(for: encoded, read: parse)
    }
}
