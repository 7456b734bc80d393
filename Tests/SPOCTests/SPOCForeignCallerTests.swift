import CVC
import Foundation
import PKICore
import Testing
import TestSupport

/// Our SPOC (CZ) as foreign callers meet it: zeep, a SOAP client nobody here wrote, built from the WSDL the server
/// serves, calls all four operations over mutual TLS in both namespaces; curl sends what a careless or hostile
/// caller might, and each is refused as the profile says.
@Suite(.serialized) struct SPOCForeignCallerTests {
    /// CZ serving, SK registered with it (sync), and SK's client credentials in the clear for the outside tools.
    final class Setup: @unchecked Sendable {
        let base: URL
        let crlServer: CRLServer
        let cz: SPOCCountry
        let sk: SPOCCountry
        let crls: URL

        init(_ label: String) throws {
            base = try TestSupport.temporaryDirectory(label)
            crls = base.appendingPathComponent("crl")
            try FileManager.default.createDirectory(at: crls, withIntermediateDirectories: true)
            crlServer = try CRLServer(directory: crls)
            cz = try SPOCCountry("CZ", in: base, crlDirectory: crls, crlPort: crlServer.port)
            sk = try SPOCCountry("SK", in: base, crlDirectory: crls, crlPort: crlServer.port)
            try cz.register(sk, mode: "sync")
            try sk.ok(["cvca", "register-foreign-cvca", cz.directory.appendingPathComponent("cvca.cvcert").path])
        }

        /// Writes a client certificate and its key in the clear (for curl and Python) and returns their paths.
        func credentials(_ name: String, _ issued: (certificate: Certificate, key: PrivateKey)) throws -> (String, String) {
            let certificate = base.appendingPathComponent("\(name).pem")
            let key = base.appendingPathComponent("\(name).key")
            try TestSupport.write(issued.certificate.pemEncoded, certificate)
            try TestSupport.write(try SPOCTestPKI.plainPEM(issued.key), key)
            return (certificate.path, key.path)
        }

        /// A new DV request of SK to CZ's CVCA, countersigned by SK's CVCA.
        func skRequest(_ name: String) throws -> URL {
            try sk.ok(["dvca", "request", "--cvca", "CZCVCA00001", "--initial", "--national-cvca", "--out", "\(name).req"])
            return sk.directory.appendingPathComponent("\(name).req")
        }

        func stop() {
            cz.stop()
            crlServer.stop()
            if ProcessInfo.processInfo.environment["EPKI_KEEP_TEST_FILES"] == nil { try? FileManager.default.removeItem(at: base) }
        }
    }

    static func zeep(_ setup: Setup, namespace: String?, credentials: (String, String), _ arguments: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let wsdl = "\(setup.cz.url)?wsdl" + (namespace.map { "&namespace=\($0)" } ?? "")
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/SPOCTests/Peers/zeep_spoc.py").path
        let result = try TestSupport.run("/usr/bin/python3", [script, wsdl, setup.cz.directory.appendingPathComponent("root.pem").path,
                                                              credentials.0, credentials.1, "SK"] + arguments)
        #expect(result.status == 0, "zeep \(arguments): \(result.output)", sourceLocation: sourceLocation)
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? ["output": result.output]
    }

    @Test func zeepCallsAllFourOperationsInBothNamespaces() throws {
        let setup = try Setup("epki-spoc-zeep")
        defer { setup.stop() }
        try setup.cz.start()
        let skClient = try setup.credentials("sk-client", setup.sk.pki.issue(server: false))

        for (round, namespace) in [nil, "csn"].enumerated() {
            let request = try setup.skRequest("dv\(round)")
            let issued = try Self.zeep(setup, namespace: namespace, credentials: skClient, ["RequestCertificate", "SK-rc-\(round)", request.path])
            #expect(issued["result"] as? String == "ok_cert_available", "\(namespace ?? "icao"): \(issued)")
            let certificates = (issued["certificates"] as? [String] ?? []).compactMap { [UInt8](hex: $0) }.compactMap { try? CVCertificate(encoded: $0) }
            #expect(certificates.first?.chr == "SKDV0000\(round + 1)" && certificates.first?.car == "CZCVCA00001", "\(certificates.map(\.chr))")
            #expect(certificates.dropFirst().map(\.chr) == ["CZCVCA00001"], "the DV certificate first, then the CVCA's: \(certificates.map(\.chr))")

            let ca = try Self.zeep(setup, namespace: namespace, credentials: skClient, ["GetCACertificates", "SK-ca-\(round)"])
            #expect(ca["result"] as? String == "ok_cert_available" && (ca["certificates"] as? [String])?.count == 1, "\(ca)")

            let message = try Self.zeep(setup, namespace: namespace, credentials: skClient,
                                        ["GeneralMessage", "SK-gm-\(round)", "Suspension of CVCA service", "Maintenance window \(round), 02:00–04:00 UTC."])
            #expect(message["result"] as? String == "ok", "\(message)")

            // A push for a messageID CZ never sent.
            let cvca = setup.cz.directory.appendingPathComponent("cvca.cvcert").path
            let push = try Self.zeep(setup, namespace: namespace, credentials: skClient, ["SendCertificates", "CZ-never-sent-\(round)", "ok_cert_available", cvca])
            #expect(push["result"] as? String == "failure_messageID_unknown", "\(push)")
        }
        let messages = try setup.cz.ok(["spoc", "messages"])
        #expect(messages.contains("from SK  Suspension of CVCA service") && messages.contains("Maintenance window 1"), "\(messages)")
        let log = try setup.cz.log()
        #expect(log.filter { $0["direction"] as? String == "in" }.count == 8, "\(log)")
        let issued = try setup.cz.ok(["cvca", "list", "--source", "issued"])
        #expect(issued.contains("SKDV00001") && issued.contains("SKDV00002"), "\(issued)")
    }
}
