import ChipAccess
import Foundation
import PKICore
import SmartCard
import Testing
import TestSupport

/// How PACE writes a DH public value: as an unsigned integer, big-endian in the fewest octets, without leading 00 bytes
/// (BSI TR-03110-3 v2.21 B.1.2.1 and B.2.1, D.3.4, D.3.2 Table 30 and its note, D.2.1.1) — in the data objects 81–84
/// and in the token input 7F49 { 06 OID, 84 y }. About one value in 256 has a top byte of 0 and so is shorter than p;
/// a token over the |p|-byte form would then not be a conforming chip's. The worked examples (9303-11 H.2, the BSI EAC
/// example with DH) have no such value, so these tests choose private keys whose public values have one.
@Suite struct PACEDHPublicValueEncodingTests {
    /// The first key `seed ‖ 3C… ‖ i` (20 bytes, below q of every standardized group) whose public value on
    /// `generator` is below 2^(|p|−8): its |p|-byte form starts with 00.
    static func keyWithShortValue(on generator: [UInt8], group: DHGroup, seed: UInt8) throws -> (key: [UInt8], padded: [UInt8]) {
        for i in 0..<8192 {
            let key = [seed] + [UInt8](repeating: 0x3C, count: 17) + [UInt8(i >> 8), UInt8(i & 0xFF)]
            let value = try group.power(generator, key)
            if value.count == group.p.count, value[0] == 0, value[1] != 0 { return (key, value) }
        }
        throw TestFailure("no key with a short public value")
    }

    /// 7F49 { 06 OID, 84 y } written out by hand, DER lengths (short form below 128, else 81 form), for a body of
    /// 128–255 bytes.
    static func expectedTokenInput(oid: [UInt8], y: [UInt8]) -> [UInt8] {
        let yLength: [UInt8] = y.count < 0x80 ? [UInt8(y.count)] : [0x81, UInt8(y.count)]
        let body = [0x06, UInt8(oid.count)] + oid + [0x84] + yLength + y
        return [0x7F, 0x49, 0x81, UInt8(body.count)] + body
    }

    static let dhIMOid: [UInt8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x03, 0x02]  // id-PACE-DH-IM-AES-CBC-CMAC-128
    static let dhGMOid: [UInt8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x01, 0x02]  // id-PACE-DH-GM-AES-CBC-CMAC-128

    /// The GENERAL AUTHENTICATE data objects of every command and answer that passed, in order.
    final class Recorder: CardTransport, @unchecked Sendable {
        let inner: any CardTransport
        var commands: [DynamicAuthenticationData] = []
        var answers: [DynamicAuthenticationData] = []
        init(_ inner: any CardTransport) { self.inner = inner }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            let apdu = try CommandAPDU(bytes: command)
            let response = try inner.transmit(command)
            if apdu.ins == 0x86 {
                commands.append(try DynamicAuthenticationData(bytes: apdu.data, "command"))
                let answer = try ResponseAPDU(bytes: response)
                if answer.statusWord.isSuccess { answers.append(try DynamicAuthenticationData(bytes: answer.data, "answer")) }
            }
            return response
        }

        func sent(_ tag: UInt8) -> [UInt8]? { commands.lazy.compactMap { $0[tag] }.first }
        func answered(_ tag: UInt8) -> [UInt8]? { answers.lazy.compactMap { $0[tag] }.first }
    }

    /// A peer that pads its DH values to |p| bytes (leading 00), as an implementation writing field elements would:
    /// the terminal's 81 and 83 and the chip's 82 and 84 are rewritten on the way.
    final class Padding: CardTransport, @unchecked Sendable {
        let inner: any CardTransport
        let length: Int
        var padded = 0
        init(_ inner: any CardTransport, length: Int) {
            self.inner = inner
            self.length = length
        }

        func pad(_ data: DynamicAuthenticationData, tags: Set<UInt8>) -> DynamicAuthenticationData {
            DynamicAuthenticationData(data.objects.map { object in
                guard tags.contains(object.tag), object.value.count < length, object.value.count > 16 else { return object }
                padded += 1
                return (object.tag, [UInt8](repeating: 0, count: length - object.value.count) + object.value)
            })
        }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            var apdu = try CommandAPDU(bytes: command)
            guard apdu.ins == 0x86 else { return try inner.transmit(command) }
            apdu.data = pad(try DynamicAuthenticationData(bytes: apdu.data, "command"), tags: [0x81, 0x83]).encoded
            var response = try ResponseAPDU(bytes: try inner.transmit(try apdu.encoded()))
            if response.statusWord.isSuccess {
                response.data = pad(try DynamicAuthenticationData(bytes: response.data, "answer"), tags: [0x82, 0x84]).encoded
            }
            return response.encoded
        }
    }

    static func group(_ parameters: PACEParameters) throws -> DHGroup {
        guard case .dh(let group) = parameters.domain else { throw TestFailure("not a DH group") }
        return group
    }

    // MARK: - The encoding itself

    @Test func encodingIsTheMinimalUnsignedInteger() throws {
        let parameters = try PACEDHIMWorkedExampleTests.parameters
        let domain = parameters.domain
        let y: [UInt8] = [0x00, 0x00, 0x01, 0x02] + [UInt8](repeating: 0xA5, count: 124)
        #expect(PACE.encodedPublicKey(y, domain: domain) == Array(y.dropFirst(2)))
        #expect(PACE.receivedPublicKey(y, domain: domain) == Array(y.dropFirst(2)))
        #expect(PACE.receivedPublicKey(Array(y.dropFirst(2)), domain: domain) == Array(y.dropFirst(2)))
        // A full-length value without a leading zero is its own minimal encoding.
        let full: [UInt8] = [0x92] + [UInt8](repeating: 0x11, count: 127)
        #expect(PACE.encodedPublicKey(full, domain: domain) == full)
        // The token input has the minimal form whichever form it is given.
        let expected = Self.expectedTokenInput(oid: Self.dhIMOid, y: Array(y.dropFirst(2)))
        #expect(try PACE.tokenInput(parameters, publicPoint: y) == expected)
        #expect(try PACE.tokenInput(parameters, publicPoint: Array(y.dropFirst(2))) == expected)
        #expect(try PACE.tokenInput(parameters, publicPoint: Array(y.dropFirst(1))) == expected)
        // An EC point is left as it is.
        let curve = try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2], parameterId: 13)
        let point: [UInt8] = [0x04] + [UInt8](repeating: 0x00, count: 3) + [UInt8](repeating: 0x5A, count: 61)
        #expect(PACE.encodedPublicKey(point, domain: curve.domain) == point)
    }

    // MARK: - Both sides, with a public value whose top byte is 0

    /// H.2's DH-IM inputs, but a chip key whose y_IC has a leading 00 in its |p|-byte form: the chip sends 127 bytes in
    /// 84, the terminal's T_IFD is the CMAC over 7F49 { 06 OID, 84 7F y_IC }, and both sides agree.
    @Test func chipValueWithLeadingZeroUnderDHIM() throws {
        let parameters = try PACEDHIMWorkedExampleTests.parameters
        let group = try Self.group(parameters)
        let s = try PACEDHIMWorkedExampleTests.hex("nonce_s"), t = try PACEDHIMWorkedExampleTests.hex("t")
        let generator = try PACEIntegratedMapping.mappedGenerator(nonce: s, terminalNonce: t, parameters: parameters)
        let chipKey = try Self.keyWithShortValue(on: generator, group: group, seed: 0x11)
        let yIC = Array(chipKey.padded.drop { $0 == 0 })
        #expect(yIC.count < group.p.count)

        let chip = PACEChip(offered: [parameters], passwords: [PACEDHIMWorkedExampleTests.password])
        chip.fixedNonce = s
        chip.fixedAgreementKey = chipKey.key
        var terminal = PACETerminal(parameters: parameters, password: PACEDHIMWorkedExampleTests.password)
        terminal.terminalNonce = t
        terminal.agreementKey = try PACEDHIMWorkedExampleTests.hex("skDhIFD")
        let wire = Recorder(PACEChipTransport(chip))
        let outcome = try terminal.authenticate(over: wire)

        #expect(wire.answered(0x84) == yIC)
        #expect(outcome.chipPublicKey == yIC)
        #expect(chip.established?.chipPublicKey == yIC)
        #expect(wire.sent(0x83) == (try PACEDHIMWorkedExampleTests.hex("pkDhIFD")))
        let input = Self.expectedTokenInput(oid: Self.dhIMOid, y: yIC)
        #expect(Array(input[0 ..< 18]) == [0x7F, 0x49, 0x81, 0x8D, 0x06, 0x0A] + Self.dhIMOid + [0x84, 0x7F])
        #expect(try PACE.tokenInput(parameters, publicPoint: chipKey.padded) == input)
        let expectedToken = Array(try MessageAuthenticationCode.cmac(key: outcome.sessionKeys.mac, data: input).prefix(8))
        #expect(wire.sent(0x85) == expectedToken)
        // Over the |p|-byte form the token would be another: the case the encoding decides.
        let paddedInput = [0x7F, 0x49, 0x81, 0x8F, 0x06, 0x0A] + Self.dhIMOid + [0x84, 0x81, 0x80] + chipKey.padded
        #expect(Array(try MessageAuthenticationCode.cmac(key: outcome.sessionKeys.mac, data: paddedInput).prefix(8)) != expectedToken)
        // ID_PICC of Terminal Authentication is the SHA-1 of the value as encoded, an odd 127 bytes here: the domain
        // tells it from an EC point.
        #expect(try TerminalAuthentication.chipIdentifier(paceChipPublicKey: outcome.chipPublicKey, domain: parameters.domain)
                == (try HashAlgorithm.sha1.hash(yIC)))
        #expect(chip.established?.domain == parameters.domain)
    }

    /// The DH-GM worked example's nonce and chip keys, but terminal keys (mapping and agreement) whose public values
    /// have a leading 00: 81 and 83 go out short, the chip's T_IC is over the short y_IFD, and both sides agree.
    @Test func terminalValuesWithLeadingZeroUnderDHGM() throws {
        let parameters = try PACEDHWorkedExampleTests.parameters
        let group = try Self.group(parameters)
        let domain = parameters.domain
        let nonce = try PACEDHWorkedExampleTests.vector("nonce")
        let chipMappingKey = try PACEDHWorkedExampleTests.vector("map_picc_priv_key")
        let mapping = try Self.keyWithShortValue(on: group.g, group: group, seed: 0x21)
        let h = try domain.multiply(chipMappingKey, mapping.padded)
        let generator = try PACE.mappedGenerator(nonce: nonce, shared: h, domain: domain)
        let agreement = try Self.keyWithShortValue(on: generator, group: group, seed: 0x31)
        let yMap = Array(mapping.padded.drop { $0 == 0 }), yIFD = Array(agreement.padded.drop { $0 == 0 })

        let chip = PACEChip(offered: [parameters], passwords: [.pin("123456")])
        chip.fixedNonce = nonce
        chip.fixedMappingKey = chipMappingKey
        chip.fixedAgreementKey = try PACEDHWorkedExampleTests.vector("picc_priv_key")
        var terminal = PACETerminal(parameters: parameters, password: .pin("123456"))
        terminal.mappingKey = mapping.key
        terminal.agreementKey = agreement.key
        let wire = Recorder(PACEChipTransport(chip))
        let outcome = try terminal.authenticate(over: wire)

        #expect(wire.sent(0x81) == yMap && yMap.count < 128)
        #expect(wire.sent(0x83) == yIFD && yIFD.count < 128)
        #expect(outcome.terminalPublicKey == yIFD)
        #expect(chip.established?.terminalPublicKey == yIFD)
        let input = Self.expectedTokenInput(oid: Self.dhGMOid, y: yIFD)
        #expect(wire.answered(0x86) == Array(try MessageAuthenticationCode.cmac(key: outcome.sessionKeys.mac, data: input).prefix(8)))
    }

    /// A peer that sends its DH values padded to |p| (leading 00) is understood: both sides still agree, because each
    /// side's token is over the minimal form (the one the standard defines), not over the bytes as they came.
    @Test func paddedValuesFromThePeerAreAccepted() throws {
        let parameters = try PACEDHIMWorkedExampleTests.parameters
        let group = try Self.group(parameters)
        let s = try PACEDHIMWorkedExampleTests.hex("nonce_s"), t = try PACEDHIMWorkedExampleTests.hex("t")
        let generator = try PACEIntegratedMapping.mappedGenerator(nonce: s, terminalNonce: t, parameters: parameters)
        let chipKey = try Self.keyWithShortValue(on: generator, group: group, seed: 0x11)
        let terminalKey = try Self.keyWithShortValue(on: generator, group: group, seed: 0x41)

        let chip = PACEChip(offered: [parameters], passwords: [PACEDHIMWorkedExampleTests.password])
        chip.fixedNonce = s
        chip.fixedAgreementKey = chipKey.key
        var terminal = PACETerminal(parameters: parameters, password: PACEDHIMWorkedExampleTests.password)
        terminal.terminalNonce = t
        terminal.agreementKey = terminalKey.key
        let padding = Padding(PACEChipTransport(chip), length: group.p.count)
        let wire = Recorder(padding)
        let outcome = try terminal.authenticate(over: wire)
        #expect(padding.padded == 2)  // 83 on the way in, 84 on the way out
        #expect(outcome.chipPublicKey == Array(chipKey.padded.drop { $0 == 0 }))
        #expect(chip.established?.terminalPublicKey == Array(terminalKey.padded.drop { $0 == 0 }))
        #expect(chip.established?.chipPublicKey == outcome.chipPublicKey)
        let input = Self.expectedTokenInput(oid: Self.dhIMOid, y: outcome.chipPublicKey)
        #expect(wire.sent(0x85) == Array(try MessageAuthenticationCode.cmac(key: outcome.sessionKeys.mac, data: input).prefix(8)))
    }

    /// Many random runs of DH-IM and DH-GM between the two sides: about one in 128 has a short value on one side or the
    /// other, which the |p|-byte encoding on one side only would have failed.
    @Test func randomRunsAgree() throws {
        for parameters in [try PACEDHIMWorkedExampleTests.parameters, try PACEDHWorkedExampleTests.parameters] {
            let password = parameters.isIntegratedMapping ? PACEDHIMWorkedExampleTests.password : PACEPassword.pin("123456")
            for _ in 0..<8 {
                let chip = PACEChip(offered: [parameters], passwords: [password])
                let outcome = try PACETerminal(parameters: parameters, password: password).authenticate(over: PACEChipTransport(chip))
                #expect(outcome.chipPublicKey.first != 0 && outcome.terminalPublicKey.first != 0)
                #expect(chip.established?.chipPublicKey == outcome.chipPublicKey)
            }
        }
    }
}
