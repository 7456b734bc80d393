import PKICore
import SmartCard

/// PACE as the chip answers it (ICAO Doc 9303-11 §4.4.4): MSE:Set AT picks the protocol and the password, then the
/// four GENERAL AUTHENTICATE steps in order. Anything out of order, or a terminal token that does not verify,
/// ends the attempt: the terminal starts again with MSE:Set AT.
///
/// ```
/// 1  7C { }               → 7C { 80 z = E(K_π, s) }
/// 2  7C { 81 PK_map,IFD }  → 7C { 82 PK_map,IC }        GM, CAM
///    7C { 81 t }           → 7C { 82 }                  IM: Ĝ = f_G(R_p(s, t)), no mapping key
/// 3  7C { 83 PK_IFD }      → 7C { 84 PK_IC }
/// 4  7C { 85 T_IFD }       → 7C { 86 T_IC [8A A_IC] }   8A under CAM
/// ```
/// DH public values in 82 and 84 are unsigned integers without leading 00 bytes (TR-03110-3 B.1.2.1, D.2.1.1,
/// D.3.2; `PACE.encodedPublicKey`); the terminal's 81 and 83 are taken with or without them.
public final class PACEChip: @unchecked Sendable {
    /// The protocols the chip offers (its EF.CardAccess) and the passwords it knows.
    public let offered: [PACEParameters]
    public let passwords: [PACEPassword]
    /// The chip's nonce and private keys; random unless given (known-answer tests).
    public var fixedNonce: [UInt8]?
    public var fixedMappingKey: [UInt8]?
    public var fixedAgreementKey: [UInt8]?
    /// The chip's static Chip Authentication private key, for PACE-CAM (its public key is in EF.CardSecurity).
    public var chipAuthenticationKey: [UInt8]?

    private enum State {
        case idle
        case selected(PACEParameters, PACEPassword)
        case nonceSent(PACEParameters, PACEPassword, nonce: [UInt8])
        case mapped(PACEParameters, PACEPassword, generator: [UInt8], mappingKey: [UInt8])
        case agreed(PACEParameters, PACEPassword, keys: SecureMessagingKeys, terminalPublic: [UInt8], chipPublic: [UInt8], mappingKey: [UInt8])
    }

    private var state = State.idle

    /// The ephemeral public keys of the last PACE that succeeded, for what follows it: ID_PICC of Terminal
    /// Authentication is Comp() of the chip's, and after PACE-CAM the terminal's stands in for Chip Authentication's.
    public struct Established: Sendable, Hashable {
        public let chipPublicKey: [UInt8]
        public let terminalPublicKey: [UInt8]
        public let mapping: PACEParameters.Mapping
        /// The curve or group of the run, which Comp() of a DH value needs (`TerminalAuthentication.compressed`).
        public let domain: KeyAgreementDomain
    }
    public private(set) var established: Established?

    public init(offered: [PACEParameters], passwords: [PACEPassword]) {
        self.offered = offered
        self.passwords = passwords
    }

    public func reset() {
        state = .idle
        established = nil
    }

    /// MSE:Set AT (00 22 C1 A4): 9000 when the protocol, parameters and password are ones the chip has.
    public func manageSecurityEnvironment(_ data: [UInt8]) -> StatusWord {
        state = .idle
        established = nil
        guard let objects = try? Self.objects(data) else { return .incorrectParametersInData }
        guard let oid = objects[0x80], let reference = objects[0x83]?.first else { return .incorrectParametersInData }
        let parameterId = objects[0x84].flatMap { $0.first }.map(Int.init)
        guard let parameters = offered.first(where: { (try? PACE.oidContent($0.protocolIdentifier)) == oid && (parameterId == nil || $0.parameterId == parameterId) }) else {
            return .referencedDataNotFound
        }
        guard let password = passwords.first(where: { $0.reference == reference }) else { return .referencedDataNotFound }
        state = .selected(parameters, password)
        return .success
    }

    /// One GENERAL AUTHENTICATE step. Returns the answer and, after the last step, the secure messaging session.
    public func generalAuthenticate(_ command: CommandAPDU) -> (ResponseAPDU, SecureMessaging?) {
        do {
            return try step(command)
        } catch {
            state = .idle
            let status = (error as? ChipAccessError)?.statusWord ?? .conditionsOfUseNotSatisfied
            return (ResponseAPDU(statusWord: status), nil)
        }
    }

    private func step(_ command: CommandAPDU) throws -> (ResponseAPDU, SecureMessaging?) {
        let data = try DynamicAuthenticationData(bytes: command.data, "GENERAL AUTHENTICATE")
        let last = command.cla & 0x10 == 0
        func answer(_ objects: [(tag: UInt8, value: [UInt8])]) -> ResponseAPDU {
            ResponseAPDU(data: DynamicAuthenticationData(objects).encoded, statusWord: .success)
        }
        func outOfOrder() -> ChipAccessError {
            ChipAccessError(.refused, "GENERAL AUTHENTICATE out of order", statusWord: .conditionsOfUseNotSatisfied)
        }
        switch state {
        case .idle:
            throw outOfOrder()
        case .selected(let parameters, let password):
            guard data.objects.isEmpty, !last else { throw outOfOrder() }
            let nonce = try fixedNonce ?? SecureRandom.bytes(parameters.nonceLength)
            let encrypted = try PACE.encryptNonce(nonce, passwordKey: PACE.passwordKey(password, cipher: parameters.cipher), cipher: parameters.cipher)
            state = .nonceSent(parameters, password, nonce: nonce)
            return (answer([(0x80, encrypted)]), nil)
        case .nonceSent(let parameters, let password, let nonce):
            guard let terminalMappingData = data[0x81], !last else { throw outOfOrder() }
            if parameters.isIntegratedMapping {
                // 81 holds the terminal's nonce t; the chip's share of the mapping is s, so nothing goes back in 82.
                // A t of the wrong length is refused with 6A80.
                let generator = try PACEIntegratedMapping.mappedGenerator(nonce: nonce, terminalNonce: terminalMappingData, parameters: parameters)
                state = .mapped(parameters, password, generator: generator, mappingKey: [])
                return (answer([(0x82, [])]), nil)
            }
            let domain = parameters.domain
            let terminalMapping = PACE.receivedPublicKey(terminalMappingData, domain: domain)
            let mappingKey = try fixedMappingKey ?? domain.randomPrivateKey()
            let shared = try Self.refusingBadPoints { try domain.multiply(mappingKey, terminalMapping) }
            let generator = try PACE.mappedGenerator(nonce: nonce, shared: shared, domain: domain)
            state = .mapped(parameters, password, generator: generator, mappingKey: mappingKey)
            return (answer([(0x82, PACE.encodedPublicKey(try domain.publicKey(mappingKey), domain: domain))]), nil)
        case .mapped(let parameters, let password, let generator, let mappingKey):
            guard let terminalData = data[0x83], !last else { throw outOfOrder() }
            // DH values go out as unsigned integers (no leading 00) and come in either way (PACE.encodedPublicKey).
            let domain = parameters.domain
            let terminalPublic = PACE.receivedPublicKey(terminalData, domain: domain)
            let agreementKey = try fixedAgreementKey ?? domain.randomPrivateKey()
            let chipPublic = PACE.encodedPublicKey(try domain.multiply(agreementKey, generator), domain: domain)
            guard terminalPublic != chipPublic else { throw ChipAccessError(.refused, "equal ephemeral keys", statusWord: .incorrectParametersInData) }
            let secret = try PACE.agreementSecret(Self.refusingBadPoints { try domain.multiply(agreementKey, terminalPublic) }, domain: domain)
            let keys = try PACE.sessionKeys(sharedSecret: secret, cipher: parameters.cipher)
            state = .agreed(parameters, password, keys: keys, terminalPublic: terminalPublic, chipPublic: chipPublic, mappingKey: mappingKey)
            return (answer([(0x84, chipPublic)]), nil)
        case .agreed(let parameters, _, let keys, let terminalPublic, let chipPublic, let mappingKey):
            guard let terminalToken = data[0x85], last else { throw outOfOrder() }
            guard terminalToken == (try PACE.token(keys, parameters, otherPublicPoint: chipPublic)) else {
                // A wrong password gives other session keys, so the terminal's token fails here.
                throw ChipAccessError(.authenticationFailed, "the terminal's token does not verify", statusWord: .verificationFailed)
            }
            state = .idle
            let chipToken = try PACE.token(keys, parameters, otherPublicPoint: terminalPublic)
            var objects: [(tag: UInt8, value: [UInt8])] = [(0x86, chipToken)]
            if parameters.mapping == .chipAuthentication {
                guard let chipAuthenticationKey else {
                    throw ChipAccessError(.refused, "PACE-CAM without a Chip Authentication key", statusWord: .conditionsOfUseNotSatisfied)
                }
                guard let curve = parameters.curve else { throw ChipAccessError(.refused, "PACE-CAM needs a curve", statusWord: .conditionsOfUseNotSatisfied) }
                let authenticationData = try ECPointArithmetic(curve).divide(mappingKey, by: chipAuthenticationKey)
                objects.append((0x8A, try PACE.encryptChipAuthenticationData(authenticationData, keys: keys)))
            }
            established = Established(chipPublicKey: chipPublic, terminalPublicKey: terminalPublic, mapping: parameters.mapping,
                                      domain: parameters.domain)
            return (answer(objects), try SecureMessaging(keys: keys))
        }
    }

    private static func refusingBadPoints(_ body: () throws -> [UInt8]) throws -> [UInt8] {
        do {
            return try body()
        } catch {
            throw ChipAccessError(.refused, "a point not on the curve", statusWord: .incorrectParametersInData)
        }
    }

    /// The data objects of MSE:Set AT and Set KAT (`SimpleTLV`), by tag; a repeated tag keeps its last value.
    public static func objects(_ data: [UInt8]) throws -> [UInt8: [UInt8]] {
        guard let parsed = SimpleTLV.parse(data) else { throw ChipAccessError(.invalidValue, "MSE data: not a sequence of simple TLV objects") }
        return Dictionary(parsed.map { ($0.tag, $0.value) }, uniquingKeysWith: { $1 })
    }
}
