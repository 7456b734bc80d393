/// What the NPKD concludes about an object it holds, re-evaluated after every import and trust decision.
///
/// `trusted` needs a path to an operator-confirmed trust anchor (and, for a Document Signer, its CSCA's latest
/// CRL not listing it); `nonConformantAccepted` is trusted all the same, with findings against Doc 9303-12 that
/// border control may want to know about (the ICAO master list carries SHA-1 and non-DER certificates).
public enum TrustState: String, Sendable, Codable, CaseIterable {
    case trusted
    case untrusted
    case expired
    case revoked
    case nonConformantAccepted = "non-conformant-accepted"

    /// Whether inspection systems may rely on the object.
    public var isUsable: Bool { self == .trusted || self == .nonConformantAccepted }
}
