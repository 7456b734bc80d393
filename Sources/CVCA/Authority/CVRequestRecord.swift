import CVC
import Foundation

/// A request the domain's CVCA or DVCA received, with the TR-03129 result code it got.
///
/// ```
/// receiver     cvca (DV requests) | dvca (inspection-system requests)
/// chr          the requested CHR; nil when the request could not be read (failure_syntax)
/// outerCAR     the key that made the outer signature, for authenticated requests
/// resultCode   ok_cert_available, or the failure returned unchanged to the requester
/// detail       the check that decided it
/// ```
public struct CVRequestRecord: Sendable {
    public let receiver: String
    public let chr: String?
    public let outerCAR: String?
    public let resultCode: TR03129ResultCode
    public let detail: String
    public let receivedAt: Date
    public let encoded: [UInt8]
}
