import CVC
import PKICore

extension CVPublicKey {
    /// How to generate a key for the same chain: the same curve, or the same RSA size. TR-03110-3 §2.3 keeps one
    /// algorithm, one set of domain parameters and one key size within a chain, so a DV's key follows its CVCA's.
    func keySpecification(inheriting inherited: CVDomainParameters? = nil) throws -> KeySpecification {
        switch key {
        case .rsa(let modulus, _):
            let bits = CVDomainParameters.minimal(modulus).count * 8
            guard KeySpecification.rsaSizes.contains(bits) else {
                throw CVCAError(.unsupportedAlgorithm, "epki does not generate \(bits)-bit RSA keys; give the key algorithm")
            }
            return .rsa(bits: bits)
        case .ec(let own, _):
            guard let parameters = own ?? inherited else {
                throw CVCAError(.domainParameters, "the key's domain parameters are unknown, so no key can be made on its curve")
            }
            guard let curve = parameters.curve, ECCurve.generatable.contains(curve) else {
                throw CVCAError(.domainParameters, "epki does not generate keys on \(parameters.displayName); give the key algorithm")
            }
            return .ec(curve, parameters: .namedCurve)
        }
    }
}

extension TerminalAuthenticationAlgorithm {
    /// The scheme a new key makes unless the operator names one: ECDSA with the hash that matches the curve,
    /// RSA-PSS with SHA-256.
    static func `default`(for signer: any Signer) throws -> TerminalAuthenticationAlgorithm {
        guard let algorithm = TerminalAuthenticationAlgorithm(signer.defaultAlgorithm) else {
            throw CVCAError(.unsupportedAlgorithm, "no TR-03110 signature scheme fits a \(signer.publicKey) key")
        }
        return algorithm
    }
}
