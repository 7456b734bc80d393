import ChipAccess
import Foundation
import Inspection
import LDS
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// A chip that answers badly: mutated answers on the wire, and files that are not what they claim. The inspection
/// always ends with a report — never a crash, never "genuine" for data that was changed. Seeded, so a failure repeats.
@Suite struct InspectionRobustnessTests {
    /// Changes one answer in `rate` (its data, its length or its status word) after the chip produced it.
    final class UnreliableTransport: CardTransport, @unchecked Sendable {
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
            case 1: answer.removeFirst(min(answer.count - 1, Int.random(in: 1...8, using: &random)))
            default: answer = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            return answer
        }
    }

    @Test func mutatedAnswersEndInAReport() throws {
        let document = try TestDocument()
        let system = document.system()
        var verdicts: [String: Int] = [:]
        for seed in 0..<60 {
            let chip = try document.chip()
            let report = system.inspect(UnreliableTransport(chip, seed: UInt64(seed), rate: 6))
            verdicts[report.summary, default: 0] += 1
            // Whatever the wire did, data that reached the report verifies or the report says it did not.
            if report.summary == "genuine" {
                for (number, bytes) in report.dataGroups { #expect(bytes == document.dataGroups[number], "seed \(seed) DG\(number)") }
            }
        }
        #expect(verdicts.values.reduce(0, +) == 60)
        #expect(verdicts["chip not read", default: 0] > 0, "\(verdicts)")
    }

    /// Files that do not parse: EF.CardAccess, EF.COM, DG14, DG15 and EF.SOD replaced by malformed TLV on the chip.
    @Test(arguments: [
        (ChipFileSystem.Directory.masterFile, ChipFileSystem.efCardAccess), (.application, ChipFileSystem.efCOM),
        (.application, ChipFileSystem.dataGroup(14)), (.application, ChipFileSystem.dataGroup(15)), (.application, ChipFileSystem.efSOD),
    ])
    func malformedFilesAreTypedFailures(_ place: ChipFileSystem.Directory, _ identifier: UInt16) throws {
        let document = try TestDocument()
        var files = try document.chip().files
        let malformed: [UInt8] = [0x30, 0x82, 0x10, 0x00, 0x06, 0x03, 0x2A, 0x03]  // claims 4,096 bytes, has 4
        if place == .masterFile { files.masterFile[identifier] = malformed } else { files.application[identifier] = malformed }
        let chip = EMRTDChip(files: files, bacKey: document.key, can: "123456", chipAuthenticationKey: document.chipAuthenticationKey)
        chip.activeAuthenticationKey = document.activeAuthenticationKey
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.steps.checks.contains { $0.status == .failed }, "\(report)")
        // EF.CardAccess and EF.COM are not signed: the chip falls back to BAC, the groups come from EF.SOD, and the
        // document can still be proven. A signed file that cannot be read leaves it unproven.
        if identifier != ChipFileSystem.efCOM && !(place == .masterFile) {
            #expect(report.summary != "genuine", "\(report)")
        }
        // Access still works where only an application file is broken: the report goes on past it.
        if place == .application { #expect(report.access != nil, "\(report)") }
    }
}
