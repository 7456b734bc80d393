import Foundation
import Inspection
import NPKD
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// `epki inspect` against the virtual chip in the private pcscd: the officer's command, its report and exit status.
@Suite(.serialized, .disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
struct InspectCommandLineTests {
    static let reader = "Virtual PCD 00 00"

    func inspect(_ chip: EMRTDChip, _ arguments: [String], pcscd: PrivatePCSCD) throws -> TestSupport.ProcessResult {
        let context = try PCSCTransport.Context()
        try context.waitForCard(in: Self.reader, present: false, milliseconds: 10_000)
        let connection = try VPCDConnection(port: pcscd.port)
        connection.start(chip)
        defer { connection.stop() }
        try context.waitForCard(in: Self.reader, milliseconds: 10_000)
        return try TestSupport.run(try TestSupport.epkiExecutable(), ["inspect", "--reader", Self.reader] + arguments, environment: pcscd.environment)
    }

    @Test func genuineAndForgedThroughPCSCD() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let directory = try TestSupport.temporaryDirectory("epki-inspect")
            defer { try? FileManager.default.removeItem(at: directory) }
            let document = try TestDocument()
            let csca = directory.appendingPathComponent("csca.der")
            try TestSupport.write(document.csca.derEncoded, csca)
            let mrz = TestDocument.mrzLines.joined()
            // The SOD was signed on 2027-09-22 (the fixed test date); the DS is valid for ten years from a month before.
            let out = directory.appendingPathComponent("read")
            let images = directory.appendingPathComponent("images")
            let genuine = try inspect(try document.chip(), ["--mrz", mrz, "--csca", csca.path, "--json", "--out", out.path, "--images", images.path], pcscd: pcscd)
            #expect(genuine.status == 0, "\(genuine.output)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(genuine.stdout.utf8)) as? [String: Any], "\(genuine.output)")
            #expect(json["summary"] as? String == "genuine")
            #expect((json["access"] as? String)?.hasPrefix("PACE") == true)
            #expect(FileManager.default.contents(atPath: out.appendingPathComponent("EF.DG2.bin").path).map(Array.init) == document.dataGroups[2])
            #expect(FileManager.default.contents(atPath: images.appendingPathComponent("face-1.jpg").path).map(Array.init) == TestDocument.face)

            var forged = try #require(document.dataGroups[2])
            forged[10] ^= 0x01
            let caught = try inspect(try document.chip(dataGroups: [2: forged]), ["--can", "123456", "--csca", csca.path], pcscd: pcscd)
            #expect(caught.status == 2, "\(caught.output)")
            #expect(caught.stdout.contains("Inspection: data forged or damaged") && caught.stdout.contains("[failed] PA DG2 hash"), "\(caught.output)")

            let unreadable = try inspect(try document.chip(), ["--can", "000000", "--csca", csca.path], pcscd: pcscd)
            #expect(unreadable.status == 1 && unreadable.stdout.contains("chip not read"), "\(unreadable.output)")
        }
    }

    /// `epki inspect --npkd URL`: the data verified by the NPKD's border control service (served on loopback).
    @Test func verifiedByTheNPKDService() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        let document = try TestDocument()
        let (_, directory, server) = try InspectionNPKDTests.served(document)
        defer {
            server.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        let url = server.url.absoluteString
        try pcscd.exclusively {
            let result = try inspect(try document.chip(), ["--can", "123456", "--npkd", url], pcscd: pcscd)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("Inspection: genuine") && result.stdout.contains("(\(url))"), "\(result.output)")
        }
    }

    /// A gate: `epki inspect watch` reports each card put on the reader — a genuine one, then a forged one.
    @Test func watchReportsEachCard() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let directory = try TestSupport.temporaryDirectory("epki-inspect-watch")
            defer { try? FileManager.default.removeItem(at: directory) }
            let document = try TestDocument()
            let csca = directory.appendingPathComponent("csca.der")
            try TestSupport.write(document.csca.derEncoded, csca)
            var forged = try #require(document.dataGroups[1])
            forged[forged.count - 3] ^= 0x01
            let context = try PCSCTransport.Context()
            try context.waitForCard(in: Self.reader, present: false, milliseconds: 10_000)
            let output = directory.appendingPathComponent("watch.out")
            let watcher = try Subprocess(try TestSupport.epkiExecutable(),
                                         ["inspect", "watch", "--reader", Self.reader, "--can", "123456", "--csca", csca.path, "--count", "2"],
                                         environment: pcscd.environment, standardOutput: output.path,
                                         standardError: directory.appendingPathComponent("watch.err").path)
            defer { if watcher.isRunning { watcher.signal(SIGKILL) }; _ = watcher.wait() }
            for (index, chip) in [try document.chip(), try document.chip(dataGroups: [1: forged])].enumerated() {
                let connection = try VPCDConnection(port: pcscd.port)
                connection.start(chip)
                try context.waitForCard(in: Self.reader, milliseconds: 10_000)
                // The card stays until the gate has reported it.
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline, !((try? String(contentsOf: output, encoding: .utf8))?.contains("card \(index + 1):") ?? false) {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                connection.stop()
                try context.waitForCard(in: Self.reader, present: false, milliseconds: 10_000)
            }
            let status = watcher.wait()
            let text = try String(contentsOf: output, encoding: .utf8)
            #expect(status == 0, "\(text)")
            #expect(text.contains("card 1: genuine") && text.contains("card 2: data forged or damaged"), "\(text)")
        }
    }
}
