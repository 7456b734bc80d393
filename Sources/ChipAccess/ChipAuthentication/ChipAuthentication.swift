import LDS
import PKICore
import SmartCard
import SwiftASN1

/// Chip Authentication version 1 (ICAO Doc 9303-11 §6.2, BSI TR-03110-1 §3.4, TR-03110-3 §B.1): an ECDH key
/// agreement between an ephemeral key of the terminal and the chip's static key of DG14, inside the running
/// secure messaging session; the chip proves it holds the static key by answering under the new session keys.
///
/// ```
/// 3DES   MSE:Set KAT  0C 22 41 A6 { 91 PK_PCD, [84 keyId] }                       (protected with the old keys)
/// AES    MSE:Set AT   0C 22 41 A4 { 80 OID, [84 keyId] }
///        GENERAL AUTHENTICATE 0C 86 00 00 { 7C { 80 PK_PCD } }  → 7C 00           (protected with the old keys)
/// both   K = x(SK_PCD · PK_PICC);  KS_Enc, KS_MAC = KDF(K, 1), KDF(K, 2);  SSC = 0;  the next command uses them
/// id-CA-ECDH = 0.4.0.127.0.7.2.2.3.2 . cipher   1 3DES  2 AES-128  3 AES-192  4 AES-256
/// ```
public enum ChipAuthentication {
    public static let ecdhArc: [UInt] = [0, 4, 0, 127, 0, 7, 2, 2, 3, 2]
    /// id-standardizedDomainParameters (0.4.0.127.0.7.1.2).
    public static let standardizedDomainParameters: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 1, 2]

    /// The chip's static key as DG14 gives it: the curve (from named or explicit parameters) and the point.
    public struct ChipKey: Hashable, Sendable {
        public let curve: ECCurve
        public let publicPoint: [UInt8]
        public let keyId: Int?

        public init(curve: ECCurve, publicPoint: [UInt8], keyId: Int? = nil) {
            self.curve = curve
            self.publicPoint = publicPoint
            self.keyId = keyId
        }

        /// From a ChipAuthenticationPublicKeyInfo: standardized domain parameters by ID, or id-PK-ECDH with the
        /// domain parameters, named or explicit.
        public init(_ info: ChipAuthenticationPublicKeyInfo) throws {
            let spki = info.chipAuthenticationPublicKey
            guard let parameters = spki.algorithm.parameters else {
                throw ChipAccessError(.invalidValue, "the Chip Authentication public key \(info.keyId.map { "\($0)" } ?? "") carries no domain parameters")
            }
            let curve: ECCurve?
            if spki.algorithm.algorithm == ChipAuthentication.standardizedDomainParameters {
                // TR-03110-3 §A.2.1.1: the algorithm names standardized parameters and the parameter is their ID
                // (those of PACE), as the BSI EAC worked example writes it.
                curve = (try? Int(asn1Any: parameters)).flatMap(PACEParameters.curve)
            } else if let oid = try? ASN1ObjectIdentifier(asn1Any: parameters) {
                curve = ECCurve(oid: oid)
            } else if let explicit = try? ECDomainParameters(asn1Any: parameters) {
                curve = ECCurve(explicit: explicit)
            } else {
                curve = nil
            }
            guard let curve else { throw ChipAccessError(.invalidValue, "the Chip Authentication key's domain parameters are not a supported curve") }
            self.init(curve: curve, publicPoint: Array(spki.subjectPublicKey.bytes), keyId: info.keyId)
        }
    }

    public static func cipher(of protocolIdentifier: ASN1ObjectIdentifier) throws -> BlockCipher {
        let components = protocolIdentifier.description.split(separator: ".").compactMap { UInt($0) }
        guard components.count == ecdhArc.count + 1, Array(components.prefix(ecdhArc.count)) == ecdhArc else {
            throw ChipAccessError(.invalidValue, "\(protocolIdentifier) is not id-CA-ECDH-… (DH Chip Authentication is not supported)")
        }
        switch components.last {
        case 1: return .tripleDES
        case 2: return .aes128
        case 3: return .aes192
        case 4: return .aes256
        default: throw ChipAccessError(.invalidValue, "\(protocolIdentifier): unknown Chip Authentication cipher")
        }
    }

    /// The session after Chip Authentication, from the agreed secret.
    static func session(secret: [UInt8], cipher: BlockCipher) throws -> SecureMessaging {
        try SecureMessaging(keys: SecureMessagingKeys(seed: secret, cipher: cipher))
    }

    /// The terminal's side over the running secure messaging session; on success `transport` speaks with the new
    /// keys. `ephemeralKey` is random unless given. Returns the terminal's ephemeral public key, which Terminal
    /// Authentication signs.
    @discardableResult
    public static func authenticate(over transport: SecureMessagingTransport, chipKey: ChipKey, protocolIdentifier: ASN1ObjectIdentifier,
                                    ephemeralKey: [UInt8]? = nil) throws -> [UInt8] {
        let cipher = try cipher(of: protocolIdentifier)
        let arithmetic = ECPointArithmetic(chipKey.curve)
        let privateKey = try ephemeralKey ?? arithmetic.randomScalar()
        let publicKey = try arithmetic.multiply(privateKey)
        let secret: [UInt8]
        do {
            secret = try arithmetic.xCoordinate(arithmetic.multiply(privateKey, chipKey.publicPoint))
        } catch {
            throw ChipAccessError(.authenticationFailed, "Chip Authentication: DG14's public key is not a point of \(chipKey.curve)")
        }
        let keyReference: [UInt8] = chipKey.keyId.map { [0x84, 0x01, UInt8($0)] } ?? []
        if cipher == .tripleDES {
            let command = CommandAPDU(ins: 0x22, p1: 0x41, p2: 0xA6, data: DynamicAuthenticationData.tlv([0x91], publicKey) + keyReference)
            try require(transport.send(command), "MSE:Set KAT")
        } else {
            let oid = try PACE.oidContent(protocolIdentifier)
            try require(transport.send(CommandAPDU(ins: 0x22, p1: 0x41, p2: 0xA4, data: DynamicAuthenticationData.tlv([0x80], oid) + keyReference)),
                        "MSE:Set AT")
            let response = try transport.send(CommandAPDU(ins: 0x86, p1: 0, p2: 0, data: DynamicAuthenticationData([(0x80, publicKey)]).encoded,
                                                          expectedLength: 256))
            try require(response, "GENERAL AUTHENTICATE")
        }
        transport.switchSession(to: try session(secret: secret, cipher: cipher))
        return publicKey
    }

    private static func require(_ response: ResponseAPDU, _ what: String) throws {
        guard response.statusWord.isSuccess else {
            throw ChipAccessError(.authenticationFailed, "Chip Authentication \(what) refused: \(response.statusWord)", statusWord: response.statusWord)
        }
    }

    /// The chip's side: the session that follows, from the terminal's ephemeral public key and the static private key.
    public static func chipSession(terminalPublicKey: [UInt8], staticKey: [UInt8], curve: ECCurve, cipher: BlockCipher) throws -> SecureMessaging {
        let arithmetic = ECPointArithmetic(curve)
        do {
            return try session(secret: arithmetic.xCoordinate(arithmetic.multiply(staticKey, terminalPublicKey)), cipher: cipher)
        } catch {
            throw ChipAccessError(.refused, "the terminal's key is not a point of \(curve)", statusWord: .incorrectParametersInData)
        }
    }
}
