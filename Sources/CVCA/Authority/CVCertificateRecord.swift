import CVC
import Foundation

/// A CV certificate as the store keeps it: where it came from and what it is.
///
/// ```
/// source   issued    by the domain's CVCA (kind cvca, link, dv) or DVCA (kind terminal)
///          own       the DVCA's own DV certificates, imported from our CVCA or a foreign one
///          foreign   a foreign CVCA's certificate (kind cvca or link) the operator registered
/// ```
public struct CVCertificateRecord: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case issued
        case own
        case foreign
    }

    public enum Kind: String, Sendable, CaseIterable {
        /// A self-signed CVCA certificate.
        case cvca
        /// A CVCA link certificate: the new key certified with the previous one.
        case link
        case documentVerifier = "dv"
        case terminal
    }

    public let source: Source
    /// For issued certificates, the authority that signed it: `cvca` or `dvca`.
    public let issuer: String?
    public let kind: Kind
    public let certificate: CVCertificate
    public let recordedAt: Date
}
