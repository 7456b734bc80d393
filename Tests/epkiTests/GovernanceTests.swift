import Foundation
import Store
import Testing
import TestSupport

/// Officers and four-eyes on a domain, through the CLI: a dual-control operation (the CSCA key ceremony) runs only
/// as a proposal that a second, distinct officer with the role approves, once, for exactly the parameters proposed;
/// single-control operations need their role; every refusal is audited.
@Suite struct GovernanceTests {
    static func epki(_ arguments: [String], home: URL) throws -> TestSupport.ProcessResult {
        try CSCACommandLineTests.epki(arguments, home: home)
    }

    /// epki in one data directory: `ok` expects exit 0, `refused` a non-zero exit naming the reason.
    struct CLI {
        let home: URL
        /// Added to the data directory's (e.g. SOFTHSM2_CONF for a private token).
        var environment: [String: String] = [:]

        func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            try CommandLineTests.epki(arguments, in: home, environment: environment.merging(["EPKI_HOME": home.appendingPathComponent("data").path]) { $1 })
        }

        func writeSecrets() throws {
            try TestSupport.write("ca passphrase\n", home.appendingPathComponent("pass"))
            try TestSupport.write("officer passphrase\n", home.appendingPathComponent("opass"))
        }

        @discardableResult
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try run(arguments)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
            return result.stdout
        }

        func refused(_ arguments: [String], _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try run(arguments)
            #expect(result.status != 0 && result.stderr.contains(reason), "\(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        }
    }

    @Test func dualControlOfTheCSCAKeyCeremony() throws {
        let home = try TestSupport.temporaryDirectory("epki-governance")
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        try cli.writeSecrets()
        for name in ["alice", "bob", "carol", "dave", "erin"] {
            try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "\(name).pem", "--public-out", "\(name).pub", "--passphrase-file", "opass"])
        }
        func officer(_ name: String) -> [String] { ["--officer", "\(name).pem", "--officer-passphrase-file", "opass"] }
        try cli.ok(["officer", "init", "--domain", "UT", "--name", "alice", "--public-key", "alice.pub"])
        try cli.refused(["officer", "init", "--domain", "UT", "--name", "mallory", "--public-key", "dave.pub"], "has officers already")
        for (name, role) in [("bob", "ca-admin"), ("carol", "ca-admin"), ("dave", "ra-officer"), ("erin", "key-custodian")] {
            try cli.ok(["officer", "add", "--domain", "UT", "--name", name, "--role", role, "--public-key", "\(name).pub"] + officer("alice"))
        }
        try cli.refused(["officer", "add", "--domain", "UT", "--name", "frank", "--role", "ca-admin", "--public-key", "alice.pub"] + officer("bob"),
                    "does not hold the role super-admin")

        let initialize = ["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA Utopia", "--algorithm", "ec:P-256",
                          "--crl-url", "http://pkd.example/UT.crl", "--passphrase-file", "pass", "--out", "csca.pem"]
        // No officer, and an officer without the role.
        try cli.refused(initialize, "under governance: act as an officer")
        try cli.refused(initialize + officer("dave"), "does not hold the role ca-admin")
        // One officer alone only proposes.
        let proposed = try cli.ok(initialize + officer("bob"))
        #expect(proposed.contains("proposal 1: csca.init by bob awaits a second officer"), "\(proposed)")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("csca.pem").path))
        try cli.refused(["csca", "status", "--domain", "UT"], "no CSCA")
        // The proposer cannot approve, nor can an officer without the role.
        try cli.refused(["proposal", "approve", "1", "--domain", "UT", "--passphrase-file", "pass"] + officer("bob"), "a second, distinct officer must approve it")
        try cli.refused(["proposal", "approve", "1", "--domain", "UT", "--passphrase-file", "pass"] + officer("dave"), "does not hold the role ca-admin or key-custodian")
        // The parameters changed after the proposal: the approval does not apply.
        let database = try EPKIStore(directory: home.appendingPathComponent("data"), create: false)
        try database.write { db in try db.execute(sql: "UPDATE proposal SET parameters = replace(parameters, 'CSCA Utopia', 'CSCA Elsewhere') WHERE id = 1") }
        try cli.refused(["proposal", "approve", "1", "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "its parameters were changed")
        // An expired proposal does not run.
        try cli.ok(initialize + officer("bob"))
        try database.write { db in try db.execute(sql: "UPDATE proposal SET expires_at = ? WHERE id = 2", arguments: [Date().timeIntervalSince1970 - 1]) }
        try cli.refused(["proposal", "approve", "2", "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "expired")
        // A valid pair runs it, once: the proposer and a key custodian.
        try cli.ok(initialize + officer("bob"))
        let approved = try cli.ok(["proposal", "approve", "3", "--domain", "UT", "--passphrase-file", "pass"] + officer("erin"))
        #expect(approved.contains("proposal 3 approved by erin") && approved.contains("CSCA of domain 'UT'"), "\(approved)")
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("csca.pem").path))
        try cli.refused(["proposal", "approve", "3", "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "is executed, not pending; it runs once")
        // The ceremony's transcript, signed with the domain's audit key (an auditor makes the key), checked with openssl.
        try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "audrey.pem", "--public-out", "audrey.pub", "--passphrase-file", "opass"])
        try cli.ok(["officer", "add", "--domain", "UT", "--name", "audrey", "--role", "auditor", "--public-key", "audrey.pub"] + officer("alice"))
        try cli.ok(["audit", "key", "--domain", "UT", "--passphrase-file", "pass", "--out", "audit.pem"] + officer("audrey"))
        try cli.ok(["proposal", "transcript", "3", "--domain", "UT", "--passphrase-file", "pass", "--out", "ceremony.txt"])
        let transcript = try String(contentsOf: home.appendingPathComponent("ceremony.txt"), encoding: .utf8)
        #expect(transcript.contains("operation: csca.init") && transcript.contains("proposed: bob ") && transcript.contains("approved: erin ")
                && transcript.contains(" officer:erin csca.init ") && transcript.contains("state: executed"), "\(transcript)")
        let checked = try TestSupport.openssl(["dgst", "-sha256", "-verify", "audit.pem", "-signature", "ceremony.txt.sig", "ceremony.txt"], in: home)
        #expect(checked.stdout.contains("Verified OK"), "\(checked.output)")
        try cli.refused(["proposal", "transcript", "1", "--domain", "UT", "--passphrase-file", "pass", "--out", "none.txt"], "has not run")

        let list = try cli.ok(["proposal", "list", "--domain", "UT"])
        #expect(list.contains("1  csca.init  pending") && list.contains("2  csca.init  pending") && list.contains("3  csca.init  executed  by bob, decided by erin"), "\(list)")

        // Single control: issuing a DS needs the RA role; the audit entry names the officer.
        try cli.refused(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--out", "ds.pem"] + officer("bob"),
                    "does not hold the role ra-officer")
        try cli.ok(["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--passphrase-file", "pass", "--out", "ds.pem"] + officer("dave"))
        let audit = try cli.ok(["audit", "show", "--domain", "UT"])
        #expect(audit.contains("officer:dave ds.issue"), "\(audit)")
        #expect(audit.contains("officer:erin csca.init"), "\(audit)")
        let refusals = audit.split(separator: "\n").filter { $0.contains("governance.refused") }
        #expect(refusals.count == 9, "every refusal audited: \(refusals.count)\n\(refusals.joined(separator: "\n"))")
        try cli.ok(["audit", "verify", "--domain", "UT"])
    }
}

extension GovernanceTests {
    /// Two authorities on one installation: an officer of one acts in the other, a proposal of one is approved in
    /// the other, and one domain's CA is pointed at the other's key — each refused, and the officer's attempt
    /// audited in the domain it reached for.
    @Test func oneDomainCannotReachIntoAnother() throws {
        let home = try TestSupport.temporaryDirectory("epki-tenants")
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        try cli.writeSecrets()
        func officer(_ name: String) -> [String] { ["--officer", "\(name).pem", "--officer-passphrase-file", "opass"] }
        for name in ["admin-ut", "ra-ut", "admin-xb", "ca-xb"] {
            try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "\(name).pem", "--public-out", "\(name).pub", "--passphrase-file", "opass"])
        }
        // UT is a plain domain with a CSCA; XB is under governance with its own officers.
        try cli.ok(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA UT", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/UT.crl",
                "--passphrase-file", "pass"])
        try cli.ok(["officer", "init", "--domain", "XB", "--name", "admin-xb", "--public-key", "admin-xb.pub"])
        try cli.ok(["officer", "add", "--domain", "XB", "--name", "ca-xb", "--role", "ca-admin", "--public-key", "ca-xb.pub"] + officer("admin-xb"))
        try cli.ok(["officer", "init", "--domain", "UT2", "--name", "admin-ut", "--public-key", "admin-ut.pub"])
        try cli.ok(["officer", "add", "--domain", "UT2", "--name", "ra-ut", "--role", "ra-officer", "--public-key", "ra-ut.pub"] + officer("admin-ut"))

        // An officer of UT2 (with the RA role there) acts in XB: not an officer of XB.
        try cli.refused(["csca", "issue-ds", "--domain", "XB", "--algorithm", "ec:P-256", "--passphrase-file", "pass"] + officer("ra-ut"), "is no officer's of 'XB'")
        try cli.refused(["officer", "add", "--domain", "XB", "--name", "intruder", "--role", "ca-admin", "--public-key", "ra-ut.pub"] + officer("admin-ut"),
                    "is no officer's of 'XB'")
        // XB's rules and XB's national PKD (a trust decision) from UT2: refused.
        try cli.refused(["officer", "policy", "--domain", "XB", "--operation", "csca.crl", "--approvals", "1"] + officer("admin-ut"), "is no officer's of 'XB'")
        try cli.refused(["npkd", "trust", "--domain", "XB", "--fingerprint", String(repeating: "ab", count: 32)] + officer("ra-ut"), "is no officer's of 'XB'")
        try cli.refused(["audit", "checkpoint", "--domain", "XB", "--passphrase-file", "pass"] + officer("admin-ut"), "is no officer's of 'XB'")
        // A proposal of XB cannot be approved as UT2's.
        let proposed = try cli.ok(["cvca", "init", "--domain", "XB", "--country", "XB"] + officer("ca-xb") + ["--passphrase-file", "pass"])
        #expect(proposed.contains("proposal"), "\(proposed)")
        try cli.refused(["proposal", "approve", "1", "--domain", "UT2", "--passphrase-file", "pass"] + officer("admin-ut"), "no proposal 1 in 'UT2'")
        let xbAudit = try cli.ok(["audit", "show", "--domain", "XB"])
        #expect(xbAudit.split(separator: "\n").filter { $0.contains("governance.refused") }.count == 5, "\(xbAudit)")

        // XB's CSCA row pointed at UT's CSCA key: refused before any signature.
        try cli.ok(["csca", "init", "--domain", "XC", "--country", "XC", "--name", "CSCA XC", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/XC.crl",
                "--passphrase-file", "pass"])
        let database = try EPKIStore(directory: home.appendingPathComponent("data"), create: false)
        let utKey = try database.read { db in try String.fetchOne(db, sql: "SELECT key_reference FROM csca_authority WHERE domain = 'UT'") }
        try database.write { db in try db.execute(sql: "UPDATE csca_authority SET key_reference = ? WHERE domain = 'XC'", arguments: [utKey]) }
        try cli.refused(["csca", "crl", "--domain", "XC", "--passphrase-file", "pass", "--out", "xc.crl"], "belongs to domain 'UT'; domain 'XC' may not use it")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("xc.crl").path))
    }
}

extension GovernanceTests {
    /// Every dual-control operation the CLI governs, in turn: one officer alone only proposes; an approval for
    /// changed parameters does not apply; an expired proposal does not run; the proposer and an officer without the
    /// role cannot approve; a second officer with the role runs it, once.
    @Test func everyDualControlOperation() throws {
        let home = try TestSupport.temporaryDirectory("epki-dual-control")
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        try cli.writeSecrets()
        func officer(_ name: String) -> [String] { ["--officer", "\(name).pem", "--officer-passphrase-file", "opass"] }
        for name in ["alice", "bob", "carol", "dave", "frank", "grace"] {
            try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "\(name).pem", "--public-out", "\(name).pub", "--passphrase-file", "opass"])
        }
        // A foreign CVCA certificate and a SPOC root to register, made in another domain without officers.
        try cli.ok(["cvca", "init", "--domain", "XX", "--country", "XX", "--out", "xx.cvcert", "--passphrase-file", "pass"])
        try cli.ok(["csca", "init", "--domain", "XX", "--country", "XX", "--name", "CSCA XX", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/XX.crl",
                    "--passphrase-file", "pass", "--out", "xx-root.pem"])
        try cli.ok(["officer", "init", "--domain", "UT", "--name", "alice", "--public-key", "alice.pub"])
        for (name, role) in [("bob", "ca-admin"), ("carol", "ca-admin"), ("dave", "ra-officer"), ("frank", "spoc-operator"), ("grace", "spoc-operator")] {
            try cli.ok(["officer", "add", "--domain", "UT", "--name", name, "--role", role, "--public-key", "\(name).pub"] + officer("alice"))
        }
        let operations: [(name: String, arguments: [String], proposer: String, approver: String, check: [String], expect: String)] = [
            ("csca.init", ["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA UT", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/UT.crl"],
             "bob", "carol", ["csca", "status", "--domain", "UT"], "CSCA UT"),
            ("csca.rollover", ["csca", "rollover", "--domain", "UT", "--algorithm", "ec:P-256"], "bob", "carol", ["csca", "list", "--domain", "UT"], "link"),
            ("cvca.init", ["cvca", "init", "--domain", "UT", "--country", "UT"], "bob", "carol", ["cvca", "list", "--domain", "UT"], "UTCVCA00001"),
            ("cvca.link", ["cvca", "link", "--domain", "UT"], "bob", "carol", ["cvca", "list", "--domain", "UT"], "UTCVCA00002"),
            ("cvca.policy", ["cvca", "policy", "--domain", "UT", "--terminal-validity", "14d"], "bob", "carol", ["cvca", "policy", "--domain", "UT"], "14d"),
            ("cvca.register-foreign-cvca", ["cvca", "register-foreign-cvca", "--domain", "UT", "xx.cvcert"], "bob", "carol",
             ["cvca", "list", "--domain", "UT", "--source", "foreign"], "XXCVCA00001"),
            ("spoc.register", ["spoc", "register", "--domain", "UT", "--country", "XX", "--url", "https://spoc.xx.example/spoc", "--root", "xx-root.pem"],
             "frank", "grace", ["spoc", "peers", "--domain", "UT"], "spoc.xx.example"),
            ("npkd.trust", ["npkd", "trust", "xx-root.pem", "--domain", "UT", "--note", "received bilaterally"], "bob", "carol",
             ["npkd", "list", "--domain", "UT"], "CSCA XX"),
            ("governance.policy", ["officer", "policy", "--domain", "UT", "--operation", "csca.crl", "--approvals", "1"], "bob", "carol",
             ["officer", "policy", "--domain", "UT"], "csca.crl  ca-admin  1 approval(s) by ca-admin"),
        ]
        let database = try EPKIStore(directory: home.appendingPathComponent("data"), create: false)
        var next = 1
        for operation in operations {
            // The NPKD's and the rules' commands hold no keys: they take no passphrase.
            let secrets = ["npkd", "officer"].contains(operation.arguments[0]) ? [] : ["--passphrase-file", "pass"]
            let arguments = operation.arguments + secrets
            // Changed parameters and an expired proposal: neither runs.
            try cli.ok(arguments + officer(operation.proposer))
            try database.write { db in
                try GovernanceTests.appendParameter(db, proposal: next, "--json")
            }
            try cli.refused(["proposal", "approve", "\(next)", "--domain", "UT", "--passphrase-file", "pass"] + officer(operation.approver), "its parameters were changed")
            try cli.ok(arguments + officer(operation.proposer))
            try database.write { db in
                try db.execute(sql: "UPDATE proposal SET expires_at = ? WHERE id = ?", arguments: [Date().timeIntervalSince1970 - 1, next + 1])
            }
            try cli.refused(["proposal", "approve", "\(next + 1)", "--domain", "UT", "--passphrase-file", "pass"] + officer(operation.approver), "expired")
            let id = "\(next + 2)"
            next += 3
            let proposed = try cli.ok(arguments + officer(operation.proposer))
            #expect(proposed.contains("proposal \(id): \(operation.name) by \(operation.proposer)"), "\(operation.name): \(proposed)")
            let before = try GovernanceTests.epki(operation.check + secrets, home: home)
            #expect(!before.stdout.contains(operation.expect) || operation.name == "csca.rollover" && !before.stdout.contains("link"),
                    "\(operation.name) ran before its approval: \(before.output)")
            try cli.refused(["proposal", "approve", id, "--domain", "UT", "--passphrase-file", "pass"] + officer(operation.proposer), "a second, distinct officer")
            try cli.refused(["proposal", "approve", id, "--domain", "UT", "--passphrase-file", "pass"] + officer("dave"), "does not hold the role")
            try cli.ok(["proposal", "approve", id, "--domain", "UT", "--passphrase-file", "pass"] + officer(operation.approver))
            let after = try cli.ok(operation.check + secrets)
            #expect(after.contains(operation.expect), "\(operation.name) after its approval: \(after)")
            try cli.refused(["proposal", "approve", id, "--domain", "UT", "--passphrase-file", "pass"] + officer(operation.approver), "it runs once")
        }
        // Revoking a CSCA-level certificate (here the link certificate of the rollover) needs two; a DS one officer.
        let listed = try JSONSerialization.jsonObject(with: Data(try cli.ok(["csca", "list", "--domain", "UT", "--json"]).utf8)) as? [[String: Any]] ?? []
        let link = try #require(listed.first { $0["kind"] as? String == "link" }?["serial"] as? String)
        let revocation = ["csca", "revoke", "--domain", "UT", "--serial", link, "--passphrase-file", "pass"]
        try cli.ok(revocation + officer("bob"))
        try database.write { db in
            try GovernanceTests.appendParameter(db, proposal: next, "--json")
        }
        try cli.refused(["proposal", "approve", "\(next)", "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "its parameters were changed")
        try cli.ok(revocation + officer("bob"))
        try database.write { db in
            try db.execute(sql: "UPDATE proposal SET expires_at = ? WHERE id = ?", arguments: [Date().timeIntervalSince1970 - 1, next + 1])
        }
        try cli.refused(["proposal", "approve", "\(next + 1)", "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "expired")
        let last = "\(next + 2)"
        let proposed = try cli.ok(revocation + officer("bob"))
        #expect(proposed.contains("proposal \(last): csca.revoke-ca by bob"), "\(proposed)")
        try cli.refused(["proposal", "approve", last, "--domain", "UT", "--passphrase-file", "pass"] + officer("bob"), "a second, distinct officer")
        try cli.refused(["proposal", "approve", last, "--domain", "UT", "--passphrase-file", "pass"] + officer("dave"), "does not hold the role")
        try cli.ok(["proposal", "approve", last, "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"))
        try cli.refused(["proposal", "approve", last, "--domain", "UT", "--passphrase-file", "pass"] + officer("carol"), "it runs once")
        let revoked = try JSONSerialization.jsonObject(with: Data(try cli.ok(["csca", "list", "--domain", "UT", "--json"]).utf8)) as? [[String: Any]] ?? []
        #expect(revoked.first { $0["serial"] as? String == link }?["revokedAt"] as? String != nil, "\(revoked)")
        try cli.ok(["audit", "verify", "--domain", "UT"])
    }

    /// Changes a stored proposal behind governance's back: one more argument in its parameters (a JSON array).
    static func appendParameter(_ db: Database, proposal: Int, _ argument: String) throws {
        let text = try String.fetchOne(db, sql: "SELECT parameters FROM proposal WHERE id = ?", arguments: [proposal]) ?? "[]"
        var parameters = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] ?? []
        parameters.append(argument)
        let changed = String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
        try db.execute(sql: "UPDATE proposal SET parameters = ? WHERE id = ?", arguments: [changed, proposal])
    }
}

