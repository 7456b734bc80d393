import Foundation
import Testing
import TestSupport

/// A CSCA key ceremony in an HSM (a private SoftHSM2 token) with M of N key custodians present: the domain's
/// policy, itself changed under four eyes, asks for two approvals; the key is made in the token only when the
/// second custodian approves; the signed transcript names both, the token, and the key's SPKI SHA-256, which
/// openssl computes to the same value from the certificate.
@Suite struct KeyCeremonyTests {
    @Test func twoOfThreeCustodiansMakeTheCSCAKeyInTheToken() throws {
        let hsm = try SoftHSM.make(tokens: ["CSCA-UT"], export: false)
        defer { try? FileManager.default.removeItem(at: hsm.directory) }
        let cli = GovernanceTests.CLI(home: hsm.directory, environment: hsm.environment)
        try cli.writeSecrets()
        func officer(_ name: String) -> [String] {
            name == "frank" ? ["--officer", "pkcs11:token=CSCA-UT;object=officer-frank", "--officer-pin-file", hsm.pinFile.path]
                            : ["--officer", "\(name).pem", "--officer-passphrase-file", "opass"]
        }
        for name in ["alice", "bob", "carol", "erin", "gina", "audrey"] {
            try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--out", "\(name).pem", "--public-out", "\(name).pub", "--passphrase-file", "opass"])
        }
        // frank's officer key lives in the token: his credential is a PKCS#11 URI and the token's PIN.
        let frankKey = "pkcs11:token=CSCA-UT;object=officer-frank"
        try cli.ok(["key", "generate", "--algorithm", "ec:P-256", "--pkcs11", frankKey, "--pin-file", hsm.pinFile.path, "--public-out", "frank.pub"])
        try cli.ok(["officer", "init", "--domain", "UT", "--name", "alice", "--public-key", "alice.pub"])
        for (name, role) in [("bob", "ca-admin"), ("carol", "ca-admin"), ("erin", "key-custodian"), ("frank", "key-custodian"), ("gina", "key-custodian"),
                             ("audrey", "auditor")] {
            try cli.ok(["officer", "add", "--domain", "UT", "--name", name, "--role", role, "--public-key", "\(name).pub"] + officer("alice"))
        }

        // The policy: no one lifts dual control from a key ceremony, nor asks for more approvals than there are officers.
        try cli.refused(["officer", "policy", "--domain", "UT", "--operation", "csca.init", "--single-control"] + officer("bob"), "stays under dual control")
        let policy = ["officer", "policy", "--domain", "UT", "--operation", "csca.init", "--approvals", "2"]
        let proposedPolicy = try cli.ok(policy + officer("bob"))
        #expect(proposedPolicy.contains("proposal 1: governance.policy by bob"), "\(proposedPolicy)")
        try cli.refused(["proposal", "approve", "1", "--domain", "UT"] + officer("erin"), "does not hold the role ca-admin")
        try cli.ok(["proposal", "approve", "1", "--domain", "UT"] + officer("carol"))
        let shown = try cli.ok(["officer", "policy", "--domain", "UT"])
        #expect(shown.contains("csca.init  ca-admin  2 approval(s) by ca-admin or key-custodian  (set by officer:carol)"), "\(shown)")
        try cli.refused(["officer", "policy", "--domain", "UT", "--operation", "csca.rollover", "--approvals", "6"] + officer("bob"),
                        "needs 7 officers who may propose or approve it")

        // The ceremony: bob proposes a CSCA whose key is made in the token.
        let uri = "pkcs11:token=CSCA-UT;object=csca-ut-2026"
        let ceremony = ["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA Utopia HSM", "--algorithm", "ec:brainpoolP256r1", "--key", uri,
                        "--crl-url", "http://pkd.example/UT.crl", "--out", "csca.pem"]
        let proposed = try cli.ok(ceremony + officer("bob"))
        #expect(proposed.contains("proposal 2: csca.init by bob"), "\(proposed)")
        let approve = ["proposal", "approve", "2", "--domain", "UT", "--pin-file", hsm.pinFile.path]
        let first = try cli.ok(approve + officer("erin"))
        #expect(first.contains("approval 1 of 2 recorded (erin); 1 more needed"), "\(first)")
        #expect(!FileManager.default.fileExists(atPath: hsm.directory.appendingPathComponent("csca.pem").path), "one custodian made the key")
        let objects = try TestSupport.run("pkcs11-tool", ["--module", SoftHSM.modulePath, "--token-label", "CSCA-UT", "--login",
                                                          "--pin", SoftHSM.userPIN, "--list-objects"], environment: hsm.environment)
        #expect(!objects.stdout.contains("csca-ut-2026"), "no key in the token before the quorum: \(objects.output)")
        try cli.refused(approve + officer("erin"), "approved proposal 2 already")
        try cli.refused(approve + officer("bob"), "a second, distinct officer")
        let second = try cli.ok(approve + officer("frank"))
        #expect(second.contains("proposal 2 approved by frank") && second.contains("CSCA of domain 'UT'"), "\(second)")
        try cli.refused(approve + officer("gina"), "is executed, not pending; it runs once")
        let after = try TestSupport.run("pkcs11-tool", ["--module", SoftHSM.modulePath, "--token-label", "CSCA-UT", "--login",
                                                        "--pin", SoftHSM.userPIN, "--list-objects", "--type", "privkey"], environment: hsm.environment)
        #expect(after.stdout.contains("csca-ut-2026"), "the key is in the token: \(after.output)")
        let keyFiles = (try? FileManager.default.contentsOfDirectory(atPath: hsm.directory.appendingPathComponent("data/keys/UT").path)) ?? []
        #expect(!keyFiles.contains { $0.hasPrefix("csca") }, "no CSCA key file: \(keyFiles)")

        // The transcript for the auditors, signed by the audit key.
        try cli.ok(["audit", "key", "--domain", "UT", "--passphrase-file", "pass", "--out", "audit.pem"] + officer("audrey"))
        try cli.ok(["proposal", "transcript", "2", "--domain", "UT", "--passphrase-file", "pass", "--out", "ceremony.txt"])
        let transcript = try String(contentsOf: hsm.directory.appendingPathComponent("ceremony.txt"), encoding: .utf8)
        let spki = try TestSupport.run("sh", ["-c", "openssl x509 -in csca.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r"],
                                       currentDirectory: hsm.directory)
        let fingerprint = String(spki.stdout.prefix(64))
        // The reference the token gave the key (its id and module appended) and the key's SPKI SHA-256.
        #expect(fingerprint.count == 64 && transcript.contains("key: \(uri);id=") && transcript.contains(" token CSCA-UT spki-sha256 \(fingerprint)\n"),
                "\(fingerprint)\n\(transcript)")
        #expect(transcript.contains("approvals-required: 2") && transcript.contains("proposed: bob ") && transcript.contains("approved: erin ")
                && transcript.contains("approved: frank ") && !transcript.contains("approved: gina"), "\(transcript)")
        let verified = try TestSupport.openssl(["dgst", "-sha256", "-verify", "audit.pem", "-signature", "ceremony.txt.sig", "ceremony.txt"], in: hsm.directory)
        #expect(verified.stdout.contains("Verified OK"), "\(verified.output)")
        // Each approver's signature in the transcript verifies over their statement with their own key.
        for name in ["erin", "frank"] {
            let line = try #require(transcript.split(separator: "\n").first { $0.hasPrefix("approved: \(name) ") })
            let fields = line.split(separator: " ")
            let statement = "epki officer statement\ndomain: UT\noperation: csca.init\nparameters: \(try #require(transcript.split(separator: "\n").first { $0.hasPrefix("parameters-sha256: ") }).dropFirst("parameters-sha256: ".count))\nact: approve 2\ntime: \(fields[2])\n"
            try TestSupport.write(statement, hsm.directory.appendingPathComponent("\(name).statement"))
            let signature = try #require(Data(base64Encoded: String(fields[5])))
            try TestSupport.write(Array(signature), hsm.directory.appendingPathComponent("\(name).sig"))
            let checked = try TestSupport.openssl(["dgst", "-sha256", "-verify", "\(name).pub", "-signature", "\(name).sig", "\(name).statement"], in: hsm.directory)
            #expect(checked.stdout.contains("Verified OK"), "\(name): \(checked.output)")
        }
        try cli.ok(["audit", "verify", "--domain", "UT"])
    }
}
