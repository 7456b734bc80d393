import COpenSSLShims

/// Arithmetic in GF(p), for the point encoding of PACE's Integrated Mapping (ICAO Doc 9303-11 App. B), which works on
/// field elements rather than on points. Elements are big-endian unsigned integers; every result is reduced and
/// left-padded to the length of p.
///
/// ```
/// add a + b   subtract a − b   multiply a · b   power a^e   inverse a⁻¹ (a ≠ 0)   reduce a mod p (a of any length)
/// ```
public struct PrimeField: Hashable, Sendable {
    /// p, big-endian, without leading zero bytes.
    public let modulus: [UInt8]

    public init(modulus: [UInt8]) throws {
        let trimmed = Array(modulus.drop { $0 == 0 })
        // Every caller works modulo a curve's prime; an even or tiny modulus is a mistake, not a field.
        guard let last = trimmed.last, last & 1 == 1, trimmed.count > 1 || last > 2 else {
            throw PKIError(.invalidValue, "a prime field needs an odd prime modulus, not \(modulus.hexString)")
        }
        self.modulus = trimmed
    }

    /// The length of an element in bytes.
    public var elementLength: Int { modulus.count }

    /// The number of bits of p (⌈log₂ p⌉ for a prime that is no power of two).
    public var bitLength: Int { modulus.count * 8 - modulus[0].leadingZeroBitCount }

    public var zero: [UInt8] { [UInt8](repeating: 0, count: elementLength) }
    public var one: [UInt8] {
        var one = zero
        one[one.count - 1] = 1
        return one
    }

    public func add(_ a: [UInt8], _ b: [UInt8]) throws -> [UInt8] { try run(EPKI_MOD_ADD, a, b, "addition") }
    public func subtract(_ a: [UInt8], _ b: [UInt8]) throws -> [UInt8] { try run(EPKI_MOD_SUBTRACT, a, b, "subtraction") }
    public func multiply(_ a: [UInt8], _ b: [UInt8]) throws -> [UInt8] { try run(EPKI_MOD_MULTIPLY, a, b, "multiplication") }
    public func negate(_ a: [UInt8]) throws -> [UInt8] { try subtract(zero, a) }
    public func square(_ a: [UInt8]) throws -> [UInt8] { try multiply(a, a) }

    /// a^exponent, the exponent any non-negative integer (big-endian).
    public func power(_ a: [UInt8], _ exponent: [UInt8]) throws -> [UInt8] { try run(EPKI_MOD_POWER, a, exponent, "exponentiation") }

    /// a⁻¹; throws `invalidValue` for a ≡ 0, which has none.
    public func inverse(_ a: [UInt8]) throws -> [UInt8] {
        do {
            return try run(EPKI_MOD_INVERSE, a, [], "inversion")
        } catch {
            throw PKIError(.invalidValue, "GF(p) inversion: \(a.hexString) has no inverse modulo p")
        }
    }

    /// a mod p, for an integer of any length (a pseudo-random octet string longer than p, say).
    public func reduce(_ a: [UInt8]) throws -> [UInt8] { try run(EPKI_MOD_REDUCE, a, [], "reduction") }

    private func run(_ operation: epki_mod_operation, _ a: [UInt8], _ b: [UInt8], _ what: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: elementLength)
        let length = epki_mod_arithmetic(operation, a, a.count, b, b.count, modulus, modulus.count, &out, out.count)
        guard length == Int32(elementLength) else { throw OpenSSL.failure(.cryptoFailure, "GF(p) \(what)") }
        return out
    }
}

extension ECPointArithmetic {
    /// The curve y² = x³ + a·x + b over GF(p): its field and coefficients (reduced, of the field's length).
    public var curveEquation: (field: PrimeField, a: [UInt8], b: [UInt8]) {
        get throws {
            var p = [UInt8](repeating: 0, count: fieldLength), a = p, b = p
            guard epki_ec_group_curve(curve.openSSLName, &p, &a, &b, fieldLength) == Int32(fieldLength) else {
                throw OpenSSL.failure(.cryptoFailure, "the equation of \(curve)")
            }
            return (try PrimeField(modulus: p), a, b)
        }
    }

    /// The point (x, y), uncompressed; throws `invalidValue` unless it lies on the curve.
    public func point(x: [UInt8], y: [UInt8]) throws -> [UInt8] {
        guard x.count == fieldLength, y.count == fieldLength else {
            throw PKIError(.invalidValue, "\(curve) coordinates have \(fieldLength) bytes, not \(x.count) and \(y.count)")
        }
        let encoded = [0x04] + x + y
        // 1·P goes through OpenSSL's decoding, which refuses a point off the curve.
        guard (try? multiply([0x01], encoded)) == encoded else {
            throw PKIError(.invalidValue, "(\(x.hexString), \(y.hexString)) is not a point of \(curve)")
        }
        return encoded
    }
}
