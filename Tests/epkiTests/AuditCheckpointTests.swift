import Foundation
import Store
import PKICore
import Testing
import TestSupport

/// Signed audit checkpoints: an auditor checks an exported range with openssl and a POSIX shell alone, and a rewritten
/// entry (with every later hash recomputed, as someone with write access to the database would), a deleted entry and a
/// tail cut back below a checkpoint are each found — by `epki audit verify` and by the export's VERIFY.sh.
@Suite struct AuditCheckpointTests {
    /// A CSCA domain with some history, an audit key, and two checkpoints.
    static func domain() throws -> URL {
        let home = try CSCACommandLineTests.setUp()
        for arguments in [["csca", "issue-signer", "--domain", "UT", "--type", "mls", "--passphrase-file", "pass", "--out", "mls.pem"],
                          ["audit", "key", "--domain", "UT", "--passphrase-file", "pass", "--out", "audit.pem"],
                          ["audit", "checkpoint", "--domain", "UT", "--passphrase-file", "pass"],
                          ["csca", "crl", "--domain", "UT", "--passphrase-file", "pass", "--out", "UT.crl"],
                          ["csca", "issue-signer", "--domain", "UT", "--type", "dls", "--passphrase-file", "pass", "--out", "dls.pem"],
                          ["audit", "checkpoint", "--domain", "UT", "--passphrase-file", "pass"]] {
            let result = try CSCACommandLineTests.epki(arguments, home: home)
            guard result.status == 0 else { throw TestFailure("\(arguments): \(result.output)") }
        }
        return home
    }

    static func export(_ home: URL, _ name: String) throws -> TestSupport.ProcessResult {
        let exported = try CSCACommandLineTests.epki(["audit", "export", "--domain", "UT", "--out", name], home: home)
        guard exported.status == 0 else { throw TestFailure("export: \(exported.output)") }
        return try TestSupport.run("/bin/sh", [home.appendingPathComponent("\(name)/VERIFY.sh").path], environment: ["PATH": "/usr/bin:/bin"])
    }

    static func database(_ home: URL) throws -> EPKIStore {
        try EPKIStore(directory: home.appendingPathComponent("data"), create: false)
    }

    /// Rewrites entry `sequence`'s subject and recomputes every hash from there on, as the store computes them.
    static func rewrite(_ home: URL, sequence: Int64) throws {
        try database(home).write { db in
            try db.execute(sql: "UPDATE audit_entry SET subject = 'rewritten' WHERE domain = 'UT' AND sequence = ?", arguments: [sequence])
            var previous: String = try String.fetchOne(db, sql: "SELECT hash FROM audit_entry WHERE domain = 'UT' AND sequence = ?", arguments: [sequence - 1]) ?? ""
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_entry WHERE domain = 'UT' AND sequence >= ? ORDER BY sequence", arguments: [sequence]) {
                let fields: [String] = [row["domain"], String(row["sequence"] as Int64), String(format: "%.6f", row["time"] as Double), row["actor"], row["action"],
                                        row["subject"], row["details"], previous]
                let hash = try HashAlgorithm.sha256.hash(Array(fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|").utf8)).hexString.lowercased()
                try db.execute(sql: "UPDATE audit_entry SET previous_hash = ?, hash = ? WHERE domain = 'UT' AND sequence = ?",
                               arguments: [previous, hash, row["sequence"] as Int64])
                previous = hash
            }
        }
    }

    @Test func anAuditorVerifiesAnExportWithOpenSSLAlone() throws {
        let home = try Self.domain()
        defer { try? FileManager.default.removeItem(at: home) }
        let verified = try CSCACommandLineTests.epki(["audit", "verify", "--domain", "UT"], home: home)
        #expect(verified.status == 0 && verified.stdout.contains("chain intact, 2 signed checkpoint(s) hold"), "\(verified.output)")
        let script = try Self.export(home, "export")
        #expect(script.status == 0 && script.stdout.contains("signed checkpoint(s) hold") && script.stdout.contains("2 signed"), "\(script.output)")
        // The audit key given to the auditor is the one in the export.
        let given = try String(contentsOf: home.appendingPathComponent("audit.pem"), encoding: .utf8)
        let keys = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("export/keys").path)
        let exportedKey = try keys.first.map { try String(contentsOf: home.appendingPathComponent("export/keys/\($0)"), encoding: .utf8) }
        #expect(keys.count == 1 && exportedKey == given)

        // One byte changed in an exported entry: the auditor's script names it.
        let entries = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("export/entries").path).filter { $0.hasSuffix(".bin") }.sorted()
        var bytes = try TestSupport.read(home.appendingPathComponent("export/entries/\(entries[2])"))
        bytes[5] ^= 0x01
        try TestSupport.write(bytes, home.appendingPathComponent("export/entries/\(entries[2])"))
        let tampered = try TestSupport.run("/bin/sh", [home.appendingPathComponent("export/VERIFY.sh").path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(tampered.status == 1 && tampered.stdout.contains("its hash does not match its bytes"), "\(tampered.output)")
    }

    @Test func aRewrittenEntryIsFoundEvenWithEveryHashRecomputed() throws {
        let home = try Self.domain()
        defer { try? FileManager.default.removeItem(at: home) }
        try Self.rewrite(home, sequence: 2)
        let verified = try CSCACommandLineTests.epki(["audit", "verify", "--domain", "UT"], home: home)
        #expect(verified.status != 0 && verified.stdout.contains("chain intact, but the checkpoint at entry") && verified.stdout.contains("was rewritten"),
                "\(verified.output)")
        let script = try Self.export(home, "export")
        #expect(script.status == 1 && script.stdout.contains("another hash than the one signed"), "\(script.output)")
    }

    @Test func aDeletedEntryAndACutTailAreFound() throws {
        let home = try Self.domain()
        defer { try? FileManager.default.removeItem(at: home) }
        let checkpoints = try Self.database(home).read { db in try Int64.fetchAll(db, sql: "SELECT sequence FROM audit_checkpoint WHERE domain = 'UT' ORDER BY sequence") }
        #expect(checkpoints.count == 2)
        // The trail cut back to just below the last checkpoint: the chain that is left is intact, but the checkpoint's entry is gone.
        try Self.database(home).write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE domain = 'UT' AND sequence >= ?", arguments: [checkpoints[1]]) }
        let cut = try CSCACommandLineTests.epki(["audit", "verify", "--domain", "UT"], home: home)
        #expect(cut.status != 0 && cut.stdout.contains("is gone: the trail was cut back"), "\(cut.output)")
        // One entry deleted in the middle.
        try Self.database(home).write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE domain = 'UT' AND sequence = 3") }
        let deleted = try CSCACommandLineTests.epki(["audit", "verify", "--domain", "UT"], home: home)
        #expect(deleted.status != 0 && deleted.stdout.contains("BROKEN at entry 3: entry 3 is missing"), "\(deleted.output)")
        let script = try Self.export(home, "export")
        #expect(script.status == 1 && script.stdout.contains("does not link to the entry before it"), "\(script.output)")
    }
}
