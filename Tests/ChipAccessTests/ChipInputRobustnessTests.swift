import ChipAccess
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
