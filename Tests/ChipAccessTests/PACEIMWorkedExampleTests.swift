import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport

/// ICAO Doc 9303-11 Appendix H.1, PACE with the Integrated Mapping (ECDH, brainpoolP256r1, AES-128, CAN "123456"):
/// every value from the encrypted nonce to the tokens, the terminal's commands against the chip's printed answers,
/// and the chip's answers given the example's nonce and key, byte for byte.
@Suite struct PACEIMWorkedExampleTests {
    static var example: [String: Any] {
        get throws { try #require(try WorkedExampleTests.examples["appendixH1_PACE_ECDH_IM_brainpoolP256r1_AES128"] as? [String: Any]) }
    }

    static func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try example, key) }

    /// EF.CardAccess of a chip offering id-PACE-ECDH-IM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.4.2) with the
    /// standardized domain parameters 13 (brainpoolP256r1): the I.1 PACEInfo's layout with the IM protocol.
    static let cardAccess: [UInt8] = [0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x04, 0x02,
                                      0x02, 0x01, 0x02, 0x02, 0x01, 0x0D]

    static var parameters: PACEParameters {
        get throws {
            let info = try #require(try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first)
            return try PACEParameters(info)
        }
    }

    static let password = PACEPassword.can("123456")

    /// The chip's ephemeral private key SK_IC, as the appendix prints it (the JSON carries only PK_IC):
    /// `valuesOfTheExample` checks SK_IC·Ĝ = PK_IC before the chip uses it.
    static let chipAgreementKey = [UInt8](hex: "107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A") ?? []

    static var apdus: [([UInt8], [UInt8])] {
        get throws {
            let pairs = try #require(try example["apdus"] as? [[String]])
            return try pairs.map { (try #require([UInt8](hex: $0[0])), try #require([UInt8](hex: $0[1]))) }
        }
    }

    @Test func cardAccessAnnouncesTheIntegratedMapping() throws {
        let info = PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 4, 2], parameterId: 13)
        #expect(try EFCardAccess(securityInfos: SecurityInfos([.pace(info)])).encode() == Self.cardAccess)
        let parameters = try Self.parameters
        #expect(parameters.mapping == .integrated && parameters.cipher == .aes128 && parameters.curve == .brainpoolP256r1)
        #expect(parameters.protocolIdentifier.description == "0.4.0.127.0.7.2.2.4.4.2")
        #expect(parameters.nonceLength == 16 && parameters.terminalNonceLength == 16)

        // s has l bits, the least multiple of the block not below the key size: two blocks for AES-192 and -256.
        let aes192 = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 4, 3], parameterId: 12)
        #expect(aes192.nonceLength == 32 && aes192.terminalNonceLength == 24)
        let aes256 = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 4, 4], parameterId: 16)
        #expect(aes256.nonceLength == 32 && aes256.terminalNonceLength == 32)
        // The generic mapping keeps its one-block nonce.
        let generic = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 4], parameterId: 13)
        #expect(generic.nonceLength == 16)

        // P-224's p ≡ 1 (mod 4): no point encoding, and TR-03110-3 leaves parameter ID 10 out of IM.
        let p224 = #expect(throws: ChipAccessError.self) {
            try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 4, 2], parameterId: 10)
        }
        #expect(p224?.code == .invalidValue)
        // DH-IM maps in a DH group: a curve's parameter ID is refused for it (DH-IM itself: PACEDHIMWorkedExampleTests).
        let dh = #expect(throws: ChipAccessError.self) {
            try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 3, 2], parameterId: 13)
        }
        #expect(dh?.reason.contains("standardized DH group") == true, "\(String(describing: dh))")
    }

    @Test func valuesOfTheExample() throws {
        let parameters = try Self.parameters
        let kPi = try PACE.passwordKey(Self.password, cipher: .aes128)
        #expect(kPi == (try Self.hex("kPi")))
        let s = try Self.hex("nonce_s"), t = try Self.hex("t")
        #expect(try PACE.decryptNonce(Self.hex("encryptedNonce_z"), passwordKey: kPi, cipher: .aes128, length: parameters.nonceLength) == s)
        #expect(try PACE.encryptNonce(s, passwordKey: kPi, cipher: .aes128) == Self.hex("encryptedNonce_z"))

        // The mapping: R(s, t), 3 × 128 bits for a 256-bit p; R_p = R mod p; Ĝ = f_G(R_p).
        let curve = ECPointArithmetic(.brainpoolP256r1)
        let field = try curve.curveEquation.field
        #expect(field.bitLength == 256)
        let random = try PACEIntegratedMapping.pseudoRandom(nonce: s, terminalNonce: t, cipher: .aes128, primeBits: field.bitLength)
        #expect(random == (try Self.hex("R_st")))
        let rp = try field.reduce(random)
        #expect(rp == (try Self.hex("Rp")))
        #expect(try PACEIntegratedMapping.encode(rp, curve: .brainpoolP256r1) == Self.hex("mappedGenerator"))
        let generator = try PACEIntegratedMapping.mappedGenerator(nonce: s, terminalNonce: t, parameters: parameters)
        #expect(generator == (try Self.hex("mappedGenerator")))

        // The key agreement on Ĝ, both sides.
        #expect(try curve.multiply(Self.hex("skDhIFD"), generator) == Self.hex("pkDhIFD"))
        #expect(try curve.multiply(Self.chipAgreementKey, generator) == Self.hex("pkDhIC"))
        let secret = try curve.xCoordinate(curve.multiply(Self.hex("skDhIFD"), Self.hex("pkDhIC")))
        #expect(secret == (try Self.hex("sharedSecret_K_x")))
        #expect(try curve.xCoordinate(curve.multiply(Self.chipAgreementKey, Self.hex("pkDhIFD"))) == secret)
        // The session keys and the tokens, each over the other side's key.
        try WorkedExampleTests.expectSessionKeysAndTokens(try Self.example, parameters, sharedSecret: secret)
    }

    /// The terminal's run against the chip's answers: each command must be the one of the example.
    @Test func terminalCommandsByteForByte() throws {
        let parameters = try Self.parameters
        let setUp = try PACE.mseSetAT(parameters, password: Self.password)
        let script = ScriptedTransport([(try setUp.encoded(), [0x90, 0x00])] + (try Self.apdus))
        var terminal = PACETerminal(parameters: parameters, password: Self.password)
        terminal.terminalNonce = try Self.hex("t")
        terminal.agreementKey = try Self.hex("skDhIFD")
        let outcome = try terminal.authenticate(over: script)
        #expect(script.mismatches.isEmpty, "\(script.mismatches)")
        #expect(script.remaining == 0)
        #expect(outcome.chipMappingKey.isEmpty)
        #expect(outcome.chipPublicKey == (try Self.hex("pkDhIC")))
        #expect(outcome.terminalPublicKey == (try Self.hex("pkDhIFD")))
        #expect(outcome.sessionKeys.encryption == (try Self.hex("ksEnc")))
        #expect(outcome.sessionKeys.mac == (try Self.hex("ksMac")))
        #expect(outcome.encryptedChipAuthenticationData == nil)
        #expect(outcome.transport.session.sendSequenceCounter == [UInt8](repeating: 0, count: 16))
    }

    /// Given the example's nonce s and key SK_IC, the chip answers every step as the example does: 80 z, an empty 82,
    /// 84 PK_IC and 86 T_IC.
    @Test func chipAnswersByteForByte() throws {
        let parameters = try Self.parameters
        let chip = PACEChip(offered: [parameters], passwords: [Self.password])
        chip.fixedNonce = try Self.hex("nonce_s")
        chip.fixedAgreementKey = Self.chipAgreementKey
        #expect(chip.manageSecurityEnvironment(try PACE.mseSetAT(parameters, password: Self.password).data) == .success)
        var established: SecureMessaging?
        for (command, expected) in try Self.apdus {
            let (response, session) = chip.generalAuthenticate(try CommandAPDU(bytes: command))
            #expect(response.encoded == expected, "\(command.hexString)")
            established = session ?? established
        }
        #expect(established?.keys.encryption == (try Self.hex("ksEnc")))
        #expect(established?.keys.mac == (try Self.hex("ksMac")))
        #expect(chip.established?.mapping == .integrated)
        #expect(chip.established?.chipPublicKey == (try Self.hex("pkDhIC")))
        #expect(chip.established?.terminalPublicKey == (try Self.hex("pkDhIFD")))
    }

    /// A nonce t of the wrong length is refused with 6A80 and ends the attempt; a chip that answers the mapping with
    /// data in 82 is not running IM, and the terminal stops there.
    @Test func malformedMappingsAreRefused() throws {
        let parameters = try Self.parameters
        let apdus = try Self.apdus
        let chip = PACEChip(offered: [parameters], passwords: [Self.password])
        for t in [[UInt8](repeating: 0x5D, count: 15), [UInt8](repeating: 0x5D, count: 24), []] {
            #expect(chip.manageSecurityEnvironment(try PACE.mseSetAT(parameters, password: Self.password).data) == .success)
            _ = chip.generalAuthenticate(try CommandAPDU(bytes: apdus[0].0))
            let (refused, _) = chip.generalAuthenticate(PACE.generalAuthenticate(DynamicAuthenticationData([(0x81, t)]), last: false))
            #expect(refused.statusWord == .incorrectParametersInData, "t of \(t.count) bytes")
            // The attempt is over: the next step is out of order.
            let (next, _) = chip.generalAuthenticate(try CommandAPDU(bytes: apdus[2].0))
            #expect(next.statusWord == .conditionsOfUseNotSatisfied)
        }

        var answers = apdus
        answers[1].1 = [0x7C, 0x03, 0x82, 0x01, 0x04, 0x90, 0x00]
        let script = ScriptedTransport([(try PACE.mseSetAT(parameters, password: Self.password).encoded(), [0x90, 0x00])] + answers)
        var terminal = PACETerminal(parameters: parameters, password: Self.password)
        terminal.terminalNonce = try Self.hex("t")
        let stopped = #expect(throws: ChipAccessError.self) { try terminal.authenticate(over: script) }
        #expect(stopped?.code == .authenticationFailed && stopped?.reason.contains("82") == true, "\(String(describing: stopped))")
        #expect(script.remaining == 2)
    }

    /// The GF(p) operations under the point encoding, on p = 23 where the answers are known by hand.
    @Test func fieldArithmeticOnASmallPrime() throws {
        let field = try PrimeField(modulus: [0x00, 23])
        #expect(field.modulus == [23] && field.bitLength == 5)
        #expect(try field.add([20], [5]) == [2])
        #expect(try field.subtract([2], [5]) == [20])
        #expect(try field.negate([1]) == [22])
        #expect(try field.multiply([5], [14]) == [1])
        #expect(try field.inverse([5]) == [14])
        #expect(try field.power([5], [22]) == [1])  // Fermat
        #expect(try field.power([2], [6]) == [18])  // 64 = 2·23 + 18
        #expect(try field.reduce([0x01, 0x00]) == [3])  // 256 = 11·23 + 3
        let noInverse = #expect(throws: PKIError.self) { try field.inverse([46]) }
        #expect(noInverse?.code == .invalidValue)
        #expect(throws: PKIError.self) { try PrimeField(modulus: [0x00, 0x10]) }
    }

    /// f_G on every curve IM allows: both branches (X₂ when h₂ is a square, X₃ otherwise) give points of the curve, and
    /// equal inputs equal points.
    @Test func pointEncodingLandsOnEveryCurve() throws {
        var generator = SplitMix64(seed: 0x9303_0011)
        for curve in ECCurve.allCases where curve != .p224 {
            let field = try ECPointArithmetic(curve).curveEquation.field
            var firstCoordinates = Set<[UInt8]>()
            for _ in 0..<8 {
                let bytes = (0..<(field.elementLength + 8)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let element = try field.reduce(bytes)
                let point = try PACEIntegratedMapping.encode(element, curve: curve)
                #expect(point.count == 2 * field.elementLength + 1 && point.first == 0x04, "\(curve)")
                #expect(try PACEIntegratedMapping.encode(element, curve: curve) == point)
                firstCoordinates.insert(Array(point.prefix(1 + field.elementLength)))
            }
            #expect(firstCoordinates.count == 8, "\(curve)")
        }
        let refused = #expect(throws: ChipAccessError.self) {
            try PACEIntegratedMapping.encode([UInt8](repeating: 0, count: 27) + [1], curve: .p224)
        }
        #expect(refused?.reason.contains("3 (mod 4)") == true, "\(String(describing: refused))")
    }
}
