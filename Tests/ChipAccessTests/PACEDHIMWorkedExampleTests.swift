import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport

/// ICAO Doc 9303-11 Appendix H.2, PACE with the Integrated Mapping over Diffie-Hellman (id-PACE-DH-IM-AES-CBC-CMAC-128,
/// the 1024-bit MODP group with 160-bit subgroup, CAN "123456"): every value from the encrypted nonce through R(s, t),
/// R_p and ĝ = R_p^((p−1)/q) to the tokens, the terminal's commands and the chip's answers byte for byte. The same inputs
/// with 3DES (no published example) are checked against a second implementation's values.
@Suite struct PACEDHIMWorkedExampleTests {
    static func load(_ file: String) throws -> [String: Any] {
        let bytes = try TestSupport.vector("icao-9303-11-h2-dh-im/\(file)")
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static var example: [String: Any] { get throws { try load("icao9303-11-h2-dh-im.json") } }
    static func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try example, key) }

    /// EF.CardAccess of a chip offering id-PACE-DH-IM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.3.2), version 2, with the
    /// standardized domain parameters 0.
    static let cardAccess: [UInt8] = [0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x03, 0x02,
                                      0x02, 0x01, 0x02, 0x02, 0x01, 0x00]

    static var parameters: PACEParameters {
        get throws { try PACEParameters(try #require(try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first)) }
    }

    static let password = PACEPassword.can("123456")

    static var apdus: [([UInt8], [UInt8])] {
        get throws {
            let pairs = try #require(try example["apdus"] as? [[String]])
            return try pairs.map { (try #require([UInt8](hex: $0[0])), try #require([UInt8](hex: $0[1]))) }
        }
    }

    static func group(_ parameters: PACEParameters) throws -> DHGroup {
        guard case .dh(let group) = parameters.domain else { throw TestFailure("not a DH group: \(parameters.domain)") }
        return group
    }

    @Test func cardAccessAnnouncesDHIM() throws {
        let info = PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 3, 2], parameterId: 0)
        #expect(try EFCardAccess(securityInfos: SecurityInfos([.pace(info)])).encode() == Self.cardAccess)
        let parameters = try Self.parameters
        #expect(parameters.mapping == .integratedDH && parameters.isIntegratedMapping && parameters.cipher == .aes128)
        #expect(parameters.curve == nil)
        #expect(try Self.group(parameters).name == "dh_1024_160")
        #expect(parameters.nonceLength == 16 && parameters.terminalNonceLength == 16)
        // The other two standardized groups; a curve's ID is refused, as is a DH group's for the ECDH mappings.
        for id in [1, 2] {
            let group = try #require(DHGroup.standardized(id))
            let other = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 3, 4], parameterId: id)
            #expect(other.domain == .dh(group) && other.nonceLength == 32 && other.terminalNonceLength == 32)
        }
        #expect(throws: ChipAccessError.self) { try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 3, 2], parameterId: 12) }
        #expect(throws: ChipAccessError.self) { try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 4, 2], parameterId: 0) }
    }

    @Test func valuesOfTheExample() throws {
        let parameters = try Self.parameters
        let group = try Self.group(parameters)
        let kPi = try PACE.passwordKey(Self.password, cipher: .aes128)
        #expect(kPi == (try Self.hex("kPi")))
        let s = try Self.hex("nonce_s"), t = try Self.hex("t")
        #expect(try PACE.decryptNonce(Self.hex("encryptedNonce_z"), passwordKey: kPi, cipher: .aes128, length: parameters.nonceLength) == s)
        #expect(try PACE.encryptNonce(s, passwordKey: kPi, cipher: .aes128) == Self.hex("encryptedNonce_z"))

        // R(s, t): nine 128-bit blocks, the least n with 128·n ≥ 1024 + 64; R_p = R mod p; ĝ = R_p^((p−1)/q) mod p.
        let field = try PrimeField(modulus: group.p)
        #expect(field.bitLength == 1024)
        let random = try PACEIntegratedMapping.pseudoRandom(nonce: s, terminalNonce: t, cipher: .aes128, primeBits: field.bitLength)
        #expect(random.count == 144)
        #expect(random == (try Self.hex("R_st")))
        let rp = try field.reduce(random)
        #expect(rp == (try Self.hex("Rp")))
        #expect(try PACEIntegratedMapping.mapToSubgroup(rp, group: group) == Self.hex("mappedGenerator"))
        let generator = try PACEIntegratedMapping.mappedGenerator(nonce: s, terminalNonce: t, parameters: parameters)
        #expect(generator == (try Self.hex("mappedGenerator")))
        #expect(group.isValidPublicValue(generator))

        // The key agreement on ĝ, both sides; the printed private keys are 1024-bit exponents.
        let domain = parameters.domain
        #expect(try domain.multiply(Self.hex("skDhIFD"), generator) == Self.hex("pkDhIFD"))
        #expect(try domain.multiply(Self.hex("skDhIC"), generator) == Self.hex("pkDhIC"))
        let secret = try PACE.agreementSecret(domain.multiply(Self.hex("skDhIFD"), Self.hex("pkDhIC")), domain: domain)
        #expect(secret == (try Self.hex("sharedSecret_K")))
        #expect(try domain.multiply(Self.hex("skDhIC"), Self.hex("pkDhIFD")) == secret)
        // The session keys and the tokens, each over the other side's public value in 84.
        try WorkedExampleTests.expectSessionKeysAndTokens(try Self.example, parameters, sharedSecret: secret)
    }

    /// The terminal against the chip's answers of the example: each command must be the example's.
    @Test func terminalCommandsByteForByte() throws {
        let parameters = try Self.parameters
        let script = ScriptedTransport([(try PACE.mseSetAT(parameters, password: Self.password).encoded(), [0x90, 0x00])] + (try Self.apdus))
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
        #expect(outcome.transport.session.sendSequenceCounter == [UInt8](repeating: 0, count: 16))
    }

    /// Given the example's nonce s and key SK_IC, the chip answers every step as the example does.
    @Test func chipAnswersByteForByte() throws {
        let parameters = try Self.parameters
        let chip = PACEChip(offered: [parameters], passwords: [Self.password])
        chip.fixedNonce = try Self.hex("nonce_s")
        chip.fixedAgreementKey = try Self.hex("skDhIC")
        #expect(chip.manageSecurityEnvironment(try PACE.mseSetAT(parameters, password: Self.password).data) == .success)
        var established: SecureMessaging?
        for (command, expected) in try Self.apdus {
            let (response, session) = chip.generalAuthenticate(try CommandAPDU(bytes: command))
            #expect(response.encoded == expected, "\(command.hexString)")
            established = session ?? established
        }
        #expect(established?.keys.encryption == (try Self.hex("ksEnc")))
        #expect(established?.keys.mac == (try Self.hex("ksMac")))
        #expect(chip.established?.mapping == .integratedDH)
        #expect(chip.established?.chipPublicKey == (try Self.hex("pkDhIC")))
    }

    /// The H.2 inputs with id-PACE-DH-IM-3DES-CBC-CBC: the 3DES K_π, the two-block nonce under 3DES-CBC, R(s, t) with
    /// 3DES as E, the 3DES session keys (DES parity) and the retail-MAC tokens, against an independent implementation's
    /// values (Vectors/icao-9303-11-h2-dh-im/SOURCES.md), then both sides with those keys.
    @Test func theSameExampleWith3DES() throws {
        let derived = try Self.load("derived-dh-im-3des.json")
        func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(derived, key) }
        let parameters = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 3, 1], parameterId: 0)
        #expect(parameters.cipher == .tripleDES && parameters.mapping == .integratedDH)
        // l = k = 128 bits for 3DES: s and t are 16 bytes, two 3DES blocks.
        #expect(parameters.nonceLength == 16 && parameters.terminalNonceLength == 16)
        let group = try Self.group(parameters)

        let kPi = try PACE.passwordKey(Self.password, cipher: .tripleDES)
        #expect(kPi == (try hex("kPi")))
        let s = try hex("nonce_s"), t = try hex("t")
        #expect(try PACE.encryptNonce(s, passwordKey: kPi, cipher: .tripleDES) == hex("encryptedNonce_z"))
        #expect(try PACE.decryptNonce(hex("encryptedNonce_z"), passwordKey: kPi, cipher: .tripleDES, length: parameters.nonceLength) == s)
        let random = try PACEIntegratedMapping.pseudoRandom(nonce: s, terminalNonce: t, cipher: .tripleDES, primeBits: 1024)
        #expect(random == (try hex("R_st")))
        #expect(try PrimeField(modulus: group.p).reduce(random) == hex("Rp"))
        let generator = try PACEIntegratedMapping.mappedGenerator(nonce: s, terminalNonce: t, parameters: parameters)
        #expect(generator == (try hex("mappedGenerator")))
        let domain = parameters.domain
        #expect(try domain.multiply(hex("skDhIFD"), generator) == hex("pkDhIFD"))
        #expect(try domain.multiply(hex("skDhIC"), generator) == hex("pkDhIC"))
        let secret = try domain.multiply(hex("skDhIFD"), hex("pkDhIC"))
        #expect(secret == (try hex("sharedSecret_K")))
        let keys = try PACE.sessionKeys(sharedSecret: secret, cipher: .tripleDES)
        #expect(keys.encryption == (try hex("ksEnc")))
        #expect(keys.mac == (try hex("ksMac")))
        #expect(try PACE.token(keys, parameters, otherPublicPoint: hex("pkDhIC")) == hex("tIFD"))
        #expect(try PACE.token(keys, parameters, otherPublicPoint: hex("pkDhIFD")) == hex("tIC"))
        // PK_IFD here starts with 00: the token input carries it as a 127-byte unsigned integer (84 7F …); over the
        // 128-byte form the MAC would be another (TR-03110-3 D.2.1.1, D.3.2; PACE.encodedPublicKey).
        let pkIFD = try hex("pkDhIFD")
        #expect(pkIFD.first == 0 && pkIFD[1] != 0)
        #expect(try PACE.tokenInput(parameters, publicPoint: pkIFD).contains([0x84, 0x7F] + pkIFD.dropFirst()))
        let oid: [UInt8] = [0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x03, 0x01]
        let paddedInput = [0x7F, 0x49, 0x81, 0x8F] + oid + [0x84, 0x81, 0x80] + pkIFD
        let method2 = paddedInput + [0x80] + [UInt8](repeating: 0, count: (8 - (paddedInput.count + 1) % 8) % 8)
        #expect(try MessageAuthenticationCode.retailMAC(key: keys.mac, paddedData: method2) == hex("tIC_overPaddedValue"))

        let chip = PACEChip(offered: [parameters], passwords: [Self.password])
        chip.fixedNonce = s
        chip.fixedAgreementKey = try hex("skDhIC")
        var terminal = PACETerminal(parameters: parameters, password: Self.password)
        terminal.terminalNonce = t
        terminal.agreementKey = try hex("skDhIFD")
        let outcome = try terminal.authenticate(over: PACEChipTransport(chip))
        #expect(outcome.sessionKeys == keys)
        #expect(outcome.chipPublicKey == (try hex("pkDhIC")))
        // 3DES secure messaging starts from an 8-byte zero SSC.
        #expect(outcome.transport.session.sendSequenceCounter == [UInt8](repeating: 0, count: 8))
        #expect(chip.established?.terminalPublicKey == Array(try hex("pkDhIFD").dropFirst()))
        #expect(outcome.terminalPublicKey == Array(try hex("pkDhIFD").dropFirst()))
    }

    /// f_g on the three standardized groups: the exponent is (p − 1)/q exactly (checked as an integer, not modulo p),
    /// every image lies in the subgroup of order q, and the inputs with no generator as image (0, 1, p − 1) are refused
    /// with 6A80.
    @Test(arguments: [0, 1, 2])
    func subgroupMapOnEveryStandardizedGroup(parameterId: Int) throws {
        let group = try #require(DHGroup.standardized(parameterId))
        let cofactor = try group.cofactor()
        // k·q < p², so modulo an odd M > p² the product is the integer itself: 2^(16·|p|) + 1 will do.
        let wide = try PrimeField(modulus: [0x01] + [UInt8](repeating: 0, count: 2 * group.p.count - 1) + [0x01])
        var pMinusOne = group.p
        pMinusOne[pMinusOne.count - 1] -= 1  // p is odd
        #expect(try wide.multiply(cofactor, group.q) == wide.reduce(pMinusOne))

        var generator = SplitMix64(seed: 0x9303_1102 &+ UInt64(parameterId))
        var images = Set<[UInt8]>()
        for _ in 0..<4 {
            let x = (0..<(group.p.count + 8)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = try PACEIntegratedMapping.mapToSubgroup(x, group: group)
            #expect(image.count == group.p.count)
            #expect(group.isValidPublicValue(image), "\(group)")
            images.insert(image)
        }
        #expect(images.count == 4)
        for x in [[0x00], [0x01], pMinusOne] {
            let refused = #expect(throws: ChipAccessError.self) { try PACEIntegratedMapping.mapToSubgroup(x, group: group) }
            #expect(refused?.statusWord == .incorrectParametersInData, "\(String(describing: refused))")
        }
    }

    /// A nonce t of the wrong length ends the attempt with 6A80, and a chip that sends a mapping key in 82 is not
    /// running IM: the terminal stops there.
    @Test func malformedMappingsAreRefused() throws {
        let parameters = try Self.parameters
        let apdus = try Self.apdus
        let chip = PACEChip(offered: [parameters], passwords: [Self.password])
        for t in [[UInt8](repeating: 0xB3, count: 8), [UInt8](repeating: 0xB3, count: 128), []] {
            #expect(chip.manageSecurityEnvironment(try PACE.mseSetAT(parameters, password: Self.password).data) == .success)
            _ = chip.generalAuthenticate(try CommandAPDU(bytes: apdus[0].0))
            let (refused, _) = chip.generalAuthenticate(PACE.generalAuthenticate(DynamicAuthenticationData([(0x81, t)]), last: false))
            #expect(refused.statusWord == .incorrectParametersInData, "t of \(t.count) bytes")
            let (next, _) = chip.generalAuthenticate(try CommandAPDU(bytes: apdus[2].0))
            #expect(next.statusWord == .conditionsOfUseNotSatisfied)
        }

        var answers = apdus
        answers[1].1 = DynamicAuthenticationData([(0x82, try Self.hex("pkDhIC"))]).encoded + [0x90, 0x00]
        let script = ScriptedTransport([(try PACE.mseSetAT(parameters, password: Self.password).encoded(), [0x90, 0x00])] + answers)
        var terminal = PACETerminal(parameters: parameters, password: Self.password)
        terminal.terminalNonce = try Self.hex("t")
        let stopped = #expect(throws: ChipAccessError.self) { try terminal.authenticate(over: script) }
        #expect(stopped?.code == .authenticationFailed && stopped?.reason.contains("82") == true, "\(String(describing: stopped))")
        #expect(script.remaining == 2)
    }
}
