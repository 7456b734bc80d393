import COpenSSLShims
import SwiftASN1

/// The elliptic curves of ePassport PKIs: the brainpool curves (RFC 5639) and NIST's (FIPS 186-4).
///
/// Keys are generated on the six curves of `generatable`; the others are read so that older certificates in the
/// ICAO master list verify.
public enum ECCurve: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case brainpoolP224r1
    case brainpoolP256r1
    case brainpoolP320r1
    case brainpoolP384r1
    case brainpoolP512r1
    case p224 = "P-224"
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"

    public static let generatable: [ECCurve] = [.brainpoolP256r1, .brainpoolP384r1, .brainpoolP512r1, .p256, .p384, .p521]

    public var description: String { rawValue }

    /// Accepts epki's names and OpenSSL's (`prime256v1`, `secp384r1`).
    public init?(name: String) {
        if let direct = ECCurve(rawValue: name) ?? ECCurve.allCases.first(where: {
            $0.rawValue.caseInsensitiveCompare(name) == .orderedSame || $0.openSSLName == name
        }) {
            self = direct
        } else {
            return nil
        }
    }

    var openSSLName: String {
        switch self {
        case .p224: "secp224r1"
        case .p256: "prime256v1"
        case .p384: "secp384r1"
        case .p521: "secp521r1"
        default: rawValue
        }
    }

    public var oid: ASN1ObjectIdentifier {
        switch self {
        case .brainpoolP224r1: .Curve.brainpoolP224r1
        case .brainpoolP256r1: .Curve.brainpoolP256r1
        case .brainpoolP320r1: .Curve.brainpoolP320r1
        case .brainpoolP384r1: .Curve.brainpoolP384r1
        case .brainpoolP512r1: .Curve.brainpoolP512r1
        case .p224: .Curve.secp224r1
        case .p256: .Curve.prime256v1
        case .p384: .Curve.secp384r1
        case .p521: .Curve.secp521r1
        }
    }

    public init?(oid: ASN1ObjectIdentifier) {
        guard let match = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = match
    }

    /// Size in bytes of the field and of r and s in a plain signature.
    public var coordinateLength: Int {
        switch self {
        case .brainpoolP224r1, .p224: 28
        case .brainpoolP256r1, .p256: 32
        case .brainpoolP320r1: 40
        case .brainpoolP384r1, .p384: 48
        case .brainpoolP512r1: 64
        case .p521: 66
        }
    }

    /// The hash that matches the curve's strength, used when a caller names none.
    public var matchingHash: HashAlgorithm {
        switch coordinateLength {
        case ...28: .sha224
        case ...32: .sha256
        case ...48: .sha384
        default: .sha512
        }
    }

    /// The explicit form of this curve's domain parameters, with cofactor and without seed, as epki writes it.
    public var explicitParameters: ECDomainParameters {
        get throws {
            guard let parameters = Self.explicitTable[self] else {
                throw PKIError(.unsupportedCurve, "OpenSSL does not provide \(self)")
            }
            return parameters
        }
    }

    /// Identifies explicit parameters as one of the known curves.
    public init?(explicit parameters: ECDomainParameters) {
        guard let match = Self.explicitTable.first(where: { $0.value.describesSameCurve(as: parameters) }) else {
            return nil
        }
        self = match.key
    }

    /// Built once from OpenSSL's curve tables, so no curve constant is typed in by hand.
    private static let explicitTable: [ECCurve: ECDomainParameters] = {
        var table: [ECCurve: ECDomainParameters] = [:]
        for curve in ECCurve.allCases {
            var pointer: UnsafeMutablePointer<UInt8>? = nil
            let length = epki_ec_group_explicit_der(curve.openSSLName, &pointer)
            guard let der = OpenSSL.takeBuffer(pointer, count: Int(length)),
                var parameters = try? ECDomainParameters(berEncoded: der)
            else { continue }
            parameters.seed = nil
            table[curve] = parameters
        }
        return table
    }()
}
