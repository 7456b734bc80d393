import PKICore

/// The elliptic-curve domain parameters of a CV public key (TR-03110-3 D.3.3, Table 31).
///
/// ```
/// 81 p   prime modulus            unsigned integer
/// 82 a   first coefficient        unsigned integer
/// 83 b   second coefficient       unsigned integer
/// 84 G   base point               uncompressed point 04 ‖ x ‖ y
/// 85 r   order of the base point  unsigned integer
/// 87 f   cofactor                 unsigned integer, optional
/// ```
/// (86, the public point, sits between r and f in the public key; it is not a domain parameter.)
///
/// Values are kept as they were read, so that a certificate re-encodes to its own bytes; the ones epki builds
/// are minimal ("leading octets of value 0x00 MUST NOT be used", D.2.1.1).
public struct CVDomainParameters: Hashable, Sendable {
    public var prime: [UInt8]
    public var a: [UInt8]
    public var b: [UInt8]
    public var basePoint: [UInt8]
    public var order: [UInt8]
    public var cofactor: [UInt8]?

    public init(prime: [UInt8], a: [UInt8], b: [UInt8], basePoint: [UInt8], order: [UInt8], cofactor: [UInt8]?) {
        self.prime = prime
        self.a = a
        self.b = b
        self.basePoint = basePoint
        self.order = order
        self.cofactor = cofactor
    }

    /// The CV form of X9.62 explicit parameters, every integer in its minimal form.
    public init(_ parameters: ECDomainParameters) {
        self.init(
            prime: Self.minimal(parameters.prime), a: Self.minimal(parameters.a), b: Self.minimal(parameters.b),
            basePoint: parameters.generator, order: Self.minimal(parameters.order),
            cofactor: parameters.cofactor.map(Self.minimal))
    }

    /// The parameters of a curve epki knows (from OpenSSL's tables, never typed in by hand).
    public init(curve: ECCurve) throws {
        do {
            self.init(try curve.explicitParameters)
        } catch let error as PKIError {
            throw CVCError(.domainParameters, error.reason)
        }
    }

    /// X9.62 explicit parameters for OpenSSL. The field elements a and b are written as long as the prime, as
    /// X9.62 FieldElement octet strings are.
    public var ecDomainParameters: ECDomainParameters {
        let length = Self.minimal(prime).count
        return ECDomainParameters(
            prime: prime, a: Self.padded(a, to: length), b: Self.padded(b, to: length), generator: basePoint,
            order: order, cofactor: cofactor)
    }

    /// The named curve these parameters describe, when epki knows it.
    public var curve: ECCurve? { ECCurve(explicit: ecDomainParameters) }

    /// Byte length of the curve order: the length of r and of s in a plain ECDSA signature.
    public var orderLength: Int { Self.minimal(order).count }

    /// Whether both describe the same group, whatever leading zeros either was written with. A missing cofactor
    /// matches any (the standard lets it be left out).
    public func describesSameCurve(as other: CVDomainParameters) -> Bool {
        Self.minimal(prime) == Self.minimal(other.prime) && Self.minimal(a) == Self.minimal(other.a)
            && Self.minimal(b) == Self.minimal(other.b) && basePoint == other.basePoint
            && Self.minimal(order) == Self.minimal(other.order)
            && (cofactor == nil || other.cofactor == nil || Self.minimal(cofactor ?? []) == Self.minimal(other.cofactor ?? []))
    }

    /// A short name for reports: the curve, or the field size of an unknown one.
    public var displayName: String {
        curve?.rawValue ?? "unnamed \(Self.minimal(prime).count * 8)-bit curve"
    }

    /// An unsigned big-endian integer without its leading zero bytes (zero stays one byte): how TR-03110-3 D.3
    /// writes key values, and how two encodings of one value compare.
    public static func minimal(_ bytes: [UInt8]) -> [UInt8] {
        let stripped = Array(bytes.drop(while: { $0 == 0 }))
        return stripped.isEmpty && !bytes.isEmpty ? [0] : stripped
    }

    static func padded(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        let value = minimal(bytes)
        return value.count >= length ? value : [UInt8](repeating: 0, count: length - value.count) + value
    }
}
