import PKICore
import SmartCard

/// Basic Access Control (ICAO Doc 9303-11 §4.3 and §9.7.2–9.7.4): mutual authentication with keys from the MRZ,
/// then secure messaging with 3DES session keys. Both sides are here, from one implementation of the arithmetic.
///
/// ```
/// terminal → chip   GET CHALLENGE               00 84 00 00 08            → RND.IC (8)
/// terminal          S = RND.IFD ‖ RND.IC ‖ K.IFD;  E_IFD = 3DES(K_Enc, S);  M_IFD = MAC(K_MAC, pad(E_IFD))
/// terminal → chip   EXTERNAL AUTHENTICATE       00 82 00 00 28 E_IFD ‖ M_IFD 28
/// chip              checks M_IFD and RND.IC;  R = RND.IC ‖ RND.IFD ‖ K.IC
/// chip → terminal   E_IC ‖ M_IC 9000            (6300 when the cryptogram does not verify)
/// both              K_seed = K.IFD ⊕ K.IC;  KS_Enc, KS_MAC = KDF(K_seed, 1), KDF(K_seed, 2)
///                   SSC = last 4 bytes of RND.IC ‖ last 4 bytes of RND.IFD
/// ```
public enum BasicAccessControl {
    public static let getChallenge = CommandAPDU(ins: 0x84, p1: 0, p2: 0, expectedLength: 8)

    /// The terminal's half of the exchange, its random values kept for checking the chip's answer.
    public struct TerminalExchange: Sendable {
        public let keys: SecureMessagingKeys
        public let rndIC: [UInt8]
        public let rndIFD: [UInt8]
        public let kIFD: [UInt8]

        /// `rndIFD` and `kIFD` are random unless given (known-answer tests).
        public init(keys: SecureMessagingKeys, rndIC: [UInt8], rndIFD: [UInt8]? = nil, kIFD: [UInt8]? = nil) throws {
            guard rndIC.count == 8 else { throw ChipAccessError(.invalidValue, "RND.IC has \(rndIC.count) bytes, not 8") }
            self.keys = keys
            self.rndIC = rndIC
            self.rndIFD = try rndIFD ?? SecureRandom.bytes(8)
            self.kIFD = try kIFD ?? SecureRandom.bytes(16)
            guard self.rndIFD.count == 8, self.kIFD.count == 16 else {
                throw ChipAccessError(.invalidValue, "RND.IFD and K.IFD have 8 and 16 bytes")
            }
        }

        /// E_IFD ‖ M_IFD, the data of EXTERNAL AUTHENTICATE.
        public func cryptogram() throws -> [UInt8] {
            try BasicAccessControl.encryptAndMAC(rndIFD + rndIC + kIFD, keys: keys)
        }

        public func externalAuthenticate() throws -> CommandAPDU {
            CommandAPDU(ins: 0x82, p1: 0, p2: 0, data: try cryptogram(), expectedLength: 40)
        }

        /// Checks the chip's E_IC ‖ M_IC and returns the secure messaging session it establishes.
        public func session(chipResponse: [UInt8]) throws -> SecureMessaging {
            let plain = try BasicAccessControl.verifyAndDecrypt(chipResponse, keys: keys, from: "the chip")
            guard Array(plain[0..<8]) == rndIC, Array(plain[8..<16]) == rndIFD else {
                throw ChipAccessError(.authenticationFailed, "BAC: the chip's answer does not return RND.IC ‖ RND.IFD")
            }
            let kIC = Array(plain[16..<32])
            return try BasicAccessControl.session(kIFD: kIFD, kIC: kIC, rndIC: rndIC, rndIFD: rndIFD)
        }
    }

    /// The chip's half: checks the terminal's cryptogram against the challenge it gave and answers with its own.
    /// Returns the response data and the session. A cryptogram that does not verify throws `authenticationFailed`
    /// with status 6300.
    public static func chipRespond(to cryptogram: [UInt8], keys: SecureMessagingKeys, rndIC: [UInt8],
                                   kIC: [UInt8]? = nil) throws -> (response: [UInt8], session: SecureMessaging) {
        let plain = try verifyAndDecrypt(cryptogram, keys: keys, from: "the terminal")
        let rndIFD = Array(plain[0..<8])
        guard Array(plain[8..<16]) == rndIC else {
            throw ChipAccessError(.authenticationFailed, "BAC: the terminal's cryptogram is not for this challenge", statusWord: .verificationFailed)
        }
        let kIFD = Array(plain[16..<32])
        let kIC = try kIC ?? SecureRandom.bytes(16)
        let response = try encryptAndMAC(rndIC + rndIFD + kIC, keys: keys)
        return (response, try session(kIFD: kIFD, kIC: kIC, rndIC: rndIC, rndIFD: rndIFD))
    }

    /// Runs BAC as the terminal over `transport` (the eMRTD application selected) and returns a transport that
    /// speaks secure messaging. A wrong MRZ ends with `authenticationFailed` and the chip's status word.
    public static func authenticate(over transport: any CardTransport, key: BACKey) throws -> SecureMessagingTransport {
        let rndIC = try transport.sendSuccessfully(getChallenge, "BAC GET CHALLENGE")
        let exchange = try TerminalExchange(keys: key.keys, rndIC: rndIC)
        let response = try transport.send(exchange.externalAuthenticate())
        guard response.statusWord.isSuccess else {
            throw ChipAccessError(.authenticationFailed, "BAC EXTERNAL AUTHENTICATE refused: \(response.statusWord) (is the MRZ right?)",
                                  statusWord: response.statusWord)
        }
        return SecureMessagingTransport(transport, session: try exchange.session(chipResponse: response.data))
    }

    static func session(kIFD: [UInt8], kIC: [UInt8], rndIC: [UInt8], rndIFD: [UInt8]) throws -> SecureMessaging {
        let seed = zip(kIFD, kIC).map { $0 ^ $1 }
        return try SecureMessaging(keys: SecureMessagingKeys(seed: seed, cipher: .tripleDES),
                                   sendSequenceCounter: Array(rndIC.suffix(4)) + Array(rndIFD.suffix(4)))
    }

    static func encryptAndMAC(_ plain: [UInt8], keys: SecureMessagingKeys) throws -> [UInt8] {
        let encrypted = try BlockCipher.tripleDES.encrypt(plain, key: keys.encryption)
        return encrypted + (try MessageAuthenticationCode.retailMAC(key: keys.mac, paddedData: ISO9797Padding.pad(encrypted, blockSize: 8)))
    }

    static func verifyAndDecrypt(_ data: [UInt8], keys: SecureMessagingKeys, from side: String) throws -> [UInt8] {
        guard data.count == 40 else {
            throw ChipAccessError(.authenticationFailed, "BAC: \(side) sent \(data.count) bytes, not E ‖ M of 40", statusWord: .wrongLength)
        }
        let encrypted = Array(data.prefix(32))
        let mac = try MessageAuthenticationCode.retailMAC(key: keys.mac, paddedData: ISO9797Padding.pad(encrypted, blockSize: 8))
        guard mac == Array(data.suffix(8)) else {
            throw ChipAccessError(.authenticationFailed, "BAC: the MAC of \(side)'s cryptogram does not verify (wrong MRZ?)", statusWord: .verificationFailed)
        }
        return try BlockCipher.tripleDES.decrypt(encrypted, key: keys.encryption)
    }
}
