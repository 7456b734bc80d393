import Foundation

/// Recently parsed certificates by their encoding, shared by the process.
///
/// Every EF.SOD a border control lane reads embeds a copy of one of a few hundred Document Signer certificates;
/// parsing it again (and decoding its key again) for every passport would cost more than checking the signature.
/// A hit returns the same `Certificate` value, whose decoded key is shared too.
enum CertificateCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var entries: [EncodingKey: Certificate] = [:]
    private static let limit = 512

    static func certificate(for encoded: ArraySlice<UInt8>, parse: () throws -> Certificate) rethrows -> Certificate {
        lock.lock()
        let hit = entries[EncodingKey(encoded)]
        lock.unlock()
        if let hit { return hit }
        let certificate = try parse()
        lock.lock()
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        // Key by a copy, so the cache does not keep a whole SOD's buffer alive through a slice.
        entries[EncodingKey(Array(encoded))] = certificate
        lock.unlock()
        return certificate
    }
}
