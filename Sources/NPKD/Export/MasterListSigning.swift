import PKICore

/// Signs a CSCA master list (Doc 9303-12 §9) with a Master List Signer the NPKD does not hold itself.
///
/// The NPKD never imports the CSCA authority: the CLI wires this protocol to `CountrySigningCA.signMasterList`, whose
/// signature it matches, so the national master list is signed by the domain's own MLS key (software or HSM).
public protocol MasterListSigning: Sendable {
    func signMasterList(certificates: [Certificate]) throws -> SignedData
}
