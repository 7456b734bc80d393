import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import Testing
import TestSupport

/// ICAO Doc 9303-11 Appendix I.1, PACE with the Chip Authentication Mapping (ECDH, brainpoolP256r1, AES-128, MRZ):
/// the terminal's commands and the chip's answers byte for byte, the Chip Authentication data and its check against
/// the chip's static key of the ChipAuthenticationPublicKeyInfo.
@Suite struct PACECAMWorkedExampleTests {
    static var example: [String: Any] {
        get throws { try #require(try WorkedExampleTests.examples["appendixI1_PACE_ECDH_CAM_brainpoolP256r1_AES128"] as? [String: Any]) }
    }

    static func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try example, key) }
    static func cam(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try #require(try example["cam"] as? [String: Any]), key) }

    static var parameters: PACEParameters {
        get throws {
            let infos = try SecurityInfos(bytes: [0x31, 0x14] + hex("paceInfo"), what: "I.1 PACEInfo")
            return try PACEParameters(try #require(infos.paceInfos.first))
        }
    }

    static var password: PACEPassword {
        get throws { .mrz(try BACKey(documentNumber: "C11T002JM", dateOfBirth: "960812", dateOfExpiry: "231031")) }
    }

    static var apdus: [([UInt8], [UInt8])] {
        get throws {
            let pairs = try #require(try example["apdus"] as? [[String]])
            return try pairs.map { (try #require([UInt8](hex: $0[0])), try #require([UInt8](hex: $0[1]))) }
        }
    }

    /// The chip's static key as EF.CardSecurity carries it: the ChipAuthenticationPublicKeyInfo of the example.
    static var chipStaticPublicKey: [UInt8] {
        get throws {
            let infos = try SecurityInfos(bytes: [0x31, 0x64] + cam("chipAuthenticationPublicKeyInfo"), what: "I.1 ChipAuthenticationPublicKeyInfo")
            let info = try #require(infos.chipAuthenticationPublicKeyInfos.first)
            #expect(info.keyId == 13)
            let point = Array(info.chipAuthenticationPublicKey.subjectPublicKey.bytes)
            #expect(point == (try cam("pkIC_static")))
            return point
        }
    }

    @Test func terminalRunAndTheMappingCheck() throws {
        let parameters = try Self.parameters
        #expect(parameters.mapping == .chipAuthentication && parameters.curve == .brainpoolP256r1)
        let script = ScriptedTransport([(try Self.hex("mseSetAT"), [0x90, 0x00])] + (try Self.apdus))
        var terminal = PACETerminal(parameters: parameters, password: try Self.password)
        terminal.includesParameterId = false
        terminal.mappingKey = try Self.hex("skMapIFD")
        terminal.agreementKey = try Self.hex("skDhIFD")
        let outcome = try terminal.authenticate(over: script)
        #expect(script.mismatches.isEmpty, "\(script.mismatches)")
        #expect(outcome.sessionKeys.encryption == (try Self.hex("ksEnc")))
        #expect(outcome.encryptedChipAuthenticationData == (try Self.cam("encryptedChipAuthenticationData_A_IC")))
        #expect(try PACE.decryptChipAuthenticationData(Self.cam("encryptedChipAuthenticationData_A_IC"), keys: outcome.sessionKeys) == Self.cam("CA_IC"))
        try PACE.verifyChipAuthenticationMapping(outcome, chipStaticPublicKey: Self.chipStaticPublicKey, curve: .brainpoolP256r1)

        // Another chip's static key does not fit: the chip would not be genuine.
        let other = try ECPointArithmetic(.brainpoolP256r1).multiply([0x05])
        let refused = #expect(throws: ChipAccessError.self) {
            try PACE.verifyChipAuthenticationMapping(outcome, chipStaticPublicKey: other, curve: .brainpoolP256r1)
        }
        #expect(refused?.code == .authenticationFailed)
    }

    /// Given the example's nonce and keys, the chip answers every step as the appendix prints, A_IC included.
    @Test func chipAnswersByteForByte() throws {
        let parameters = try Self.parameters
        let chip = PACEChip(offered: [parameters], passwords: [try Self.password])
        chip.fixedNonce = try Self.hex("nonce_s")
        chip.fixedMappingKey = try Self.hex("skMapIC")
        chip.fixedAgreementKey = try Self.hex("skDhIC")
        chip.chipAuthenticationKey = try Self.cam("skIC_static_derived")
        #expect(try ECPointArithmetic(.brainpoolP256r1).multiply(Self.cam("skIC_static_derived")) == Self.cam("pkIC_static"))
        let setUp = try CommandAPDU(bytes: Self.hex("mseSetAT"))
        #expect(chip.manageSecurityEnvironment(setUp.data) == .success)
        var established: SecureMessaging?
        for (command, expected) in try Self.apdus {
            let (response, session) = chip.generalAuthenticate(try CommandAPDU(bytes: command))
            #expect(response.encoded == expected, "\(command.hexString)")
            established = session ?? established
        }
        #expect(established?.keys.mac == (try Self.hex("ksMac")))
    }
}
