#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A DER encoding used as a dictionary key: hashed and compared as raw memory.
///
/// `ArraySlice<UInt8>` is `Hashable`, but it feeds the hasher one byte at a time; for an 800-byte certificate
/// that took longer than the dictionary look-up it served, on every passport a border lane verifies.
public struct EncodingKey: Hashable, Sendable {
    public let bytes: ArraySlice<UInt8>

    /// Keeps `bytes` as given: pass a copy when the slice would otherwise hold a larger buffer alive.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    public func hash(into hasher: inout Hasher) {
        // Long encodings are hashed by their length, head and tail: a certificate ends in its signature, which
        // differs between any two of them, and hashing all 900 bytes of a DS certificate four times per passport
        // cost 2 µs. Equality still compares every byte, so a shared head and tail only costs a longer probe.
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { raw in
            if raw.count <= 256 {
                hasher.combine(bytes: raw)
            } else {
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[..<64]))
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[(raw.count - 128)...]))
            }
        }
    }

    public static func == (lhs: EncodingKey, rhs: EncodingKey) -> Bool {
        guard lhs.bytes.count == rhs.bytes.count else { return false }
        return lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in
                guard let l = left.baseAddress, let r = right.baseAddress else { return true }  // both empty
                return memcmp(l, r, left.count) == 0
            }
        }
    }
}
