import Foundation

/// A set of CSCA and link certificates that can answer "who issued this certificate?" and check it.
///
/// Candidates are found by authority key identifier first (equal to the issuer's subject key identifier), then
/// by issuer name; each candidate's key is tried, because a CSCA's several keys share one name.
public struct CertificatePool: Sendable {
    public private(set) var certificates: [Certificate] = []
    private var bySubjectKeyIdentifier: [[UInt8]: [Int]] = [:]
    private var bySubjectName: [String: [Int]] = [:]

    public init(_ certificates: [Certificate] = []) {
        for certificate in certificates { insert(certificate) }
    }

    public mutating func insert(_ certificate: Certificate) {
        guard !certificates.contains(certificate) else { return }
        let index = certificates.count
        certificates.append(certificate)
        if let ski = certificate.subjectKeyIdentifier { bySubjectKeyIdentifier[ski, default: []].append(index) }
        bySubjectName[Self.nameKey(certificate.subject), default: []].append(index)
    }

    static func nameKey(_ name: DistinguishedName) -> String {
        name.attributes.map { "\($0.type)=\(($0.stringValue ?? "").lowercased())" }.sorted().joined(separator: ",")
    }

    /// Certificates that may have issued `certificate`, most likely first.
    public func issuerCandidates(of certificate: Certificate) -> [Certificate] {
        var indices: [Int] = []
        if let aki = certificate.authorityKeyIdentifier { indices += bySubjectKeyIdentifier[aki] ?? [] }
        indices += (bySubjectName[Self.nameKey(certificate.issuer)] ?? []).filter { !indices.contains($0) }
        return indices.map { certificates[$0] }.filter { certificate.mayBeIssued(by: $0) || $0 == certificate }
    }

    public enum IssuerCheck: Sendable, Equatable {
        /// The signature verifies with this issuer's key.
        case verified(by: Certificate)
        /// No certificate in the pool can be the issuer.
        case issuerNotInPool
        /// Candidates exist but none of their keys verifies the signature.
        case signatureInvalid
        /// The signature could not be checked (unsupported algorithm, unusable key).
        case notCheckable(String)
    }

    /// Finds the issuer in the pool and checks the signature with its key.
    public func checkIssuer(of certificate: Certificate) -> IssuerCheck {
        let candidates = issuerCandidates(of: certificate)
        guard !candidates.isEmpty else { return .issuerNotInPool }
        var lastProblem: String?
        for candidate in candidates {
            do {
                if try certificate.isSignatureValid(issuerKey: candidate.publicKey) { return .verified(by: candidate) }
            } catch {
                lastProblem = "\(error)"
            }
        }
        if let lastProblem { return .notCheckable(lastProblem) }
        return .signatureInvalid
    }
}
