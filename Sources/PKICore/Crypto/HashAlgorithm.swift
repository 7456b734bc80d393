import COpenSSLShims
import SwiftASN1

/// The hash functions of ICAO Doc 9303-12 §4.1.6 (SHA-224 to SHA-512), plus SHA-1 for verifying legacy data only.
public enum HashAlgorithm: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case sha1 = "sha1"
    case sha224 = "sha224"
    case sha256 = "sha256"
    case sha384 = "sha384"
    case sha512 = "sha512"

    public var description: String {
        // Literals: reports name the hash of every data group, on the service's hot path.
        switch self {
        case .sha1: "SHA-1"
        case .sha224: "SHA-224"
        case .sha256: "SHA-256"
        case .sha384: "SHA-384"
        case .sha512: "SHA-512"
        }
    }

    /// The digest's name for OpenSSL's fetch functions.
    var openSSLName: String {
        switch self {
        case .sha1: "SHA1"
        case .sha224: "SHA224"
        case .sha256: "SHA256"
        case .sha384: "SHA384"
        case .sha512: "SHA512"
        }
    }

    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    public var oid: ASN1ObjectIdentifier {
        switch self {
        case .sha1: .Digest.sha1
        case .sha224: .Digest.sha224
        case .sha256: .Digest.sha256
        case .sha384: .Digest.sha384
        case .sha512: .Digest.sha512
        }
    }

    public init?(oid: ASN1ObjectIdentifier) {
        guard let match = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = match
    }

    /// SHA-1 is accepted when verifying what others signed, never for what epki signs.
    public var isAllowedForSigning: Bool { self != .sha1 }

    public func hash<Bytes: Collection>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: 64)
        let length: Int32
        if let direct = data.withContiguousStorageIfAvailable({ buffer in
            epki_digest(openSSLName, buffer.baseAddress, buffer.count, &out)
        }) {
            length = direct
        } else {
            let copy = Array(data)
            length = epki_digest(openSSLName, copy, copy.count, &out)
        }
        // The built-in SHA family cannot fail to fetch; a zero length would mean a broken OpenSSL install.
        precondition(length == Int32(digestLength), "OpenSSL could not compute \(self)")
        return Array(out.prefix(Int(length)))
    }
}

/// Digests input that arrives in pieces (a CRL's TBS streamed from a mapped file).
public struct IncrementalHash: ~Copyable {
    private let context: OpaquePointer
    public let algorithm: HashAlgorithm

    public init(_ algorithm: HashAlgorithm) throws {
        guard let context = epki_digest_begin(algorithm.openSSLName) else {
            throw OpenSSL.failure(.cryptoFailure, "cannot start \(algorithm)")
        }
        self.context = context
        self.algorithm = algorithm
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        _ = epki_digest_update(context, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let length = epki_digest_end(context, &out)
        discard self
        return Array(out.prefix(Int(length)))
    }

    deinit {
        var scratch = [UInt8](repeating: 0, count: 64)
        _ = epki_digest_end(context, &scratch)
    }
}
