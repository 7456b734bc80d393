import PKICore

/// Where the CVCA's and the DVCA's keys come from: software keys in the data directory, or keys in an HSM.
///
/// The store records only a key's reference (a file inside the data directory, or a PKCS#11 URI) and asks the
/// provider for a `Signer` when it needs one, so an HSM key signs exactly like a software key. The CSCA has the
/// same seam; this one lives here because the CVCA does not depend on the CSCA.
public protocol CVKeyProvider: Sendable {
    /// Creates a key and returns its reference and a signer for it.
    func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer)
    /// A signer for a key created earlier.
    func signer(for reference: String) throws -> any Signer
    /// Removes a key that was generated for an operation that then failed (software keys only; an HSM key is
    /// left to the token's administrator).
    func discard(_ reference: String)
}

extension CVKeyProvider {
    public func discard(_ reference: String) {}
}
