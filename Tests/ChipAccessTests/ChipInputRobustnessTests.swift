import ChipAccess
import CVC
import Foundation
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// Whatever a terminal sends, the chip answers with a status word and never crashes; whatever a chip answers, the
/// terminal's parsers throw typed errors and never crash. Seeded, so a failure repeats.
@Suite struct ChipInputRobustnessTests {
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch Int.random(in: 0..<4, using: &random) {
        case 0 where !out.isEmpty: out[Int.random(in: 0..<out.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
        case 1 where !out.isEmpty: out.removeLast(Int.random(in: 1...out.count, using: &random))
        case 2: out += (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        default: out = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        return out
    }

    @Test func theChipAnswersEveryCommandWithAStatusWord() throws {
        let document = try VirtualChipTests.Document()
        let tap = TappedTransport(InProcessTransport(document.chip))
        // Real commands to start from: plain, BAC, PACE and protected ones.
        _ = try VirtualChipTests.readEverything(tap, key: document.key)
        _ = try VirtualChipPACETests.paceRead(tap, password: .can(VirtualChipTests.Document.can))
        let seeds = tap.commands
        #expect(seeds.count > 20)
        var random = SplitMix64(seed: 0x5EED_CAFE)
        for round in 0..<20_000 {
            if round % 500 == 0 { document.chip.reset() }
            let input = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            let response = document.chip.process(input)
            #expect(response.count >= 2, "no status word for \(input.hexString)")
            if response.count < 2 { break }
        }
    }

    /// A blank chip under personalization: CREATE FILE, UPDATE BINARY and PUT DATA mutated, each answered with a
    /// status word; the lock may come by chance, after which the chip refuses them all.
    @Test func aChipUnderPersonalizationAnswersEveryCommand() throws {
        let line = try ChipPersonalizationTests.Personalized()
        let seedChip = try EMRTDChip(state: ChipState())
        let tap = TappedTransport(InProcessTransport(seedChip))
        try line.run(over: tap, lock: false)
        let seeds = tap.commands
        #expect(seeds.count > 20)
        var random = SplitMix64(seed: 0x9E25_0001)
        var chip = try EMRTDChip(state: ChipState())
        for round in 0..<20_000 {
            if round % 2_000 == 0 { chip = try EMRTDChip(state: ChipState()) }
            let input = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            let response = chip.process(input)
            #expect(response.count >= 2, "no status word for \(input.hexString)")
            if response.count < 2 { break }
        }
    }

    /// Terminal Authentication's chip side fed mutated MSE and PSO data (certificates cut, flipped, extended):
    /// status words only, and nothing granted.
    @Test func terminalAuthenticationRefusesMutatedCertificates() throws {
        let chain = try TerminalAuthenticationTests.Chain()
        let (terminal, _) = try chain.terminal(.readDG3)
        let certificates = [try chain.dv.bodyAndSignature, try terminal.bodyAndSignature]
        var random = SplitMix64(seed: 0x7A7A_0002)
        let chip = try TerminalAuthenticationChip(trustPoints: [chain.cvca], currentDate: TerminalAuthenticationTests.Chain.start)
        for round in 0..<3_000 {
            if round % 50 == 0 { chip.resetSession() }
            let target = Int.random(in: 0..<2, using: &random)
            let car = target == 0 ? chain.cvca.chr : chain.dv.chr
            _ = chip.setDigitalSignatureTemplate(Self.mutate(TerminalAuthenticationTests.reference(car), &random))
            _ = chip.setDigitalSignatureTemplate(TerminalAuthenticationTests.reference(car))
            let mutated = Self.mutate(certificates[target], &random)
            let status = chip.verifyCertificate(mutated, chained: false)
            if status.isSuccess { #expect(mutated == certificates[target] || (try? CVCertificate(bodyAndSignature: mutated)) != nil) }
            _ = chip.setAuthenticationTemplate(Self.mutate(TerminalAuthenticationTests.reference(terminal.chr), &random))
            _ = chip.externalAuthenticate(signature: Self.mutate([UInt8](repeating: 1, count: 64), &random), chipIdentifier: [1], terminalEphemeralKey: [4, 1, 2])
            #expect(chip.effectiveAuthorization == nil)
        }
        #expect(chip.trustPoints == [chain.cvca])
    }

    /// The new file parsers: EF.ATR/INFO, EF.CVCA, PSO certificate data, a chip state's sealed envelope.
    @Test func fileParsersThrowTypedErrors() throws {
        let chain = try TerminalAuthenticationTests.Chain()
        let seeds: [[UInt8]] = [
            ATRInfo.eMRTD.encoded, try EFCVCA(references: [chain.cvca.chr, "ZZCVCA00002"]).encoded, try chain.dv.bodyAndSignature,
            Array(#"{"format":"epki-virtual-chip-state-1","sealed":{"salt":"AAAAAAAAAAAAAAAAAAAAAA==","iterations":1,"iv":"AAAAAAAAAAAAAAAAAAAAAA==","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA==","mac":"AAAAAAAAAAAAAAAAAAAAAA=="}}"#.utf8),
        ]
        var random = SplitMix64(seed: 0xF11E_0003)
        for _ in 0..<20_000 {
            let input = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            do { _ = try ATRInfo(encoded: input) } catch { #expect(error is SmartCardError) }
            do { _ = try EFCVCA(encoded: input) } catch { #expect(error is CVCError) }
            do { _ = try CVCertificate(bodyAndSignature: input) } catch { #expect(error is CVCError) }
            if let envelope = try? JSONDecoder().decode([String: PassphraseSealedData].self, from: Data(input)) {
                for sealed in envelope.values { _ = try? sealed.open(passphrase: Passphrase("x")) }
            }
        }
    }

    @Test func theTerminalsParsersThrowTypedErrors() throws {
        let keys = try SecureMessagingKeys(seed: [UInt8](repeating: 7, count: 16), cipher: .aes128)
        var random = SplitMix64(seed: 0xBADC_0FFE)
        let seeds: [[UInt8]] = [
            [0x7C, 0x12, 0x80, 0x10] + [UInt8](repeating: 1, count: 16),
            [0x87, 0x11, 0x01] + [UInt8](repeating: 2, count: 16) + [0x99, 0x02, 0x90, 0x00, 0x8E, 0x08] + [UInt8](repeating: 3, count: 8) + [0x90, 0x00],
            [0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00], [0x61, 0x00], [0x6C, 0x10],
        ]
        for _ in 0..<20_000 {
            let input = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            _ = try? DynamicAuthenticationData(bytes: input, "fuzz")
            _ = try? CommandAPDU(bytes: input)
            if let response = try? ResponseAPDU(bytes: input) {
                var session = try SecureMessaging(keys: keys)
                _ = try? session.unprotect(response, command: CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 16))
            }
            var chipSession = try SecureMessaging(keys: keys)
            if let command = try? CommandAPDU(bytes: input) { _ = try? chipSession.unprotect(command: command) }
        }
    }
}
