import CVC
import Foundation
import PKICore
import Testing
import TestSupport

/// The national TR-03129 CVCA service for a DV operator that runs apart from the CVCA: zeep, built from the RPC/literal
/// WSDL the service serves, asks CZ's CVCA for a domestic DV certificate, for the CA certificates, and — through
/// CZ's SPOC — for a certificate from SK's CVCA, once answered at once and once pushed later to the DV's callback
/// (a TLS endpoint written with Python's standard library).
@Suite(.serialized) struct TR03129ServiceTests {
    @Test func aDVOperatorApartFromTheCVCA() throws {
        let world = try SPOCWorld("epki-tr03129")
        defer { world.close() }
        let (base, cz, sk) = (world.base, world.cz, world.sk)
        try cz.register(sk, mode: "sync")
        try sk.register(cz, mode: "sync")

        // The DV operator: its own data directory with a DVCA only, and TLS credentials from CZ's SPOC CA.
        let dv = base.appendingPathComponent("dvb")
        try FileManager.default.createDirectory(at: dv, withIntermediateDirectories: true)
        try TestSupport.write("dv passphrase\n", dv.appendingPathComponent("pass"))
        func dvca(_ arguments: [String]) throws {
            let result = try TestSupport.run(TestSupport.epkiExecutable(), ["dvca"] + arguments + ["--data-dir", "data", "--passphrase-file", "pass"],
                                             currentDirectory: dv)
            guard result.status == 0 else { throw TestFailure("epki dvca \(arguments): \(result.output)") }
        }
        try dvca(["init", "--country", "CZ", "--mnemonic", "DVB"])
        let register = try TestSupport.run(TestSupport.epkiExecutable(), ["cvca", "register-foreign-cvca", cz.directory.appendingPathComponent("cvca.cvcert").path,
                                                                          sk.directory.appendingPathComponent("cvca.cvcert").path, "--data-dir", "data"],
                                           currentDirectory: dv)
        #expect(register.status == 0, "\(register.output)")
        let client = try cz.pki.issue(server: false, purposes: [SPOCTestPKI.clientAuth])
        let callbackServer = try cz.pki.issue(server: true, purposes: [SPOCTestPKI.serverAuth])
        for (name, issued) in [("client", client), ("callback", callbackServer)] {
            try TestSupport.write(issued.certificate.pemEncoded, dv.appendingPathComponent("\(name).pem"))
            try TestSupport.write(try SPOCTestPKI.plainPEM(issued.key), dv.appendingPathComponent("\(name).key"))
        }
        let callbackPort = try freePort()
        let received = dv.appendingPathComponent("received")
        try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)
        let callback = try Subprocess("/usr/bin/python3", [TestSupport.packageRoot.appendingPathComponent("Tests/SPOCTests/Peers/dv_callback.py").path, "\(callbackPort)",
                                                           dv.appendingPathComponent("callback.pem").path, dv.appendingPathComponent("callback.key").path, received.path],
                                      environment: ProcessInfo.processInfo.environment)
        defer { callback.signal(SIGTERM); _ = callback.wait() }
        try cz.waitFor("the DV's callback endpoint") { FileManager.default.fileExists(atPath: received.appendingPathComponent("ready").path) }
        try cz.ok(["spoc", "dv", "register", "--holder", "CZDVB", "--certificate", dv.appendingPathComponent("client.pem").path, "--root",
                   cz.directory.appendingPathComponent("root.pem").path, "--callback", "https://localhost:\(callbackPort)/dv"])
        try cz.start()
        try sk.start()

        func zeep(_ arguments: [String], key: String = "client", sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            let script = TestSupport.packageRoot.appendingPathComponent("Tests/SPOCTests/Peers/zeep_tr03129.py").path
            let result = try TestSupport.run("/usr/bin/python3", [script, "https://127.0.0.1:\(cz.port)/tr03129/cvca?wsdl",
                                                                  cz.directory.appendingPathComponent("root.pem").path,
                                                                  dv.appendingPathComponent("\(key).pem").path, dv.appendingPathComponent("\(key).key").path] + arguments,
                                             currentDirectory: dv)
            #expect(result.status == 0, "\(result.output)", sourceLocation: sourceLocation)
            return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? ["output": result.output]
        }
        func chrs(_ answer: [String: Any]) -> [String] {
            (answer["certificates"] as? [String] ?? []).compactMap { [UInt8](hex: $0) }.compactMap { try? CVCertificate(encoded: $0).chr }
        }

        // A domestic DV certificate from CZ's CVCA.
        try dvca(["request", "--cvca", "CZCVCA00001", "--out", "domestic.req"])
        let domestic = try zeep(["RequestCertificate", "DVB-1", "domestic.req"])
        #expect(domestic["returnCode"] as? String == "ok_cert_available" && chrs(domestic) == ["CZDVB00001", "CZCVCA00001"], "\(domestic)")
        let ca = try zeep(["GetCACertificates", "DVB-2"])
        #expect(ca["returnCode"] as? String == "ok_cert_available" && chrs(ca) == ["CZCVCA00001"], "\(ca)")

        // A certificate from SK's CVCA: CZ's CVCA countersigns the initial request and the SPOC forwards it; SK answers at once.
        try dvca(["request", "--cvca", "SKCVCA00001", "--initial", "--out", "foreign.req"])
        let foreign = try zeep(["RequestForeignCertificate", "DVB-3", "foreign.req", "SKCVCA00001"])
        #expect(foreign["returnCode"] as? String == "ok_cert_available" && chrs(foreign).first == "CZDVB00002", "\(foreign)")
        let skAudit = try sk.ok(["cvca", "list", "--source", "issued"])
        #expect(skAudit.contains("CZDVB00002"), "\(skAudit)")

        // Now SK queues: the DV hears ok_reception_ack, and the certificate reaches its callback after SK's approval.
        try sk.ok(["spoc", "register", "--country", "CZ", "--url", cz.url, "--root", cz.directory.appendingPathComponent("root.pem").path, "--mode", "async"])
        try dvca(["request", "--cvca", "SKCVCA00001", "--initial", "--out", "later.req"])
        let later = try zeep(["RequestForeignCertificate", "DVB-4", "later.req", "SKCVCA00001"])
        #expect(later["returnCode"] as? String == "ok_reception_ack", "\(later)")
        let queued = try sk.json(["spoc", "queue", "list"]) as? [[String: Any]] ?? []
        let id = try #require(queued.first?["id"] as? Int)
        try sk.ok(["spoc", "queue", "approve", "\(id)"])
        try cz.waitFor("the DV's callback") { FileManager.default.fileExists(atPath: received.appendingPathComponent("1.xml").path) }
        let pushed = try String(contentsOf: received.appendingPathComponent("1.xml"), encoding: .utf8)
        #expect(pushed.contains("DVB-4") && pushed.contains("ok_cert_available") && pushed.contains("uri:EAC-PKI-DV-Protocol/1.1"), "\(pushed)")
        let certificate = try #require(pushed.components(separatedBy: "<t:certificate>").dropFirst().first?.components(separatedBy: "<").first)
        #expect(try CVCertificate(encoded: Array(Data(base64Encoded: certificate) ?? Data())).chr == "CZDVB00003")

        // Another holder's request, and a client certificate that is no registered DV's.
        try dvca(["request", "--cvca", "CZCVCA00001", "--out", "own.req"])
        let stranger = try cz.pki.issue(server: false, purposes: [SPOCTestPKI.clientAuth])
        try TestSupport.write(stranger.certificate.pemEncoded, dv.appendingPathComponent("stranger.pem"))
        try TestSupport.write(try SPOCTestPKI.plainPEM(stranger.key), dv.appendingPathComponent("stranger.key"))
        let unregistered = try zeep(["RequestCertificate", "DVB-5", "own.req"], key: "stranger")
        // HTTP 401 with a SOAP fault: zeep reports the fault.
        #expect(unregistered["http"] as? Int == 401 || (unregistered["fault"] as? String ?? "").contains("is no registered DV's"), "\(unregistered)")
    }
}
