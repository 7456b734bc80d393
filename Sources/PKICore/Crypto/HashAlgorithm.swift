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

    /// The digest of `data`. Throws `cryptoFailure` when OpenSSL cannot compute it (no provider offers the hash,
    /// as under a configuration that loads none): a typed error that refuses one operation, never a crash that
    /// takes a server down.
    public func hash<Bytes: Collection>(_ data: Bytes) throws -> [UInt8] where Bytes.Element == UInt8 {
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
        guard length == Int32(digestLength) else { throw Self.failure(self) }
        return Array(out.prefix(Int(length)))
    }

    @inline(never)
    static func failure(_ algorithm: HashAlgorithm) -> PKIError {
        OpenSSL.failure(.cryptoFailure, "OpenSSL could not compute \(algorithm) (is a provider with it loaded?)")
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

    public mutating func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard epki_digest_update(context, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
            throw HashAlgorithm.failure(algorithm)
        }
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBytes { try update($0) }
    }

    public consuming func finalize() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let length = epki_digest_end(context, &out)
        let algorithm = self.algorithm
        discard self
        guard length == Int32(algorithm.digestLength) else { throw HashAlgorithm.failure(algorithm) }
        return Array(out.prefix(Int(length)))
    }

    deinit {
        var scratch = [UInt8](repeating: 0, count: 64)
        _ = epki_digest_end(context, &scratch)
    }
}
