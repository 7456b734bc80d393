import ICAOProfile
import PKICore

/// The CSCA's release gates: what it signs is linted against Doc 9303-12 first, and any error finding stops the
/// release with `CSCAError.lintFailed` naming every rule broken.
extension ProfileLinter {
    static func requireClean(_ certificate: Certificate, as kind: CertificateKind) throws {
        try require(lint(certificate, as: kind), what: "\(kind.rawValue.uppercased()) certificate")
    }

    static func requireClean(_ crl: CertificateRevocationList, issuer: Certificate) throws {
        try require(lint(crl, issuer: issuer), what: "CRL")
    }

    static func requireClean(_ signed: SignedData, kind: ListKind) throws {
        try require(lint(signed, kind: kind), what: kind == .masterList ? "master list" : "deviation list")
    }

    private static func require(_ findings: [Finding], what: String) throws {
        let errors = findings.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw CSCAError(.lintFailed, "the \(what) breaks the profile and is not released: " + errors.map(\.description).joined(separator: "; "))
        }
    }
}
