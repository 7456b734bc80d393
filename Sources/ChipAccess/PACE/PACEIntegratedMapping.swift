import PKICore

/// The Integrated Mapping of PACE (ICAO Doc 9303-11 §4.4.3.3.2 and Appendix B, BSI TR-03110-2 §3.2), over ECDH (ECDH-IM)
/// and over DH (DH-IM): the terminal sends a random nonce t in clear (81, k bits, k the key size), the chip answers with
/// an empty 82, and both map the chip's nonce s (l bits) to the generator of the key agreement without another key
/// agreement.
///
/// ```
/// Ĝ        = f_G(R_p(s, t))   on a curve;   ĝ = f_g(R_p(s, t))   in a DH group
/// R(s, t)  k₀ = E(t, s);  for i = 1 … n:  x_i = E(k_{i−1}, c1),  k_i = E(k_{i−1}, c0);  R = x₁ ‖ … ‖ x_n
///          E the session's cipher in CBC with IV 0 (3DES: two-key EDE over 8-byte blocks, so a 128-bit input is two
///          blocks), each k truncated to the key size (AES-192: octets 1–24), n the least with n·l ≥ log₂ p + 64
///          l = 128 (3DES, AES-128): c0 = a668892a7c41e3ca739f40b057d85904, c1 = a4e136ac725f738b01c1f60217c188ad
///          l = 256 (AES-192, -256): c0 = d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676
///                                   c1 = 54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517
/// R_p      int(R) mod p
/// f_g(x)   DH: x^a mod p with a = (p − 1)/q, an element of the subgroup of order q (|p| bytes); 0 and 1 are refused
/// f_G(t)   ECDH: the point encoding of App. B.2 (affine coordinates, p ≡ 3 mod 4, y² = x³ + a·x + b), all mod p:
///          α = −t²;  X₂ = −b·a⁻¹·(1 + (α + α²)⁻¹);  X₃ = α·X₂;  h₂ = X₂³ + a·X₂ + b;  U = t³·h₂;
///          A = h₂^(p − 1 − (p + 1)/4);  Ĝ = (X₂, A·h₂) if A²·h₂ = 1, else (X₃, A·U)
/// ```
///
/// A = h₂^(−(p+1)/4) is 1/√h₂ when h₂ is a square, and A²·h₂ is then 1: (X₂, √h₂) is on the curve. Otherwise h₃ = X₃³ +
/// a·X₃ + b = −t⁶·h₂ is the square, and A·U its root. The standard's curves all have cofactor 1, so f_G's point is in ⟨G⟩.
/// In a DH group the exponent (p − 1)/q does the same job: whatever R_p is, f_g(R_p)^q = R_p^(p − 1) = 1.
public enum PACEIntegratedMapping {
    static let c0For128 = [UInt8](hex: "a668892a7c41e3ca739f40b057d85904") ?? []
    static let c1For128 = [UInt8](hex: "a4e136ac725f738b01c1f60217c188ad") ?? []
    static let c0For256 = [UInt8](hex: "d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676") ?? []
    static let c1For256 = [UInt8](hex: "54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517") ?? []

    /// The mapped generator f(R_p(s, t)) of the parameters' domain: Ĝ uncompressed on a curve, ĝ of |p| bytes in a
    /// DH group.
    public static func mappedGenerator(nonce: [UInt8], terminalNonce: [UInt8], parameters: PACEParameters) throws -> [UInt8] {
        guard nonce.count == parameters.nonceLength, terminalNonce.count == parameters.terminalNonceLength else {
            throw ChipAccessError(.invalidValue, "PACE-IM with \(parameters.cipher): s has \(parameters.nonceLength) bytes and t \(parameters.terminalNonceLength), not \(nonce.count) and \(terminalNonce.count)",
                                  statusWord: .incorrectParametersInData)
        }
        switch parameters.domain {
        case .ec(let curve):
            let field = try ECPointArithmetic(curve).curveEquation.field
            let random = try pseudoRandom(nonce: nonce, terminalNonce: terminalNonce, cipher: parameters.cipher, primeBits: field.bitLength)
            return try encode(field.reduce(random), curve: curve)
        case .dh(let group):
            let field = try PrimeField(modulus: group.p)
            let random = try pseudoRandom(nonce: nonce, terminalNonce: terminalNonce, cipher: parameters.cipher, primeBits: field.bitLength)
            return try mapToSubgroup(field.reduce(random), group: group)
        }
    }

    /// f_g(x) = x^((p − 1)/q) mod p, |p| bytes: DH-IM's map of R_p into the subgroup of order q.
    public static func mapToSubgroup(_ x: [UInt8], group: DHGroup) throws -> [UInt8] {
        let field = try PrimeField(modulus: group.p)
        let generator = try field.power(field.reduce(x), group.cofactor())
        // 0 (x = 0) and 1 (x of an order dividing (p − 1)/q) generate nothing: every public key on them would be the
        // same, and K known to anyone. An honest run meets neither but with negligible probability, so the attempt
        // ends as for a malformed mapping.
        guard generator != field.zero, generator != field.one else {
            throw ChipAccessError(.invalidValue, "PACE DH-IM: f_g(R_p(s, t)) is \(generator == field.one ? 1 : 0), not a generator of \(group)'s subgroup",
                                  statusWord: .incorrectParametersInData)
        }
        return generator
    }

    /// R(s, t): n blocks of l bits, l the bit length of s.
    public static func pseudoRandom(nonce s: [UInt8], terminalNonce t: [UInt8], cipher: BlockCipher, primeBits: Int) throws -> [UInt8] {
        let l = s.count * 8
        let constants: (c0: [UInt8], c1: [UInt8])
        switch l {
        case 128: constants = (c0For128, c1For128)
        case 256: constants = (c0For256, c1For256)
        default:
            throw ChipAccessError(.invalidValue, "PACE-IM: the nonce s has \(s.count) bytes; the pseudo-random function takes 16 or 32",
                                  statusWord: .incorrectParametersInData)
        }
        guard t.count == cipher.keyLength else {
            throw ChipAccessError(.invalidValue, "PACE-IM: the nonce t has \(t.count) bytes; \(cipher) keys have \(cipher.keyLength)",
                                  statusWord: .incorrectParametersInData)
        }
        // n·l ≥ log₂ p + 64: the 64 extra bits make int(R) mod p close to uniform.
        let n = (primeBits + 64 + l - 1) / l
        var key = Array(try cipher.encrypt(s, key: t).prefix(cipher.keyLength))
        var output: [UInt8] = []
        output.reserveCapacity(n * s.count)
        for _ in 0..<n {
            output += try cipher.encrypt(constants.c1, key: key)
            key = Array(try cipher.encrypt(constants.c0, key: key).prefix(cipher.keyLength))
        }
        return output
    }

    /// f_G: a field element (reduced, of the field's length) to a point of the curve, uncompressed.
    public static func encode(_ t: [UInt8], curve: ECCurve) throws -> [UInt8] {
        let arithmetic = ECPointArithmetic(curve)
        let (field, a, b) = try arithmetic.curveEquation
        let p = field.modulus
        guard let low = p.last, low & 0b11 == 0b11 else {
            throw ChipAccessError(.invalidValue, "PACE-IM's point encoding needs p ≡ 3 (mod 4), which \(curve) does not have")
        }
        let t = try field.reduce(t)
        let alpha = try field.negate(field.square(t))
        let alphaPlusSquare = try field.add(alpha, field.square(alpha))
        // α + α² = 0 only for t = 0 or t² = 1: three values of R_p out of p, which no honest run meets.
        guard alphaPlusSquare != field.zero else {
            throw ChipAccessError(.invalidValue, "PACE-IM: R_p(s, t) is 0 or ±1, which the point encoding cannot map", statusWord: .incorrectParametersInData)
        }
        let minusBOverA = try field.negate(field.multiply(b, field.inverse(a)))
        let x2 = try field.multiply(minusBOverA, field.add(field.one, field.inverse(alphaPlusSquare)))
        let x3 = try field.multiply(alpha, x2)
        let h2 = try field.add(field.add(field.multiply(field.square(x2), x2), field.multiply(a, x2)), b)
        let u = try field.multiply(field.multiply(field.square(t), t), h2)
        let root = try field.power(h2, Self.exponent(p, field))
        let point: (x: [UInt8], y: [UInt8])
        if try field.multiply(field.square(root), h2) == field.one {
            point = (x2, try field.multiply(root, h2))
        } else {
            point = (x3, try field.multiply(root, u))
        }
        do {
            return try arithmetic.point(x: point.x, y: point.y)
        } catch {
            // Only h₂ = 0 (X₂ a root of the curve's cubic) leads here; as above, no honest run meets it.
            throw ChipAccessError(.invalidValue, "PACE-IM: the point encoding gave no point of \(curve)", statusWord: .incorrectParametersInData)
        }
    }

    /// p − 1 − (p + 1)/4 as an integer: with p = 4q + 3 it is 3q + 1, below p, so the field's addition computes it.
    static func exponent(_ p: [UInt8], _ field: PrimeField) throws -> [UInt8] {
        var q = [UInt8](repeating: 0, count: p.count)
        var carried: UInt8 = 0
        for index in p.indices {
            q[index] = p[index] >> 2 | carried
            carried = p[index] << 6
        }
        return try field.add(field.add(field.add(q, q), q), field.one)
    }
}
