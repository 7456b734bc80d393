import SwiftASN1

/// The side of a SPOC TLS connection a certificate speaks for, and the extended key usages that say so.
public enum SPOCTLSRole: String, Sendable, CaseIterable {
    case client
    case server

    /// Either family's SPOC EKU for the role (protocols.md §4.7).
    var acceptedPurposes: [ASN1ObjectIdentifier] {
        switch self {
        case .client: [[2, 23, 136, 1, 1, 10, 1], [1, 2, 203, 7064, 1, 1, 369791, 1]]
        case .server: [[2, 23, 136, 1, 1, 10, 2], [1, 2, 203, 7064, 1, 1, 369791, 2]]
        }
    }
}
