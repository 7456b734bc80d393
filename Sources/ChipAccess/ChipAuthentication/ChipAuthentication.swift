import LDS
import PKICore
import SmartCard
import SwiftASN1

/// Chip Authentication version 1 (ICAO Doc 9303-11 §6.2, BSI TR-03110-1 §3.4, TR-03110-3 §B.1): an ECDH or DH key
/// agreement between an ephemeral key of the terminal and the chip's static key of DG14, inside the running
/// secure messaging session; the chip proves it holds the static key by answering under the new session keys.
///
/// ```
/// 3DES   MSE:Set KAT  0C 22 41 A6 { 91 PK_PCD, [84 keyId] }                       (protected with the old keys)
/// AES    MSE:Set AT   0C 22 41 A4 { 80 OID, [84 keyId] }
///        GENERAL AUTHENTICATE 0C 86 00 00 { 7C { 80 PK_PCD } }  → 7C 00           (protected with the old keys)
/// both   K = x(SK_PCD · PK_PICC) (ECDH) or PK_PICC^SK_PCD mod p (DH, |p| bytes);  KS_Enc, KS_MAC = KDF(K, 1), KDF(K, 2);
///        SSC = 0;  the next command uses them
/// id-CA-ECDH = 0.4.0.127.0.7.2.2.3.2 . cipher,  id-CA-DH = 0.4.0.127.0.7.2.2.3.1 . cipher
///        cipher   1 3DES  2 AES-128  3 AES-192  4 AES-256
/// ```
public enum ChipAuthentication {
    public static let ecdhArc: [UInt] = [0, 4, 0, 127, 0, 7, 2, 2, 3, 2]
    public static let dhArc: [UInt] = [0, 4, 0, 127, 0, 7, 2, 2, 3, 1]
    /// id-PK-DH (0.4.0.127.0.7.2.2.1.1): the algorithm of a DH Chip Authentication public key.
    public static let dhPublicKey: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 1, 1]
    /// id-standardizedDomainParameters (0.4.0.127.0.7.1.2).
    public static let standardizedDomainParameters: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 1, 2]

    /// The chip's static key as DG14 gives it: the curve (from named or explicit parameters) and the point.
    public struct ChipKey: Hashable, Sendable {
        public let domain: KeyAgreementDomain
        /// The EC point (04 ‖ x ‖ y) or the DH public value (|p| bytes).
        public let publicPoint: [UInt8]
        public let keyId: Int?

        public var curve: ECCurve? {
            if case .ec(let curve) = domain { return curve }
            return nil
        }

        public init(curve: ECCurve, publicPoint: [UInt8], keyId: Int? = nil) {
            self.init(domain: .ec(curve), publicKey: publicPoint, keyId: keyId)
        }

        public init(domain: KeyAgreementDomain, publicKey: [UInt8], keyId: Int? = nil) {
            self.domain = domain
            self.publicPoint = publicKey
            self.keyId = keyId
        }

        /// From a ChipAuthenticationPublicKeyInfo: standardized domain parameters by ID, or id-PK-ECDH with the
        /// domain parameters, named or explicit.
        public init(_ info: ChipAuthenticationPublicKeyInfo) throws {
            if let keyId = info.keyId, keyId < 0 {
                throw ChipAccessError(.invalidValue, "the Chip Authentication public key's keyId is \(keyId): a key reference cannot be negative")
            }
            let spki = info.chipAuthenticationPublicKey
            guard let parameters = spki.algorithm.parameters else {
                throw ChipAccessError(.invalidValue, "the Chip Authentication public key \(info.keyId.map { "\($0)" } ?? "") carries no domain parameters")
            }
            if info.protocolIdentifier == ChipAuthentication.dhPublicKey || spki.algorithm.algorithm == ChipAuthentication.dhPublicKey {
                try self.init(dh: info)
                return
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

        /// id-PK-DH: standardized domain parameters by ID (the form TR-03110-3 §A.2.1.1 and the BSI worked example
        /// use), the public value a DER INTEGER inside the BIT STRING (RFC 3279 §2.3.3).
        init(dh info: ChipAuthenticationPublicKeyInfo) throws {
            let spki = info.chipAuthenticationPublicKey
            guard spki.algorithm.algorithm == ChipAuthentication.standardizedDomainParameters,
                  let parameters = spki.algorithm.parameters, let id = try? Int(asn1Any: parameters), let group = DHGroup.standardized(id) else {
                throw ChipAccessError(.invalidValue, "the DH Chip Authentication key does not name standardized domain parameters 0, 1 or 2")
            }
            let integer: ArraySlice<UInt8>
            do {
                integer = try ArraySlice<UInt8>(derEncoded: Array(spki.subjectPublicKey.bytes))
            } catch {
                throw ChipAccessError(.invalidValue, "the DH Chip Authentication public key is not an INTEGER: \(error)")
            }
            let value = Array(integer.drop { $0 == 0 })
            guard value.count <= group.p.count, group.isValidPublicValue(value) else {
                throw ChipAccessError(.invalidValue, "the DH Chip Authentication public key is not an element of \(group)")
            }
            self.init(domain: .dh(group), publicKey: [UInt8](repeating: 0, count: group.p.count - value.count) + value, keyId: info.keyId)
        }
    }

    public static func cipher(of protocolIdentifier: ASN1ObjectIdentifier) throws -> BlockCipher {
        let components = protocolIdentifier.description.split(separator: ".").compactMap { UInt($0) }
        guard components.count == ecdhArc.count + 1, [ecdhArc, dhArc].contains(Array(components.prefix(ecdhArc.count))) else {
            throw ChipAccessError(.invalidValue, "\(protocolIdentifier) is not id-CA-ECDH-… or id-CA-DH-…")
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
        let domain = chipKey.domain
        let privateKey = try ephemeralKey ?? domain.randomPrivateKey()
        let publicKey = try domain.publicKey(privateKey)
        let secret: [UInt8]
        do {
            secret = try domain.sharedSecret(privateKey, chipKey.publicPoint)
        } catch {
            throw ChipAccessError(.authenticationFailed, "Chip Authentication: DG14's public key is not a key of \(domain)")
        }
        let keyReference = try Self.keyReference(chipKey.keyId)
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

    /// `84 keyId`, the key's ID as an unsigned integer in as few octets as it takes; nothing without an ID. The ID
    /// comes from the chip's DG14, so one that no octets can carry (negative) is an error, not a trap.
    public static func keyReference(_ keyId: Int?) throws -> [UInt8] {
        guard let keyId else { return [] }
        guard keyId >= 0 else {
            throw ChipAccessError(.authenticationFailed, "Chip Authentication: DG14 names key \(keyId), and a key reference cannot be negative")
        }
        var octets: [UInt8] = []
        var rest = keyId
        repeat {
            octets.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        } while rest > 0
        return DynamicAuthenticationData.tlv([0x84], octets)
    }

    private static func require(_ response: ResponseAPDU, _ what: String) throws {
        guard response.statusWord.isSuccess else {
            throw ChipAccessError(.authenticationFailed, "Chip Authentication \(what) refused: \(response.statusWord)", statusWord: response.statusWord)
        }
    }

    /// The chip's side: the session that follows, from the terminal's ephemeral public key and the static private key.
    public static func chipSession(terminalPublicKey: [UInt8], staticKey: [UInt8], curve: ECCurve, cipher: BlockCipher) throws -> SecureMessaging {
        try chipSession(terminalPublicKey: terminalPublicKey, staticKey: staticKey, domain: .ec(curve), cipher: cipher)
    }

    public static func chipSession(terminalPublicKey: [UInt8], staticKey: [UInt8], domain: KeyAgreementDomain, cipher: BlockCipher) throws -> SecureMessaging {
        let secret: [UInt8]
        do {
            secret = try domain.sharedSecret(staticKey, terminalPublicKey)
        } catch {
            throw ChipAccessError(.refused, "the terminal's key is not a key of \(domain)", statusWord: .incorrectParametersInData)
        }
        return try session(secret: secret, cipher: cipher)
    }
}
