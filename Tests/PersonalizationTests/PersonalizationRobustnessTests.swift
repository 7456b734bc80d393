import Foundation
import Personalization
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// Bad input to the line: mutated orders and image headers, and a card that answers badly. Every one ends in a typed
/// refusal or a failed attempt, never a crash and never an attempt left open. Seeded, so a failure repeats.
@Suite struct PersonalizationRobustnessTests {
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[index] ^= UInt8.random(in: 1...255, using: &random)
            case 1: bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...16, using: &random)))
            case 2: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: index)
            default: bytes = Array(bytes.prefix(index))
            }
        }
        return bytes
    }

    @Test func mutatedImageHeadersNeverCrash() {
        var random = SplitMix64(seed: 14)
        let seeds: [[UInt8]] = [Array(LineFixture.photo.prefix(64)), LineFixture.fingerprint(2),
                                [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A, 0x00, 0x00, 0x00, 0x1E, 0x6A, 0x70, 0x32, 0x68,
                                 0x00, 0x00, 0x00, 0x16, 0x69, 0x68, 0x64, 0x72, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x01, 0xE0, 0x00, 0x03, 0x07, 0x07]]
        var recognized = 0
        for round in 0..<6_000 {
            let bytes = Self.mutate(seeds[round % seeds.count], &random)
            if let header = ImageFormat.header(of: bytes) {
                #expect(header.width > 0 && header.height > 0)
                recognized += 1
            }
        }
        #expect(recognized > 0 && recognized < 6_000)
    }

    @Test func mutatedOrdersAreTypedRefusals() throws {
        let directory = try TestSupport.temporaryDirectory("epki-order-fuzz")
        defer { try? FileManager.default.removeItem(at: directory) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var small = LineFixture.order("UTO300001")
        small.photo = Data(LineFixture.photo.prefix(40) + [0xFF, 0xD9]).base64EncodedString()
        small.fingerprints = nil
        let valid = Array(try encoder.encode(small))
        var random = SplitMix64(seed: 1414)
        var accepted = 0
        let url = directory.appendingPathComponent("o.json")
        for _ in 0..<800 {
            try Data(Self.mutate(valid, &random)).write(to: url)
            do {
                let (order, folder) = try DocumentOrder.load(url)
                _ = try order.validated(folder: folder)
                accepted += 1
            } catch let error as PersonalizationError {
                #expect(error.code == .invalidOrder && !error.reason.isEmpty)
            }
        }
        #expect(accepted < 800)
    }

    /// Changes one answer in `rate` after the chip produced it.
    final class UnreliableCard: CardTransport {
        let chip: EMRTDChip
        var random: SplitMix64
        let rate: Int

        init(_ chip: EMRTDChip, seed: UInt64, rate: Int) {
            self.chip = chip
            random = SplitMix64(seed: seed)
            self.rate = rate
        }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            var answer = chip.process(command)
            guard Int.random(in: 0..<rate, using: &random) == 0, !answer.isEmpty else { return answer }
            switch Int.random(in: 0..<3, using: &random) {
            case 0: answer[Int.random(in: 0..<answer.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case 1: answer = [0x6F, 0x00]
            default: throw SmartCardError(.noCard, "the card was removed")
            }
            return answer
        }
    }

    @Test func aCardThatAnswersBadlyEndsEveryAttempt() throws {
        let fixture = try LineFixture()
        let line = try fixture.line(profile: ChipProfile(pace: .init(), chipAuthentication: .init(), activeAuthentication: .init(key: "ec:prime256v1"),
                                                         terminalAuthentication: false, dataGroups: [1, 2, 14, 15]), terminal: false)
        var outcomes: [String: Int] = [:]
        for seed in 0..<24 {
            let chip = try EMRTDChip(state: ChipState())
            let report = line.personalize(LineFixture.order(String(format: "UTO4%05d", seed), fingerprints: false),
                                          transport: UnreliableCard(chip, seed: UInt64(seed), rate: 150), reader: "r1")
            outcomes[report.outcome, default: 0] += 1
            if report.succeeded {
                // Verified only when the chip really holds the document: a clean inspection agrees.
                #expect(chip.lifecycle == .operational)
            } else {
                #expect(report.outcome == "failed" && report.failedStep != nil && report.reason?.isEmpty == false, "\(report.line)")
            }
        }
        let attempts = try fixture.journal().attempts()
        #expect(attempts.count == 24)
        #expect(attempts.allSatisfy { $0.state == .verified || ($0.state == .failed && $0.void) }, "every attempt ended")
        #expect(outcomes["failed", default: 0] > 0, "\(outcomes)")
        #expect(try fixture.store.verifyAudit(domain: "utopia").isIntact)
    }
}
