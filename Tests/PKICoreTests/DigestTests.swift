import Foundation
import PKICore
import Testing
import TestSupport

/// Digests against `openssl dgst`, in one piece and in several.
@Suite struct DigestTests {
    @Test(arguments: [HashAlgorithm.sha224, .sha256, .sha384, .sha512])
    func digestsMatchOpenSSLWholeAndInPieces(_ algorithm: HashAlgorithm) throws {
        let path = TestSupport.vectorPath("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")
        let bytes = try TestSupport.vector("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")
        let printed = try TestSupport.openssl(["dgst", "-\(algorithm.rawValue)", "-r", path]).stdout
        let expected = String(printed.prefix { $0 != " " }).uppercased()
        #expect(try algorithm.hash(bytes).hexString.uppercased() == expected)

        var pieces = try IncrementalHash(algorithm)
        var offset = 0
        for size in [0, 1, 4_095, 100_000] {
            try pieces.update(bytes[offset..<(offset + size)])
            offset += size
        }
        try pieces.update(bytes[offset...])
        #expect(try pieces.finalize().hexString.uppercased() == expected)
    }
}
