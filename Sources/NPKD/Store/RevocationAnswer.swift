import Foundation
import PKICore

/// The answer to "is this serial revoked by that issuer?".
public struct RevocationAnswer: Sendable {
    public enum Status: String, Sendable { case good, revoked, unknown }
    public let status: Status
    public let issuer: String
    public let serial: String
    public let revokedAt: Date?
    public let crlNumber: String?
    public let thisUpdate: Date?
    public let nextUpdate: Date?
    public let reason: String

    public var summary: [String: Any] {
        var object: [String: Any] = ["status": status.rawValue, "issuer": issuer, "serial": serial, "reason": reason]
        object["revokedAt"] = revokedAt.map(Time.iso8601)
        object["crlNumber"] = crlNumber
        object["thisUpdate"] = thisUpdate.map(Time.iso8601)
        object["nextUpdate"] = nextUpdate.map(Time.iso8601)
        return object
    }
}
