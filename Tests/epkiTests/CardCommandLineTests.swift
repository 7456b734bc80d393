import Foundation
import Testing
import TestSupport

/// `epki chip serve` puts a document's LDS files into the private pcscd as a card; `epki card` lists it, sends it
/// APDUs and sees it leave; OpenSC's opensc-tool sees the same card.
@Suite(.serialized, .disabled(if: PrivatePCSCD.isSkipped, "pcscd tests run once: on the real clock, on the embedded store"))
struct CardCommandLineTests {
    static let reader = "Virtual PCD 00 00"

    @Test func chipServedAndReadThroughTheCLI() throws {
        let pcscd = try PrivatePCSCD.shared.get()
        try pcscd.exclusively {
            let directory = try TestSupport.temporaryDirectory("epki-chip-cli")
            defer { try? FileManager.default.removeItem(at: directory) }
            let files = directory.appendingPathComponent("document")
            try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
            try TestSupport.write(try TestSupport.vector("pymrtd/DG1_BSI_TR03105-5.bin"), files.appendingPathComponent("EF.DG1.bin"))
            try TestSupport.write(try TestSupport.vector("pymrtd/EF_SOD_BSI_TR03105-5.bin"), files.appendingPathComponent("EF.SOD.bin"))
            try TestSupport.write([0x60, 0x06, 0x5C, 0x02, 0x61, 0x75, 0x5F, 0x01], files.appendingPathComponent("EF.COM"))
            try TestSupport.write(Array("not an LDS file".utf8), files.appendingPathComponent("notes.txt"))
            let environment = ProcessInfo.processInfo.environment.merging(pcscd.environment) { $1 }

            let context = try TestSupport.run(try TestSupport.epkiExecutable(), ["card", "readers", "--json"], environment: pcscd.environment)
            #expect(context.status == 0, "\(context.output)")
            // Wait for an empty slot (an earlier test's card may still be leaving).
            try Self.waitFor(pcscd, card: false)

            let output = directory.appendingPathComponent("serve.out")
            let errors = directory.appendingPathComponent("serve.err")
            let server = try Subprocess(try TestSupport.epkiExecutable(),
                                        ["chip", "serve", "--files", files.path, "--can", "123456", "--vpcd", "127.0.0.1:\(pcscd.port)"],
                                        environment: environment, standardOutput: output.path, standardError: errors.path)
            defer { server.signal(SIGKILL); server.wait() }
            try Self.waitFor(pcscd, card: true)
            let served = try String(contentsOf: output, encoding: .utf8)
            #expect(served.contains("chip with 4 files in vpcd at 127.0.0.1:\(pcscd.port): BAC"), "\(served)")
            #expect(try String(contentsOf: errors, encoding: .utf8).contains("notes.txt is not an LDS file name"))

            let listed = try TestSupport.run(try TestSupport.epkiExecutable(), ["card", "readers", "--json"], environment: pcscd.environment)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.output)")
            let row = try #require(rows.first { $0["reader"] as? String == Self.reader }, "\(rows)")
            #expect(row["card"] as? Bool == true && row["atr"] as? String == "3B80800101", "\(row)")

            let apdu = try TestSupport.run(try TestSupport.epkiExecutable(), ["card", "apdu", "--reader", Self.reader, "00A4040C07A0000002471001",
                                                                               "00 B0 00 00 04", "0084000008"], environment: pcscd.environment)
            #expect(apdu.status == 0, "\(apdu.output)")
            #expect(apdu.stdout.contains("< 9000 success"), "\(apdu.output)")
            #expect(apdu.stdout.contains("< 6986 command not allowed (no current EF)"), "\(apdu.output)")
            let challenge = apdu.stdout.split(separator: "\n").last ?? ""
            #expect(challenge.hasPrefix("< ") && challenge.hasSuffix(" 9000 success") && challenge.count == 2 + 16 + 13, "\(apdu.output)")

            let atr = try TestSupport.run("opensc-tool", ["--reader", "0", "--atr"], environment: pcscd.environment)
            #expect(atr.stdout.contains("3b:80:80:01:01"), "\(atr.output)")

            // The chip leaves with its server; `card watch` reports the slot without a card.
            server.signal(SIGTERM)
            server.wait()
            try Self.waitFor(pcscd, card: false)
            let watched = try TestSupport.run(try TestSupport.epkiExecutable(), ["card", "watch", "--seconds", "0.5"], environment: pcscd.environment)
            #expect(watched.stdout.contains("\(Self.reader): no card"), "\(watched.output)")
        }
    }

    /// Polls `epki card readers` until the first slot holds a card (or not), at most ten seconds.
    static func waitFor(_ pcscd: PrivatePCSCD, card: Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let listed = try TestSupport.run(try TestSupport.epkiExecutable(), ["card", "readers", "--json"], environment: pcscd.environment)
            let rows = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]) ?? []
            if rows.first(where: { $0["reader"] as? String == reader })?["card"] as? Bool == card { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestFailure("the reader did not become \(card ? "full" : "empty") within 10 s")
    }
}
