import PKICore
import SmartCard

/// PACE as the terminal runs it (ICAO Doc 9303-11 §4.4.4): MSE:Set AT, then four GENERAL AUTHENTICATE commands —
/// the encrypted nonce, the mapping, the key agreement on the mapped generator, the tokens — and secure messaging
/// with the new session keys, SSC zero.
///
/// ```
/// mapping step   GM, CAM: 81 PK_map,IFD → 82 PK_map,IC      IM: 81 t (the terminal's nonce, in clear) → 82 empty
/// ```
public struct PACETerminal: Sendable {
    public let parameters: PACEParameters
    public let password: PACEPassword
    /// The terminal's private keys for the mapping and the agreement, and its nonce t of the Integrated Mapping;
    /// random unless given (known-answer tests).
    public var mappingKey: [UInt8]?
    public var agreementKey: [UInt8]?
    public var terminalNonce: [UInt8]?
    /// Whether MSE:Set AT names the domain parameters (84); a chip with one set may do without.
    public var includesParameterId = true

    public init(parameters: PACEParameters, password: PACEPassword) {
        self.parameters = parameters
        self.password = password
    }

    /// What the run established, for the steps after PACE (Chip Authentication Mapping checks, reports).
    public struct Outcome {
        public let transport: SecureMessagingTransport
        public let chipPublicKey: [UInt8]
        public let terminalPublicKey: [UInt8]
        /// The chip's mapping public key (PK_map,IC), which PACE-CAM ties to the chip's static key; empty under the
        /// Integrated Mapping, where the chip's mapping data (82) are empty.
        public let chipMappingKey: [UInt8]
        public let sessionKeys: SecureMessagingKeys
        /// DO'8A' of the last step under the Chip Authentication Mapping.
        public let encryptedChipAuthenticationData: [UInt8]?
    }

    /// Runs PACE over `transport`; a wrong password ends with `authenticationFailed` and the chip's status word.
    public func authenticate(over transport: any CardTransport) throws -> Outcome {
        let domain = parameters.domain
        let setUp = try transport.send(PACE.mseSetAT(parameters, password: password, includeParameterId: includesParameterId))
        guard setUp.statusWord.isSuccess else {
            throw ChipAccessError(.refused, "PACE MSE:Set AT (\(parameters), \(password.name)) refused: \(setUp.statusWord)", statusWord: setUp.statusWord)
        }
        // 1. The nonce.
        let first = try step(transport, DynamicAuthenticationData(), last: false, "encrypted nonce")
        guard let encryptedNonce = first[0x80] else { throw missing("80 (encrypted nonce)") }
        let passwordKey = try PACE.passwordKey(password, cipher: parameters.cipher)
        let nonce = try PACE.decryptNonce(encryptedNonce, passwordKey: passwordKey, cipher: parameters.cipher, length: parameters.nonceLength)

        // 2. The mapping: generic (and CAM's) through an anonymous key agreement, integrated through the nonce t.
        let chipMapping: [UInt8]
        let generator: [UInt8]
        if parameters.isIntegratedMapping {
            let t = try terminalNonce ?? SecureRandom.bytes(parameters.terminalNonceLength)
            let second = try step(transport, DynamicAuthenticationData([(0x81, t)]), last: false, "mapping")
            // 82 SHALL be empty under IM (9303-11 §4.4.5.2.2); its absence costs nothing, content would mean
            // the chip maps some other way.
            chipMapping = second[0x82] ?? []
            guard chipMapping.isEmpty else {
                throw ChipAccessError(.authenticationFailed, "PACE-IM: the chip's mapping data (82) should be empty, not \(chipMapping.count) bytes")
            }
            generator = try checked { try PACEIntegratedMapping.mappedGenerator(nonce: nonce, terminalNonce: t, parameters: parameters) }
        } else {
            let mappingPrivate = try mappingKey ?? domain.randomPrivateKey()
            let mappingPublic = PACE.encodedPublicKey(try domain.publicKey(mappingPrivate), domain: domain)
            let second = try step(transport, DynamicAuthenticationData([(0x81, mappingPublic)]), last: false, "mapping")
            guard let chipMappingKey = second[0x82].map({ PACE.receivedPublicKey($0, domain: domain) }) else {
                throw missing("82 (chip's mapping data)")
            }
            let shared = try checked { try domain.multiply(mappingPrivate, chipMappingKey) }
            chipMapping = chipMappingKey
            generator = try checked { try PACE.mappedGenerator(nonce: nonce, shared: shared, domain: domain) }
        }

        // 3. The key agreement on G'.
        let agreementPrivate = try agreementKey ?? domain.randomPrivateKey()
        // DH values go out as unsigned integers (no leading 00) and come in either way (PACE.encodedPublicKey).
        let agreementPublic = PACE.encodedPublicKey(try domain.multiply(agreementPrivate, generator), domain: domain)
        let third = try step(transport, DynamicAuthenticationData([(0x83, agreementPublic)]), last: false, "key agreement")
        guard let chipPublic = third[0x84].map({ PACE.receivedPublicKey($0, domain: domain) }) else {
            throw missing("84 (chip's ephemeral public key)")
        }
        guard chipPublic != agreementPublic else {
            throw ChipAccessError(.authenticationFailed, "PACE: the chip returned the terminal's own ephemeral key")
        }
        let secret = try PACE.agreementSecret(checked { try domain.multiply(agreementPrivate, chipPublic) }, domain: domain)
        let keys = try PACE.sessionKeys(sharedSecret: secret, cipher: parameters.cipher)

        // 4. The tokens.
        let terminalToken = try PACE.token(keys, parameters, otherPublicPoint: chipPublic)
        let fourth = try step(transport, DynamicAuthenticationData([(0x85, terminalToken)]), last: true, "mutual authentication")
        guard let chipToken = fourth[0x86] else { throw missing("86 (chip's token)") }
        guard chipToken == (try PACE.token(keys, parameters, otherPublicPoint: agreementPublic)) else {
            throw ChipAccessError(.authenticationFailed, "PACE: the chip's authentication token does not verify")
        }
        let session = try SecureMessaging(keys: keys)
        return Outcome(transport: SecureMessagingTransport(transport, session: session), chipPublicKey: chipPublic,
                       terminalPublicKey: agreementPublic, chipMappingKey: chipMapping, sessionKeys: keys,
                       encryptedChipAuthenticationData: fourth[0x8A])
    }

    private func step(_ transport: any CardTransport, _ data: DynamicAuthenticationData, last: Bool, _ what: String) throws -> DynamicAuthenticationData {
        let response = try transport.send(PACE.generalAuthenticate(data, last: last))
        guard response.statusWord.isSuccess else {
            let hint = response.statusWord == .verificationFailed || response.statusWord.sw1 == 0x63 ? " (is the \(password.name) right?)" : ""
            throw ChipAccessError(.authenticationFailed, "PACE GENERAL AUTHENTICATE (\(what)) refused: \(response.statusWord)\(hint)",
                                  statusWord: response.statusWord)
        }
        return try DynamicAuthenticationData(bytes: response.data, "PACE \(what) response")
    }

    private func missing(_ object: String) -> ChipAccessError {
        ChipAccessError(.authenticationFailed, "PACE: the chip's answer lacks data object \(object)")
    }

    /// A point the chip sent that is not on the curve is an authentication failure, not a crash.
    private func checked(_ body: () throws -> [UInt8]) throws -> [UInt8] {
        do {
            return try body()
        } catch let error as PKIError {
            throw ChipAccessError(.authenticationFailed, "PACE: \(error.reason)")
        } catch let error as ChipAccessError where error.code == .invalidValue {
            throw ChipAccessError(.authenticationFailed, "PACE: \(error.reason)")
        }
    }
}
