import COpenSSLShims

/// Point arithmetic on a named curve, for the chip access protocols (ICAO Doc 9303-11 §4.4, TR-03110-3 §A.3):
/// PACE maps the generator to G' = s·G + H and agrees a key on G', which no named group describes, so these work
/// on encoded points rather than on keys. Points are X9.62 uncompressed (04 ‖ x ‖ y); scalars big-endian.
public struct ECPointArithmetic: Hashable, Sendable {
    public let curve: ECCurve

    public init(_ curve: ECCurve) {
        self.curve = curve
    }

    /// The length of a coordinate (and of a shared secret) in bytes.
    public var fieldLength: Int { curve.coordinateLength }

    /// The order of the generator.
    public var order: [UInt8] {
        get throws {
            var out = [UInt8](repeating: 0, count: 80)
            let length = epki_ec_group_order(curve.openSSLName, &out, out.count)
            guard length > 0 else { throw OpenSSL.failure(.cryptoFailure, "the order of \(curve)") }
            return Array(out.prefix(Int(length)))
        }
    }

    /// a·P + b·Q (P nil: the generator; a term with an empty scalar is left out). Throws `invalidValue` when a
    /// point is not on the curve or the result is the point at infinity.
    public func combine(_ a: [UInt8], _ p: [UInt8]?, plus b: [UInt8] = [], _ q: [UInt8]? = nil) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 2 * fieldLength + 1)
        let length = p.withOptionalPointer { pPointer, pCount in
            q.withOptionalPointer { qPointer, qCount in
                epki_ec_linear(curve.openSSLName, a, a.count, pPointer, pCount, b, b.count, qPointer, qCount, &out, out.count)
            }
        }
        guard length == Int32(out.count) else {
            throw PKIError(.invalidValue, "\(curve) point arithmetic: a point is not on the curve, or the result is the point at infinity")
        }
        return out
    }

    /// k·P, or k·G without a point.
    public func multiply(_ k: [UInt8], _ point: [UInt8]? = nil) throws -> [UInt8] {
        try combine(k, point)
    }

    /// numerator · denominator⁻¹ mod the order (PACE-CAM's CA_IC = SK_IC⁻¹ · SK_map,IC).
    public func divide(_ numerator: [UInt8], by denominator: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 80)
        let length = epki_ec_scalar_divide(curve.openSSLName, numerator, numerator.count, denominator, denominator.count, &out, out.count)
        guard length > 0 else { throw OpenSSL.failure(.cryptoFailure, "scalar division on \(curve)") }
        return Array(out.prefix(Int(length)))
    }

    /// A random private scalar in [1, order − 1].
    public func randomScalar() throws -> [UInt8] {
        let order = try self.order
        while true {
            var candidate = try SecureRandom.bytes(order.count)
            // Keep no more bits than the order has, then accept only values below it (no modular bias).
            let topBits = 8 - order[0].leadingZeroBitCount
            candidate[0] &= UInt8(truncatingIfNeeded: (1 << topBits) - 1)
            if candidate.contains(where: { $0 != 0 }), candidate.lexicographicallyPrecedes(order) { return candidate }
        }
    }

    /// The x coordinate of a point: the shared secret of ECDH (TR-03110-3 §A.3.4.1).
    public func xCoordinate(_ point: [UInt8]) throws -> [UInt8] {
        guard point.count == 2 * fieldLength + 1, point.first == 0x04 else {
            throw PKIError(.invalidValue, "an uncompressed \(curve) point has \(2 * fieldLength + 1) bytes starting 04, not \(point.count)")
        }
        return Array(point[1...fieldLength])
    }
}

extension Optional where Wrapped == [UInt8] {
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<UInt8>?, Int) -> R) -> R {
        switch self {
        case .none: return body(nil, 0)
        case .some(let bytes): return bytes.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
        }
    }
}
