import Foundation
import Testing
import TestSupport

/// Several active nodes on one shared PostgreSQL (issue 19), driven by scripts/active-nodes.py: two nodes issue DS
/// certificates and CRLs and answer border control's POST /v1/pa/verify under load; one node is killed with SIGKILL
/// mid-load, or the database's primary is killed and its synchronous standby promoted. Then: every serial a node
/// printed is in the store, none twice, CRL numbers increase, the audit chains verify.
///
/// Not repeated in the suite's PostgreSQL run: these tests start their own servers and do not use its store.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["EPKI_TEST_POSTGRES"] == nil, "they start PostgreSQL servers of their own"))
struct ActiveNodesTests {
    /// The script's environment: libfaketime's variables go to epki's processes only (through
    /// ACTIVE_NODES_CHILD_ENVIRONMENT), since Python's sleep fails under libfaketime.
    static var scriptEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        var handed: [String: String] = [:]
        for key in environment.keys where key == "LD_PRELOAD" || key.hasPrefix("FAKETIME") || key.hasPrefix("DONT_FAKE") {
            handed[key] = environment.removeValue(forKey: key)
        }
        if !handed.isEmpty, let data = try? JSONSerialization.data(withJSONObject: handed) {
            environment["ACTIVE_NODES_CHILD_ENVIRONMENT"] = String(decoding: data, as: UTF8.self)
        }
        return environment
    }

    static func script(_ arguments: [String], directory: URL) throws -> (status: Int32, output: String) {
        let output = directory.appendingPathComponent("nodes.out")
        let process = try Subprocess("/usr/bin/python3", [TestSupport.packageRoot.appendingPathComponent("scripts/active-nodes.py").path] + arguments,
                                     environment: Self.scriptEnvironment, standardOutput: output.path, standardError: output.path + ".err")
        let status = process.wait()
        let text = ((try? String(contentsOf: output, encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: output.path + ".err", encoding: .utf8)) ?? "")
        return (status, text)
    }

    static func summary(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("summary: ") }, "no summary: \(output.suffix(2000))")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("summary: ".count).utf8)) as? [String: Any])
    }

    @Test func twoNodesIssueAndAnswerAndOneIsKilled() throws {
        let directory = try TestSupport.temporaryDirectory("epki-active-nodes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let postgres = try PrivatePostgres.start(name: "active-nodes")
        defer { postgres.stop() }
        let run = try Self.script(["--epki", try TestSupport.epkiExecutable(), "--store", postgres.url, "--dir", directory.path,
                                   "--seconds", "12", "--kill-node", "A"], directory: directory)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        let summary = try Self.summary(run.output)
        #expect(summary["missing"] as? Int == 0 && summary["duplicateSerials"] as? Int == 0, "\(summary)")
        #expect(summary["crlNumbersIncreasing"] as? Bool == true && summary["crlFilesNotInStore"] as? Int == 0, "\(summary)")
        #expect(summary["auditIntact"] as? Bool == true, "\(summary)")
        #expect(summary["paErrorsOfNodeB"] as? Int == 0 && summary["paUnanswered"] as? Int == 0, "\(summary)")
        #expect((summary["issuedTold"] as? Int ?? 0) > 0, "\(summary)")
        print("active nodes, one killed: \(summary)")
    }

    @Test func thePrimaryDiesAndTheSynchronousStandbyTakesOver() throws {
        let directory = try TestSupport.temporaryDirectory("epki-failover")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (primary, standby) = try PrivatePostgres.startReplicated(synchronous: true)
        defer {
            primary.stop()
            standby.stop()
        }
        // libpq's multi-host form: the nodes keep the host that accepts writes, and find the promoted standby.
        let store = "postgres://epki@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/postgres?target_session_attrs=read-write&connect_timeout=2"
        let control = directory.appendingPathComponent("failed-over")
        let output = directory.appendingPathComponent("nodes.out")
        let process = try Subprocess("/usr/bin/python3", [TestSupport.packageRoot.appendingPathComponent("scripts/active-nodes.py").path,
                                                          "--epki", try TestSupport.epkiExecutable(), "--store", store, "--dir", directory.path,
                                                          "--seconds", "10", "--control", control.path],
                                     environment: Self.scriptEnvironment, standardOutput: output.path, standardError: output.path + ".err")
        defer { if process.isRunning { process.signal(SIGKILL); _ = process.wait() } }
        func text() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(120)
        while !text().contains("ready") && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        try #require(text().contains("ready"), "\(text()) \((try? String(contentsOfFile: output.path + ".err", encoding: .utf8)) ?? "")")
        // Mid-issuance: the primary goes as in a power cut, the standby is promoted, the nodes carry on.
        try primary.kill()
        try standby.promote()
        FileManager.default.createFile(atPath: control.path, contents: Data())
        let status = process.wait()
        let all = text() + ((try? String(contentsOfFile: output.path + ".err", encoding: .utf8)) ?? "")
        #expect(status == 0, "\(all.suffix(3000))")
        let summary = try Self.summary(all)
        #expect(summary["missing"] as? Int == 0 && summary["duplicateSerials"] as? Int == 0, "\(summary)")
        #expect(summary["crlNumbersIncreasing"] as? Bool == true && summary["auditIntact"] as? Bool == true, "\(summary)")
        #expect((summary["issuedAfterFailover"] as? Int ?? 0) > 0, "\(summary)")
        print("failover to the synchronous standby: \(summary)")
    }
}
