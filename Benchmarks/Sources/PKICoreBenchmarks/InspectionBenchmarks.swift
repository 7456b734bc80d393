// The inspection section: the time to a verdict of a full inspection (PACE + CA + TA + DG3 + AA + PA) of a virtual
// chip through a private pcscd with vpcd, split by step, against the time the same exchange spent in the card's
// round trips. The chip is made by the personalization line (default profile: PACE-GM, CA and AA on
// brainpoolP256r1, EAC; then the same on P-256), then served through vpcd; every APDU's round trip is timed just above pcsc-lite
// (`PCSCTransport.transmit`, which is SCardTransmit plus a copy): the physical floor for that chip. What is left is
// the host's own work: key agreement, secure messaging, signatures, parsing, passive authentication.

import Foundation
import Inspection
import LDS
import Personalization
import PKICore
import SmartCard
import VirtualChip

enum InspectionBenchmarks {
    /// Adds up the wall time spent in the card's round trips.
    final class TimingTransport: CardTransport, @unchecked Sendable {
        let inner: any CardTransport
        var seconds = 0.0
        var commands = 0

        init(_ inner: any CardTransport) { self.inner = inner }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            let start = ContinuousClock.now
            defer {
                seconds += durationSeconds(ContinuousClock.now - start)
                commands += 1
            }
            return try inner.transmit(command)
        }
    }

    /// The curves of `--inspection-curves`: brainpoolP256r1 (the default profile) and P-256, one after the other.
    static func run(_ options: Options, sink: inout Int) throws -> String {
        try options.inspectionCurves.map { try run(options, curve: $0, sink: &sink) }.joined(separator: "\n\n")
    }

    static func run(_ options: Options, curve: ECCurve, sink: inout Int) throws -> String {
        let pcscd = try CardBenchmarks.PrivatePCSCD.shared(keep: options.keep)
        let directory = try temporaryDirectory("epki-bench-inspection")
        defer { if !options.keep { try? FileManager.default.removeItem(at: directory) } }
        let made = try PersoBenchmarks.makeLine(directory: directory, curve: curve)
        guard let readBack = made.line.readBack as? PersoBenchmarks.BenchReadBack else { throw UsageError("inspection: unexpected read-back") }
        // The document: personalized in process (the line's own write is §9's subject).
        let chip = try EMRTDChip(state: ChipState())
        let report = made.line.personalize(PersoBenchmarks.order(1), transport: InProcessTransport(chip), reader: "in process")
        guard report.succeeded else { throw UsageError("inspection: \(report.line)") }

        let reader = "Virtual PCD 00 00"
        let context = try PCSCTransport.Context()
        // An earlier section's card may still be leaving the reader.
        try context.waitForCard(in: reader, present: false, milliseconds: 10_000)
        let connection = try VPCDConnection(port: pcscd.port)
        connection.start(chip)
        defer { connection.stop() }
        try context.waitForCard(in: reader, milliseconds: 10_000)
        let pcsc = try PCSCTransport(context: context, reader: reader)
        defer { pcsc.disconnect() }
        let system = InspectionSystem(password: .can("123456"), terminal: readBack.terminal,
                                      passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [readBack.csca])))
        struct Sample {
            let total: Double
            let transmit: Double
            let commands: Int
            let steps: [String: Double]
        }
        var samples: [Sample] = []
        let count = max(10, options.seconds * 10)
        for round in 0..<(count + 2) {
            let timing = TimingTransport(pcsc)
            let start = ContinuousClock.now
            let inspection = system.inspect(timing)
            let total = durationSeconds(ContinuousClock.now - start)
            guard inspection.summary == "genuine", inspection.dataGroups[3] != nil else { throw UsageError("inspection: \(inspection.summary)") }
            sink &+= inspection.dataGroups.count
            if round >= 2 { samples.append(Sample(total: total, transmit: timing.seconds, commands: timing.commands, steps: inspection.durations)) }
        }
        func median(_ values: [Double]) -> Double { let sorted = values.sorted(); return sorted[sorted.count / 2] }
        let stepNames = samples[0].steps.keys.sorted { name1, name2 in
            median(samples.map { $0.steps[name1] ?? 0 }) > median(samples.map { $0.steps[name2] ?? 0 })
        }
        let total = median(samples.map(\.total)) * 1000
        let transmit = median(samples.map(\.transmit)) * 1000
        let host = median(samples.map { ($0.total - $0.transmit) * 1000 })
        let share = median(samples.map { ($0.total - $0.transmit) / $0.total })
        var lines: [String] = []
        lines.append("### inspection on \(curve.rawValue): time to a verdict, PACE-GM + CA + TA + DG3 + AA + PA, through pcscd + vpcd (median of \(samples.count))")
        lines.append("")
        lines.append("| total | card round trips (\(samples[0].commands) APDUs) | host's own work | host's share | goal ≤ 10 % |")
        lines.append("|---:|---:|---:|---:|---|")
        lines.append(String(format: "| %.1f ms | %.1f ms | %.1f ms | **%.1f %%** | %@ |", total, transmit, host, share * 100, share <= 0.10 ? "met" : "not met"))
        lines.append("")
        lines.append("| step | ms (median) |")
        lines.append("|---|---:|")
        for name in stepNames { lines.append(String(format: "| %@ | %.2f |", name, median(samples.map { $0.steps[name] ?? 0 }))) }
        return lines.joined(separator: "\n")
    }
}
