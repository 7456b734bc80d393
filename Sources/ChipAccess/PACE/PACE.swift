import PKICore
import SmartCard
import SwiftASN1

/// PACE (ICAO Doc 9303-11 §4.4, BSI TR-03110-2 §3.2, TR-03110-3 §A.3), the arithmetic both sides share.
///
/// ```
/// K_π        = KDF(K, 3), K the password key (SHA-1 of the MRZ information, or the CAN's digits); the session
///              cipher's KDF (3DES: SHA-1, 16 bytes, DES parity)
/// z          = E(K_π, s) in CBC with IV 0, s the chip's random nonce (one block: 8 bytes for 3DES, 16 for AES;
///              under IM, l bits — see PACEParameters.nonceLength)
/// GM mapping G' = s·G + H,  H = SK_map,IFD · PK_map,IC = SK_map,IC · PK_map,IFD    (DH: g' = g^s · h mod p)
/// IM mapping G' = f_G(R_p(s, t)), t the terminal's nonce sent in clear (PACEIntegratedMapping; DH: f_g)
/// agreement  K = x(SK_IFD · PK_IC) on G' (DH: K = PK_IC^SK_IFD mod p);  KS_Enc = KDF(K, 1), KS_MAC = KDF(K, 2)
/// tokens     T_IFD = MAC(KS_MAC, 7F49 { 06 OID, 86 PK_IC }),  T_IC = MAC(KS_MAC, 7F49 { 06 OID, 86 PK_IFD })
///            (84 for a DH public value, an unsigned integer without leading 00: encodedPublicKey); MAC = CMAC cut
///            to 8 bytes (AES), or the retail MAC over the input padded with ISO/IEC 9797-1 method 2 (3DES), the MACs
///            of the session's secure messaging
/// CAM        CA_IC = SK_IC⁻¹ · SK_map,IC mod n (SK_IC the chip's static Chip Authentication key), sent as
///            A_IC = E(KS_Enc, pad(CA_IC)) with IV = E(KS_Enc, FF…FF); the terminal checks PK_map,IC = CA_IC · PK_IC
/// ```
public enum PACE {
    /// MSE:Set AT for PACE: 00 22 C1 A4 { 80 OID, 83 password reference, 84 parameter ID }.
    /// The parameter ID (84) may be left out when the chip offers one set of domain parameters (9303-11 §4.4.4.1).
    public static func mseSetAT(_ parameters: PACEParameters, password: PACEPassword, includeParameterId: Bool = true) throws -> CommandAPDU {
        let oid = try Self.oidContent(parameters.protocolIdentifier)
        let data = DynamicAuthenticationData.tlv([0x80], oid) + [0x83, 0x01, password.reference]
            + (includeParameterId ? [0x84, 0x01, UInt8(parameters.parameterId)] : [])
        return CommandAPDU(ins: 0x22, p1: 0xC1, p2: 0xA4, data: data)
    }

    /// GENERAL AUTHENTICATE with `objects`; every step but the last is chained (CLA 10).
    public static func generalAuthenticate(_ data: DynamicAuthenticationData, last: Bool) -> CommandAPDU {
        CommandAPDU(cla: last ? 0x00 : 0x10, ins: 0x86, p1: 0, p2: 0, data: data.encoded, expectedLength: 256)
    }

    public static func passwordKey(_ password: PACEPassword, cipher: BlockCipher) throws -> [UInt8] {
        try SecureMessagingKeys.derive(password.key, counter: 3, cipher: cipher)
    }

    /// The nonce encrypted and decrypted with K_π: the session's cipher in CBC with a zero IV (9303-11 §4.4.3.1), over
    /// the nonce's blocks (one for the generic mappings; two 3DES blocks or one or two AES blocks under IM).
    public static func encryptNonce(_ nonce: [UInt8], passwordKey: [UInt8], cipher: BlockCipher) throws -> [UInt8] {
        try cipher.encrypt(nonce, key: passwordKey)
    }

    /// `length` is the nonce's: one block unless given (PACEParameters.nonceLength).
    public static func decryptNonce(_ encrypted: [UInt8], passwordKey: [UInt8], cipher: BlockCipher, length: Int? = nil) throws -> [UInt8] {
        let expected = length ?? cipher.blockSize
        guard encrypted.count == expected else {
            throw ChipAccessError(.authenticationFailed, "PACE: the encrypted nonce has \(encrypted.count) bytes, not \(expected)")
        }
        return try cipher.decrypt(encrypted, key: passwordKey)
    }

    /// The generic mapping: G' = s·G + H.
    public static func mappedGenerator(nonce: [UInt8], sharedPoint: [UInt8], curve: ECCurve) throws -> [UInt8] {
        try ECPointArithmetic(curve).combine(nonce, nil, plus: [0x01], sharedPoint)
    }

    /// The generic mapping in either domain: G' = s·G + H on a curve, ĝ = g^s · h mod p in a DH group.
    public static func mappedGenerator(nonce: [UInt8], shared: [UInt8], domain: KeyAgreementDomain) throws -> [UInt8] {
        switch domain {
        case .ec(let curve): return try mappedGenerator(nonce: nonce, sharedPoint: shared, curve: curve)
        case .dh(let group): return try group.multiply(group.publicValue(nonce), shared)
        }
    }

    /// The key agreement's secret from the shared element: its x-coordinate on a curve, the value itself in a DH group.
    public static func agreementSecret(_ shared: [UInt8], domain: KeyAgreementDomain) throws -> [UInt8] {
        switch domain {
        case .ec(let curve): return try ECPointArithmetic(curve).xCoordinate(shared)
        case .dh: return shared
        }
    }

    /// The session keys from the shared secret's x coordinate.
    public static func sessionKeys(sharedSecret: [UInt8], cipher: BlockCipher) throws -> SecureMessagingKeys {
        try SecureMessagingKeys(seed: sharedSecret, cipher: cipher)
    }

    /// An ephemeral public key as PACE writes it, in the data objects 81–84 of GENERAL AUTHENTICATE and in the token
    /// input: an uncompressed point on a curve (unchanged), an *unsigned integer* in a DH group — big-endian in the
    /// fewest octets, without leading 00 bytes, so y < 2^(|p|−8) takes fewer bytes than p.
    ///
    /// ```
    /// TR-03110-3 (v2.21) B.1.2.1, B.2.1   ephemeral keys: elliptic curve point (ECDH) or unsigned integer (DH)
    ///                   D.3.4             ephemeral keys are the plain value: y (DH), Y (ECDH)
    ///                   D.3.2, Table 30   DH key: 84 public value y, Unsigned Integer; its note: y may be shorter than p
    ///                   D.2.1.1           unsigned integer: minimal octets, leading 00 MUST NOT be used
    ///                   D.2.1.2           elliptic curve point: TR-03111, uncompressed
    /// Doc 9303-11       §4.4.3.4 (token over the public key data object), §9.4 (the same encodings)
    /// ```
    /// The arithmetic (`KeyAgreementDomain`, `DHGroup`) keeps |p| bytes; this is the one place that writes the wire
    /// form. What a peer sends is read with `receivedPublicKey`, which takes the |p|-byte form too.
    public static func encodedPublicKey(_ key: [UInt8], domain: KeyAgreementDomain) -> [UInt8] {
        switch domain {
        case .ec: return key
        case .dh: return unsignedInteger(key)
        }
    }

    /// A peer's ephemeral key (81–84), leniently: a DH value with leading 00 bytes (padded to |p|, as some
    /// implementations send it) is taken and brought to the standard's encoding, which the token is computed over
    /// and Comp() hashes. Whether the value is one of the group's is checked where it is used (`KeyAgreementDomain`).
    public static func receivedPublicKey(_ key: [UInt8], domain: KeyAgreementDomain) -> [UInt8] {
        encodedPublicKey(key, domain: domain)
    }

    /// The unsigned-integer encoding of TR-03110-3 D.2.1.1: no leading 00 bytes (zero itself as one 00).
    static func unsignedInteger(_ bytes: [UInt8]) -> [UInt8] {
        let trimmed = Array(bytes.drop { $0 == 0 })
        return trimmed.isEmpty ? [0] : trimmed
    }

    /// 7F49 { 06 OID, 86 point } (ECDH) or 7F49 { 06 OID, 84 public value } (DH, TR-03110-3 D.3.2): what an
    /// authentication token is computed over (TR-03110-3 A.2.4, Doc 9303-11 §4.4.3.4). The DH value goes in as an
    /// unsigned integer without leading 00 bytes (`encodedPublicKey`), whichever form `publicPoint` is given in.
    public static func tokenInput(_ parameters: PACEParameters, publicPoint: [UInt8]) throws -> [UInt8] {
        let tag: UInt8 = parameters.curve == nil ? 0x84 : 0x86
        let body = DynamicAuthenticationData.tlv([0x06], try oidContent(parameters.protocolIdentifier))
            + DynamicAuthenticationData.tlv([tag], encodedPublicKey(publicPoint, domain: parameters.domain))
        return DynamicAuthenticationData.tlv([0x7F, 0x49], body)
    }

    /// The authentication token over the other side's public key: 8 bytes, with the MAC of the session's secure
    /// messaging — CMAC cut to 8 bytes under AES, the retail MAC (ISO/IEC 9797-1 MAC algorithm 3, IV 0) under 3DES,
    /// whose input is padded with method 2 first, as a secure messaging MAC's input is (even when it fills whole blocks).
    public static func token(_ keys: SecureMessagingKeys, _ parameters: PACEParameters, otherPublicPoint: [UInt8]) throws -> [UInt8] {
        let input = try tokenInput(parameters, publicPoint: otherPublicPoint)
        switch keys.cipher {
        case .tripleDES:
            return try MessageAuthenticationCode.retailMAC(key: keys.mac, paddedData: ISO9797Padding.pad(input, blockSize: keys.cipher.blockSize))
        case .aes128, .aes192, .aes256:
            return Array(try MessageAuthenticationCode.cmac(key: keys.mac, data: input).prefix(8))
        }
    }

    /// A_IC, the encrypted Chip Authentication data of PACE-CAM.
    public static func encryptChipAuthenticationData(_ data: [UInt8], keys: SecureMessagingKeys) throws -> [UInt8] {
        let iv = try keys.cipher.encryptBlock([UInt8](repeating: 0xFF, count: keys.cipher.blockSize), key: keys.encryption)
        return try keys.cipher.encrypt(ISO9797Padding.pad(data, blockSize: keys.cipher.blockSize), key: keys.encryption, iv: iv)
    }

    public static func decryptChipAuthenticationData(_ encrypted: [UInt8], keys: SecureMessagingKeys) throws -> [UInt8] {
        let iv = try keys.cipher.encryptBlock([UInt8](repeating: 0xFF, count: keys.cipher.blockSize), key: keys.encryption)
        guard !encrypted.isEmpty, encrypted.count % keys.cipher.blockSize == 0,
              let data = ISO9797Padding.unpad(try keys.cipher.decrypt(encrypted, key: keys.encryption, iv: iv), blockSize: keys.cipher.blockSize) else {
            throw ChipAccessError(.authenticationFailed, "PACE-CAM: the encrypted Chip Authentication data do not decrypt to padded data")
        }
        return data
    }

    /// The terminal's check of PACE-CAM: CA_IC · PK_IC = PK_map,IC, PK_IC the chip's static key (from
    /// EF.CardSecurity, whose signature passive authentication checks).
    public static func verifyChipAuthenticationMapping(_ outcome: PACETerminal.Outcome, chipStaticPublicKey: [UInt8],
                                                       curve: ECCurve) throws {
        guard let encrypted = outcome.encryptedChipAuthenticationData else {
            throw ChipAccessError(.authenticationFailed, "PACE-CAM: the chip sent no Chip Authentication data (DO'8A')")
        }
        let authenticationData = try decryptChipAuthenticationData(encrypted, keys: outcome.sessionKeys)
        let mapped = try? ECPointArithmetic(curve).multiply(authenticationData, chipStaticPublicKey)
        guard mapped == outcome.chipMappingKey else {
            throw ChipAccessError(.authenticationFailed, "PACE-CAM: CA_IC · PK_IC is not the chip's mapping key: the chip is not genuine")
        }
    }

    /// The content octets of an OBJECT IDENTIFIER.
    static func oidContent(_ oid: ASN1ObjectIdentifier) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(oid)
        return Array(serializer.serializedBytes.dropFirst(2))
    }
}
