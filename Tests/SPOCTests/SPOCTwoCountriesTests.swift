import CVC
import Foundation
import PKICore
import Testing
import TestSupport

/// Two countries on one machine, each with its own data directory, port, SPOC CA and `epki spoc serve`: CZ's DVCA
/// obtains DV certificates from SK's CVCA through both SPOCs, synchronously and asynchronously, and issues with one
/// an inspection-system certificate that OpenPACE's cvc-print verifies up to SK's CVCA.
@Suite(.serialized) struct SPOCTwoCountriesTests {
    @Test func aDVCertificateCrossesTheBorderSyncThenAsyncThroughAKill() throws {
        let world = try SPOCWorld("epki-spoc-two")
        defer { world.close() }
        let (cz, sk) = (world.cz, world.sk)
        try cz.register(sk, mode: "sync")
        try sk.register(cz, mode: "sync")
        try cz.start()
        try sk.start()

        // Synchronous: the answer carries the DV certificate, and CZ's DVCA imports it under SK's CVCA.
        let first = try cz.json(["spoc", "request", "--to", "SK"]) as? [String: Any] ?? [:]
        #expect(first["result"] as? String == "ok_cert_available", "\(first)")
        #expect(first["chr"] as? String == "CZDV00001")
        let chains = try cz.dvChains()
        #expect(chains.contains(["SKCVCA00001", "CZDV00001"]), "\(chains)")
        let skIssued = try sk.ok(["cvca", "list"])
        #expect(skIssued.contains("CZDV00001"), "\(skIssued)")

        // With it, CZ's DVCA issues an inspection-system certificate that SK's chips would accept.
        try cz.ok(["key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", "is.pem", "--passphrase-file", "pass"])
        try cz.ok(["cvc", "request", "--key", "is.pem", "--chr", "CZBORDER00001", "--car", "CZDV00001", "--algorithm", "ecdsa-sha256",
                   "--out", "is.req", "--passphrase-file", "pass"])
        try cz.ok(["dvca", "issue-terminal", "is.req", "--dv", "CZDV00001", "--rights", "DG3,DG4", "--out", "is.cvcert", "--chain-dir", "trust"])
        let printed = try TestSupport.run("cvc-print", ["--cvc=is.cvcert", "--cvc-dir=trust"], currentDirectory: cz.directory)
        #expect(printed.stdout.split(separator: "\n").contains("certificate verified"), "\(printed.output)")
        let terminal = try CVCertificate(encoded: TestSupport.read(cz.directory.appendingPathComponent("is.cvcert")))
        let anchor = try CVCertificate(encoded: TestSupport.read(sk.directory.appendingPathComponent("cvca.cvcert")))
        let dv = try CVCertificate(encoded: TestSupport.read(cz.directory.appendingPathComponent("trust/CZDV00001")))
        let chain = CVChainVerifier(clock: SystemClock()).verify(terminal, pool: CVCertificatePool([anchor, dv, terminal]))
        #expect(chain.isValid, "\(chain)")

        // Asynchronous: SK now queues CZ's requests for an operator.
        try sk.ok(["spoc", "register", "--country", "CZ", "--url", cz.url, "--root", cz.directory.appendingPathComponent("root.pem").path, "--mode", "async"])
        let second = try cz.json(["spoc", "request", "--to", "SK"]) as? [String: Any] ?? [:]
        #expect(second["result"] as? String == "ok_reception_ack", "\(second)")
        let messageID = try #require(second["messageID"] as? String)
        let queued = try sk.json(["spoc", "queue", "list"]) as? [[String: Any]] ?? []
        #expect(queued.count == 1 && queued.first?["chr"] as? String == "CZDV00002", "\(queued)")
        let id = try #require(queued.first?["id"] as? Int)

        // SK's server runs with a long outbox pause: it is killed after the approval and before any delivery.
        sk.stop()
        try sk.start(outboxInterval: 3_600)
        usleep(300_000)
        try sk.ok(["spoc", "queue", "approve", "\(id)"])
        let pending = try sk.json(["spoc", "outbox"]) as? [[String: Any]] ?? []
        #expect(pending.first?["state"] as? String == "pending" && pending.first?["attempts"] as? Int == 0, "\(pending)")
        sk.stop(signal: SIGKILL)
        try sk.start()
        try cz.waitFor("the pushed DV certificate") { try cz.dvChains().contains(["SKCVCA00001", "CZDV00002"]) }
        try sk.waitFor("the outbox entry marked delivered") {
            (try sk.json(["spoc", "outbox"]) as? [[String: Any]])?.first?["state"] as? String == "delivered"
        }
        let delivered = try sk.json(["spoc", "outbox"]) as? [[String: Any]] ?? []
        #expect(delivered.count == 1 && delivered.first?["attempts"] as? Int == 1, "delivered once: \(delivered)")
        let pushes = try cz.log().filter { $0["direction"] as? String == "in" && $0["operation"] as? String == "SendCertificates" && $0["messageID"] as? String == messageID }
        #expect(pushes.count == 1 && pushes.first?["result"] as? String == "ok_received_correctly", "\(pushes)")
        let outbound = try cz.log().filter { $0["direction"] as? String == "out" && $0["messageID"] as? String == messageID }
        #expect(outbound.first?["result"] as? String == "ok_reception_ack", "\(outbound)")

        // A new CVCA key at SK is announced to every registered SPOC; CZ registers the link certificate.
        try sk.ok(["cvca", "link"])
        try cz.waitFor("the announced link certificate") {
            try cz.log().contains { $0["operation"] as? String == "SendCertificates" && ($0["detail"] as? String ?? "").contains("registered link SKCVCA00001 → SKCVCA00002") }
        }
        let registered = try cz.ok(["cvca", "list", "--source", "foreign"])
        #expect(registered.contains("SKCVCA00002"), "\(registered)")
        let audit = try sk.ok(["audit", "verify"])
        #expect(audit.contains("chain intact"), "\(audit)")
    }
}

extension SPOCTwoCountriesTests {
    /// Our side as a client: GeneralMessage to all and GetCACertificates through the CLI, and the checks on the
    /// foreign server's certificate — a root that is not the registered one, and a host its certificate does not
    /// name, each stop the call before a message is sent.
    @Test func ourClientChecksTheForeignServer() throws {
        let world = try SPOCWorld("epki-spoc-client")
        defer { world.close() }
        let (cz, sk) = (world.cz, world.sk)
        try cz.register(sk, mode: "sync", namespace: "csn")
        try sk.register(cz, mode: "sync")
        try sk.start()

        let sent = try cz.ok(["spoc", "message", "--to", "all", "--subject", "Reactivation of SPOC service", "--body", "Back after maintenance."])
        #expect(sent.contains("SK: ok"), "\(sent)")
        let received = try sk.ok(["spoc", "messages"])
        #expect(received.contains("from CZ  Reactivation of SPOC service"), "\(received)")
        let ca = try cz.ok(["spoc", "get-ca", "--from", "SK", "--out-dir", "."])
        #expect(ca.contains("SK: ok_cert_available, 1 certificate(s)") && ca.contains("SKCVCA00001"), "\(ca)")
        #expect(FileManager.default.fileExists(atPath: cz.directory.appendingPathComponent("SKCVCA00001.cvcert").path))

        // A root that is not SK's registered one: our client refuses SK's server certificate.
        let impostor = try SPOCTestPKI(country: "SK", crlURL: sk.pki.crlURL)
        try TestSupport.write(impostor.root.pemEncoded, cz.directory.appendingPathComponent("impostor-root.pem"))
        try cz.ok(["spoc", "register", "--country", "SK", "--url", sk.url, "--root", "impostor-root.pem", "--mode", "sync"])
        let refused = try cz.run(["spoc", "get-ca", "--from", "SK"])
        #expect(refused.status != 0 && refused.stderr.contains("does not chain to the SPOC root registered for SK"), "\(refused.output)")

        // The registered root again, but reached as spoc.localhost (the loopback, RFC 6761), a name its certificate does not carry.
        try cz.ok(["spoc", "register", "--country", "SK", "--url", "https://spoc.localhost:\(sk.port)/spoc", "--root",
                   sk.directory.appendingPathComponent("root.pem").path, "--mode", "sync"])
        let wrongHost = try cz.run(["spoc", "get-ca", "--from", "SK"])
        #expect(wrongHost.status != 0 && wrongHost.stderr.contains("not the SPOC's host spoc.localhost"), "\(wrongHost.output)")
        let log = try cz.log().filter { $0["direction"] as? String == "out" && $0["result"] as? String == "not delivered" }
        #expect(log.count == 2, "\(log)")
        let skLog = try sk.log().filter { $0["operation"] as? String == "GetCACertificates" }
        #expect(skLog.count == 1, "only the first GetCACertificates reached SK: \(skLog)")
    }
}
