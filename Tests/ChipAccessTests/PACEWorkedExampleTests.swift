import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport

/// ICAO Doc 9303-11 Appendix G.1, PACE ECDH-GM on brainpoolP256r1 with AES-128 and the MRZ as password: the
/// terminal's every command, byte for byte, against the chip answers the appendix prints; the values in between.
@Suite struct PACEWorkedExampleTests {
    static var example: [String: Any] {
        get throws { try #require(try WorkedExampleTests.examples["appendixG1_PACE_ECDH_GM_brainpoolP256r1_AES128"] as? [String: Any]) }
    }

    static func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try example, key) }

    static var parameters: PACEParameters {
        get throws {
            // The PACEInfo of the example's EF.CardAccess.
            let cardAccess = try EFCardAccess(bytes: hex("efCardAccess_PACEInfo"))
            let info = try #require(cardAccess.securityInfos.paceInfos.first)
            return try PACEParameters(info)
        }
    }

    static var password: PACEPassword {
        get throws { .mrz(try BACKey(documentNumber: "T22000129", dateOfBirth: "640812", dateOfExpiry: "101031")) }
    }

    @Test func valuesOfTheExample() throws {
        let parameters = try Self.parameters
        #expect(parameters.mapping == .generic && parameters.cipher == .aes128 && parameters.curve == .brainpoolP256r1)
        let password = try Self.password
        #expect(try password.key == Self.hex("K_sha1_mrzInformation"))
        let kPi = try PACE.passwordKey(password, cipher: .aes128)
        #expect(kPi == (try Self.hex("kPi")))
        #expect(try PACE.decryptNonce(Self.hex("encryptedNonce_z"), passwordKey: kPi, cipher: .aes128) == Self.hex("nonce_s"))
        #expect(try PACE.encryptNonce(Self.hex("nonce_s"), passwordKey: kPi, cipher: .aes128) == Self.hex("encryptedNonce_z"))
        let curve = ECPointArithmetic(.brainpoolP256r1)
        #expect(try curve.multiply(Self.hex("skMapIFD")) == Self.hex("pkMapIFD"))
        #expect(try curve.multiply(Self.hex("skMapIC")) == Self.hex("pkMapIC"))
        let shared = try curve.multiply(Self.hex("skMapIFD"), Self.hex("pkMapIC"))
        #expect(shared == (try Self.hex("H_sharedPoint")))
        #expect(try curve.multiply(Self.hex("skMapIC"), Self.hex("pkMapIFD")) == shared)
        let generator = try PACE.mappedGenerator(nonce: Self.hex("nonce_s"), sharedPoint: shared, curve: .brainpoolP256r1)
        #expect(generator == (try Self.hex("mappedGenerator")))
        #expect(try curve.multiply(Self.hex("skDhIFD"), generator) == Self.hex("pkDhIFD"))
        let secret = try curve.xCoordinate(curve.multiply(Self.hex("skDhIFD"), Self.hex("pkDhIC")))
        #expect(secret == (try Self.hex("sharedSecret_K_x")))
        try WorkedExampleTests.expectSessionKeysAndTokens(try Self.example, parameters, sharedSecret: secret)
        #expect(try PACE.mseSetAT(parameters, password: password).encoded() == Self.hex("mseSetAT"))
    }

    /// The terminal's run against the chip's printed answers: each command must be the printed one.
    @Test func terminalCommandsByteForByte() throws {
        let pairs = try #require(try Self.example["apdus"] as? [[String]])
        let script = try ScriptedTransport([(try Self.hex("mseSetAT"), [0x90, 0x00])] + pairs.map { pair in
            (try #require([UInt8](hex: pair[0])), try #require([UInt8](hex: pair[1])))
        })
        var terminal = PACETerminal(parameters: try Self.parameters, password: try Self.password)
        terminal.mappingKey = try Self.hex("skMapIFD")
        terminal.agreementKey = try Self.hex("skDhIFD")
        let outcome = try terminal.authenticate(over: script)
        #expect(script.mismatches.isEmpty, "\(script.mismatches)")
        #expect(script.remaining == 0)
        #expect(outcome.sessionKeys.encryption == (try Self.hex("ksEnc")))
        #expect(outcome.transport.session.sendSequenceCounter == [UInt8](repeating: 0, count: 16))
    }
}

/// Answers each command with the next scripted response and records every command that is not the expected one.
final class ScriptedTransport: CardTransport {
    private var script: [(command: [UInt8], response: [UInt8])]
    private(set) var mismatches: [String] = []
    var remaining: Int { script.count }

    init(_ script: [([UInt8], [UInt8])]) {
        self.script = script.map { (command: $0.0, response: $0.1) }
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        guard !script.isEmpty else {
            mismatches.append("unexpected \(command.hexString)")
            return [0x6F, 0x00]
        }
        let next = script.removeFirst()
        if next.command != command { mismatches.append("sent \(command.hexString), expected \(next.command.hexString)") }
        return next.response
    }
}
