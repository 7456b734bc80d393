import Foundation
import PKICore

/// A personalization line the operator registered: its TLS client certificate, identified by the SHA-256 of the
/// certificate's DER, and its quota. Only these certificates get past the service's TLS handshake.
public struct SigningLine: Sendable, Hashable {
    public let name: String
    /// SHA-256 of the certificate's DER, lower-case hex.
    public let fingerprint: String
    /// SHA-256 of its SubjectPublicKeyInfo, lower-case hex (what `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum` gives).
    public let publicKeyFingerprint: String
    public let subject: String
    public let notBefore: Date
    public let notAfter: Date
    public let quota: LineQuota?
    public let createdAt: Date
    public let certificate: [UInt8]

    /// Line names appear in the audit trail and in metrics labels: letters, digits, '-', '_' and '.', 1 to 64.
    public static func validate(name: String) throws {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw SODServiceError(.invalidInput, "line name '\(name)' must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }

    public var summary: [String: Any] {
        var object: [String: Any] = [
            "name": name, "fingerprint": fingerprint, "publicKeyFingerprint": publicKeyFingerprint, "subject": subject,
            "notBefore": Time.iso8601(notBefore), "notAfter": Time.iso8601(notAfter), "createdAt": Time.iso8601(createdAt),
        ]
        if let quota { object["quota"] = quota.description }
        return object
    }
}
