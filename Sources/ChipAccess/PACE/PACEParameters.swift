import LDS
import PKICore
import SwiftASN1

/// What a PACEInfo of EF.CardAccess announces (ICAO Doc 9303-11 §9.2.1, TR-03110-3 §A.1.1): the mapping, the
/// cipher of the session, and the standardized domain parameters.
///
/// ```
/// id-PACE = 0.4.0.127.0.7.2.2.4 . mapping . cipher
///   mapping  1 DH-GM  2 ECDH-GM  3 DH-IM  4 ECDH-IM  6 ECDH-CAM
///   cipher   1 3DES-CBC-CBC  2 AES-CBC-CMAC-128  3 AES-CBC-CMAC-192  4 AES-CBC-CMAC-256   (CAM: AES only)
/// parameterId  0 1024-bit MODP/160  1 2048-bit MODP/224  2 2048-bit MODP/256   (RFC 5114, for DH mappings)
///              10 P-224  11 brainpoolP224r1  12 P-256  13 brainpoolP256r1  14 brainpoolP320r1
///              15 P-384  16 brainpoolP384r1  17 brainpoolP512r1  18 P-521
/// ```
public struct PACEParameters: Hashable, Sendable, CustomStringConvertible {
    public enum Mapping: Int, Hashable, Sendable {
        case genericDH = 1
        case generic = 2
        case integratedDH = 3
        case integrated = 4
        case chipAuthentication = 6
    }

    public let protocolIdentifier: ASN1ObjectIdentifier
    public let mapping: Mapping
    public let cipher: BlockCipher
    public let parameterId: Int
    /// The curve or finite-field group of the standardized domain parameters.
    public let domain: KeyAgreementDomain

    /// The curve, for the ECDH mappings; nil for DH-GM and DH-IM.
    public var curve: ECCurve? {
        if case .ec(let curve) = domain { return curve }
        return nil
    }

    public static let arc: [UInt] = [0, 4, 0, 127, 0, 7, 2, 2, 4]

    public init(protocolIdentifier: ASN1ObjectIdentifier, parameterId: Int) throws {
        let components = protocolIdentifier.description.split(separator: ".").compactMap { UInt($0) }
        guard components.count == Self.arc.count + 2, Array(components.prefix(Self.arc.count)) == Self.arc else {
            throw ChipAccessError(.invalidValue, "\(protocolIdentifier) is not a PACE protocol identifier (0.4.0.127.0.7.2.2.4.x.y)")
        }
        guard let mapping = Mapping(rawValue: Int(components[9])) else {
            throw ChipAccessError(.invalidValue, "PACE mapping \(components[9]) of \(protocolIdentifier) is not one of Doc 9303-11")
        }
        switch components[10] {
        case 1:
            // Doc 9303-11 defines the Chip Authentication Mapping with AES only (id-PACE-ECDH-CAM-AES-*): its A_IC is
            // encrypted with the IV E(KS_Enc, FF…FF) of AES secure messaging, which has no 3DES counterpart.
            guard mapping != .chipAuthentication else {
                throw ChipAccessError(.invalidValue, "PACE-CAM is defined with AES only, not with 3DES (\(protocolIdentifier))")
            }
            cipher = .tripleDES
        case 2: cipher = .aes128
        case 3: cipher = .aes192
        case 4: cipher = .aes256
        default: throw ChipAccessError(.invalidValue, "PACE cipher \(components[10]) of \(protocolIdentifier) is not one of Doc 9303-11 (1 3DES, 2–4 AES-128/192/256)")
        }
        let domain: KeyAgreementDomain
        if mapping == .genericDH || mapping == .integratedDH {
            guard let group = DHGroup.standardized(parameterId) else {
                throw ChipAccessError(.invalidValue, "PACE domain parameters \(parameterId) are not a standardized DH group (0, 1, 2), which \(mapping) needs")
            }
            domain = .dh(group)
        } else {
            guard let curve = Self.curve(parameterId) else {
                throw ChipAccessError(.invalidValue, "PACE domain parameters \(parameterId) are not a supported standardized elliptic curve")
            }
            // The point encoding of the Integrated Mapping needs p ≡ 3 (mod 4); P-224's p ≡ 1 (mod 4), and TR-03110-3
            // Table 4 excludes parameter ID 10 from IM.
            guard mapping != .integrated || curve != .p224 else {
                throw ChipAccessError(.invalidValue, "PACE ECDH-IM is not defined on P-224 (domain parameters 10)")
            }
            domain = .ec(curve)
        }
        self.protocolIdentifier = protocolIdentifier
        self.mapping = mapping
        self.parameterId = parameterId
        self.domain = domain
    }

    /// Whether the mapping is integrated (ECDH-IM or DH-IM): the terminal sends a nonce t instead of a mapping key.
    public var isIntegratedMapping: Bool { mapping == .integrated || mapping == .integratedDH }

    /// The length of the chip's nonce s in bytes: one block, except under the Integrated Mapping, where s has l bits,
    /// the smallest multiple of the block size not below the key size k (9303-11 §4.4.3.3): 32 bytes for AES-192/256,
    /// 16 for AES-128 and for 3DES (two 8-byte blocks: 3DES counts as a 128-bit key).
    public var nonceLength: Int {
        guard isIntegratedMapping else { return cipher.blockSize }
        return (cipher.keyLength + cipher.blockSize - 1) / cipher.blockSize * cipher.blockSize
    }

    /// The length of the terminal's nonce t of the Integrated Mapping in bytes: the key size k (3DES counting as 128 bits).
    public var terminalNonceLength: Int { cipher.keyLength }

    public init(_ info: PACEInfo) throws {
        guard let parameterId = info.parameterId else {
            throw ChipAccessError(.invalidValue, "PACEInfo \(info.protocolIdentifier) names no standardized domain parameters")
        }
        try self.init(protocolIdentifier: info.protocolIdentifier, parameterId: parameterId)
    }

    public static func curve(_ parameterId: Int) -> ECCurve? {
        switch parameterId {
        case 10: .p224
        case 11: .brainpoolP224r1
        case 12: .p256
        case 13: .brainpoolP256r1
        case 14: .brainpoolP320r1
        case 15: .p384
        case 16: .brainpoolP384r1
        case 17: .brainpoolP512r1
        case 18: .p521
        default: nil
        }
    }

    public var description: String { "PACE \(mapping) \(cipher) on \(domain) (\(protocolIdentifier))" }
}
