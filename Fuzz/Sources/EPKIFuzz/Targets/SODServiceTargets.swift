import Foundation
import LDS
import PKICore
import SODService

/// What personalization lines send the SOD signing service: the JSON body of `POST /v1/sod/sign`, read before any
/// key is touched. A request that passes is also hashed into its LDS security object, as the batch signer would.
enum SODServiceTargets {
    static let all: [FuzzTarget] = [sodRequest]

    static let sodRequest = FuzzTarget("sod-request", "SOD service request JSON: SignRequest(json:) of POST /v1/sod/sign, then the LDS security object it asks for", seeds: {
        func hex(_ byte: UInt8, _ count: Int) -> String { String(repeating: String(format: "%02x", byte), count: count) }
        let full = #"{"documentNumber":"L898902C3","ldsVersion":"1.8","unicodeVersion":"4.0.0","hashAlgorithm":"sha256","#
            + #""dataGroupHashes":{"1":"\#(hex(1, 32))","2":"\#(hex(2, 32))","14":"\#(hex(14, 32))"}}"#
        let base64 = #"{"documentNumber":"X1","hashAlgorithm":"sha384","hashEncoding":"base64","#
            + #""dataGroupHashes":{"1":"\#(Data(repeating: 1, count: 48).base64EncodedString())","2":"\#(Data(repeating: 2, count: 48).base64EncodedString())"}}"#
        let wrong = #"{"documentNumber":"","hashAlgorithm":"md5","dataGroupHashes":{"17":"00","DG1":[1,2]},"extra":null}"#
        return [("full.json", Array(full.utf8)), ("base64.json", Array(base64.utf8)), ("wrong.json", Array(wrong.utf8))]
    }) { bytes in
        guard let request = try? SignRequest(json: bytes) else { return }
        _ = (request.documentNumber, request.hash, request.ldsVersionInfo, request.dataGroupHashes.count)
    }
}
