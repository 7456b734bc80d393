import COpenSSLShims

/// A finite-field Diffie-Hellman group: prime p, generator g of the subgroup of prime order q. The standardized
/// domain parameters 0–2 of ICAO Doc 9303-11 §9.5.1 and BSI TR-03110-3 Table 4 are the groups of RFC 5114 §2.1–2.3,
/// which OpenSSL carries; PACE-DH and Chip Authentication with DH use them.
///
/// ```
/// ID 0   1024-bit MODP group with 160-bit prime order subgroup   (OpenSSL "dh_1024_160")
/// ID 1   2048-bit MODP group with 224-bit prime order subgroup   (OpenSSL "dh_2048_224")
/// ID 2   2048-bit MODP group with 256-bit prime order subgroup   (OpenSSL "dh_2048_256")
/// public value y = g^x mod p, written as |p| bytes; shared secret K = y_other^x mod p, |p| bytes
/// ```
public struct DHGroup: Hashable, Sendable, CustomStringConvertible {
    public let p: [UInt8]
    public let g: [UInt8]
    public let q: [UInt8]
    public let name: String

    public init(p: [UInt8], g: [UInt8], q: [UInt8], name: String = "explicit") {
        self.p = p
        self.g = g
        self.q = q
        self.name = name
    }

    /// The standardized group with this ID (0, 1 or 2); nil for another ID.
    public static func standardized(_ id: Int) -> DHGroup? {
        let names = [0: "dh_1024_160", 1: "dh_2048_224", 2: "dh_2048_256"]
        guard let name = names[id] else { return nil }
        var p = [UInt8](repeating: 0, count: 512), g = p, q = p
        var length = 0
        guard epki_dh_group(name, &p, &g, &q, p.count, &length) == 1 else { return nil }
        return DHGroup(p: Array(p.prefix(length)), g: Array(g.prefix(length)), q: Array(q.prefix(length)).drop { $0 == 0 }.map { $0 }, name: name)
    }

    /// The standardized group of this OpenSSL name ("dh_1024_160" …).
    public static func standardized(name: String) -> DHGroup? {
        (0...2).lazy.compactMap { standardized($0) }.first { $0.name == name }
    }

    public var description: String { "\(name) (\(p.count * 8)-bit p)" }

    /// base^exponent mod p, |p| bytes (constant time in the exponent).
    public func power(_ base: [UInt8], _ exponent: [UInt8]) throws -> [UInt8] {
        try PrimeField(modulus: p).power(base, exponent)
    }

    /// a·b mod p, |p| bytes.
    public func multiply(_ a: [UInt8], _ b: [UInt8]) throws -> [UInt8] {
        try PrimeField(modulus: p).multiply(a, b)
    }

    /// k = (p − 1)/q, the exponent that takes any element of GF(p)* into the subgroup of order q: (x^k)^q = x^(p−1) = 1.
    /// PACE's Integrated Mapping over DH maps with it (f_g(x) = x^k mod p, ICAO Doc 9303-11 §4.4.3.3.2).
    ///
    /// Computed without integer division: k·q = p − 1 ≡ −1 (mod p) and 0 < k < p, so k is the one residue with
    /// k ≡ −q⁻¹ (mod p), which OpenSSL's inversion modulo p gives. That needs q to divide p − 1, as it does in the
    /// groups of RFC 5114, the only ones PACE takes (`standardized`).
    public func cofactor() throws -> [UInt8] {
        let field = try PrimeField(modulus: p)
        return Array(try field.negate(field.inverse(field.reduce(q))).drop { $0 == 0 })
    }

    /// g^x mod p.
    public func publicValue(_ privateExponent: [UInt8]) throws -> [UInt8] {
        try power(g, privateExponent)
    }

    /// A random exponent in [1, q − 1], as long as q.
    public func randomExponent() throws -> [UInt8] {
        while true {
            let candidate = try SecureRandom.bytes(q.count)
            if candidate.contains(where: { $0 != 0 }) && candidate.lexicographicallyPrecedes(q) { return candidate }
        }
    }

    /// Whether y is an element of the subgroup: 1 < y < p − 1 and y^q = 1 mod p (TR-03111 §4.3.3 for the
    /// finite-field case). A key outside it would leak the private exponent in small-subgroup attacks.
    public func isValidPublicValue(_ y: [UInt8]) -> Bool {
        let value = Array(y.drop { $0 == 0 })
        guard !value.isEmpty, value.count <= p.count, value != [1] else { return false }
        let padded = [UInt8](repeating: 0, count: p.count - value.count) + value
        var pMinusOne = p
        // p is odd, so p − 1 only clears the last bit.
        pMinusOne[pMinusOne.count - 1] &= 0xFE
        guard padded.lexicographicallyPrecedes(pMinusOne) else { return false }
        guard let check = try? power(padded, q) else { return false }
        return check.dropLast().allSatisfy { $0 == 0 } && check.last == 1
    }
}
