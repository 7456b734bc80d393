import PKICore

/// Where a Chip Authentication (or PACE) key agreement happens: on an elliptic curve or in a finite-field group.
///
/// ```
/// ECDH   public = SK · G (uncompressed point)    K = x(SK · PK_other)         Comp(PK) = x(PK)
/// DH     public = g^SK mod p (|p| bytes)         K = PK_other^SK mod p        Comp(PK) = SHA-1(PK)
/// ```
/// A peer's public key is checked before use: a point on the curve, or an element of the prime-order subgroup.
public enum KeyAgreementDomain: Hashable, Sendable, CustomStringConvertible {
    case ec(ECCurve)
    case dh(DHGroup)

    public var description: String {
        switch self {
        case .ec(let curve): "\(curve)"
        case .dh(let group): "\(group)"
        }
    }

    public func randomPrivateKey() throws -> [UInt8] {
        switch self {
        case .ec(let curve): try ECPointArithmetic(curve).randomScalar()
        case .dh(let group): try group.randomExponent()
        }
    }

    public func publicKey(_ privateKey: [UInt8]) throws -> [UInt8] {
        switch self {
        case .ec(let curve): try ECPointArithmetic(curve).multiply(privateKey)
        case .dh(let group): try group.publicValue(privateKey)
        }
    }

    /// k·P on a curve, P^k mod p in a group: the public key on another generator (PACE's mapped one), or the
    /// shared element of a key agreement. A peer's element is checked first.
    public func multiply(_ k: [UInt8], _ element: [UInt8]) throws -> [UInt8] {
        switch self {
        case .ec(let curve):
            return try ECPointArithmetic(curve).multiply(k, element)
        case .dh(let group):
            guard group.isValidPublicValue(element) else {
                throw ChipAccessError(.invalidValue, "a DH value that is not an element of \(group)'s subgroup")
            }
            return try group.power(element, k)
        }
    }

    /// The shared secret with a peer's public key; throws when the key is not one of this domain.
    public func sharedSecret(_ privateKey: [UInt8], _ peerPublicKey: [UInt8]) throws -> [UInt8] {
        switch self {
        case .ec(let curve):
            let arithmetic = ECPointArithmetic(curve)
            return try arithmetic.xCoordinate(arithmetic.multiply(privateKey, peerPublicKey))
        case .dh(let group):
            guard group.isValidPublicValue(peerPublicKey) else {
                throw ChipAccessError(.invalidValue, "a DH public value that is not an element of \(group)'s subgroup")
            }
            return try group.power(peerPublicKey, privateKey)
        }
    }
}
