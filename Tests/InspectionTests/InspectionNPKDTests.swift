import Foundation
import Inspection
import LDS
import ChipAccess
import NPKD
import PKICore
import Store
import Testing
import TestSupport
import VirtualChip

/// Passive authentication through the national PKD's store, as a border post runs it: the CSCA confirmed in the NPKD
/// makes the data genuine; its CRL revoking the DS makes it fail, naming the revocation; a CSCA the NPKD does not
/// hold leaves the data "not verified".
@Suite struct InspectionNPKDTests {
    static func npkd() throws -> (NationalPKD, URL) {
        let directory = try TestSupport.temporaryDirectory("epki-inspection-npkd")
        let store = try EPKIStore(directory: directory, migrations: NationalPKD.migrations)
        return (try NationalPKD(store: store, clock: TestDocument.clock), directory)
    }

    /// An NPKD that trusts `document`'s CSCA, served by `epki npkd serve`; the caller stops the server and removes
    /// the directory.
    static func served(_ document: TestDocument) throws -> (NationalPKD, URL, NPKDServer) {
        let (pkd, directory) = try npkd()
        try pkd.trust(document.csca)
        return (pkd, directory, try NPKDServer(dataDirectory: directory))
    }

    static func inspect(_ document: TestDocument, _ pkd: NationalPKD) throws -> InspectionReport {
        let system = InspectionSystem(password: .mrz(document.key),
                                      passiveAuthentication: PassiveAuthentication(trustSource: pkd.trustSource, clock: TestDocument.clock))
        return system.inspect(InProcessTransport(try document.chip()))
    }

    @Test func theNPKDsTrustDecides() throws {
        let document = try TestDocument()
        let (pkd, directory) = try Self.npkd()
        defer { try? FileManager.default.removeItem(at: directory) }

        // Not held: data not verified.
        let unknown = try Self.inspect(document, pkd)
        #expect(unknown.dataGenuine == .notChecked && unknown.summary == "data not verified", "\(unknown)")

        // Confirmed (bilaterally): genuine.
        try pkd.trust(document.csca, note: "received from Utopia's embassy")
        let trusted = try Self.inspect(document, pkd)
        #expect(trusted.summary == "genuine", "\(trusted)")

        // The CSCA's CRL revokes the DS: the data fails, naming the revocation.
        let crl = try CRLBuilder(issuer: document.csca.subject, thisUpdate: TestDocument.now.addingTimeInterval(-TestDocument.day),
                                 nextUpdate: TestDocument.now.addingTimeInterval(30 * TestDocument.day),
                                 authorityKeyIdentifier: document.cscaSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(1))
            .sign(entries: [try RevokedCertificate(serialNumber: Array(document.documentSigner.serialNumber),
                                                   revocationDate: TestDocument.now.addingTimeInterval(-2 * TestDocument.day))],
                  with: document.cscaSigner)
        _ = try pkd.importBytes(crl.derEncoded, source: "CRL of CSCA UT")
        let revoked = try Self.inspect(document, pkd)
        #expect(revoked.dataGenuine == .failed, "\(revoked)")
        #expect(revoked.steps.check(named: "PA DS revocation")?.status == .failed)
        #expect(revoked.summary == "data forged or damaged")
        #expect(revoked.chipGenuine == .passed)
    }
}

/// The NPKD's border control service in a process of its own (`epki npkd serve`) on the data directory an in-process
/// NationalPKD wrote, on a free loopback port. A process, not a task: the tests block while they wait for answers,
/// and an in-process service would need the same two threads of Swift's pool to answer.
final class NPKDServer {
    let process: Subprocess
    let url: URL

    init(dataDirectory: URL) throws {
        let output = dataDirectory.appendingPathComponent("serve.out")
        process = try Subprocess(try TestSupport.epkiExecutable(), ["npkd", "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDirectory.path],
                                 environment: ProcessInfo.processInfo.environment, standardOutput: output.path,
                                 standardError: dataDirectory.appendingPathComponent("serve.err").path)
        func received() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(30)
        while !received().contains("OpenAPI") && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let text = received()
        guard let port = text.split(separator: ":").last.flatMap({ $0.split(separator: ";").first }).flatMap({ Int($0) }),
              let url = URL(string: "http://127.0.0.1:\(port)") else {
            process.signal(SIGKILL)
            _ = process.wait()
            throw TestFailure("epki npkd serve did not start: \(text) \((try? String(contentsOf: dataDirectory.appendingPathComponent("serve.err"), encoding: .utf8)) ?? "")")
        }
        self.url = url
    }

    func stop() {
        process.signal(SIGKILL)
        _ = process.wait()
    }
}

/// Passive authentication by the NPKD's border control service over HTTP gives the verdicts the local store gives:
/// the same NPKD served on loopback, posted to with curl (a client nobody here wrote).
@Suite struct InspectionRemoteNPKDTests {
    static func curlPost(_ directory: URL) -> RemotePassiveAuthentication.Post {
        { url, body in
            let request = directory.appendingPathComponent("request-\(UUID().uuidString).json")
            let answer = directory.appendingPathComponent("answer-\(UUID().uuidString).json")
            try TestSupport.write(body, request)
            let result = try TestSupport.run("curl", ["-sS", "--max-time", TestSupport.inProcessServiceTimeout, "-o", answer.path, "-w", "%{http_code}", "-X", "POST",
                                                      "-H", "Content-Type: application/json", "--data-binary", "@\(request.path)", url.absoluteString])
            guard result.status == 0, let status = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestFailure("curl: \(result.output)")
            }
            return (status, Array(FileManager.default.contents(atPath: answer.path) ?? Data()))
        }
    }

    @Test func theServiceAndTheStoreAgree() throws {
        let document = try TestDocument()
        let (pkd, directory, server) = try InspectionNPKDTests.served(document)
        defer {
            server.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        let remote = RemotePassiveAuthentication(url: server.url, post: Self.curlPost(directory))
        let local = LocalPassiveAuthentication(PassiveAuthentication(trustSource: pkd.trustSource, clock: TestDocument.clock))

        var forged = try #require(document.dataGroups[2])
        forged[200] ^= 0x10
        for (chip, expected) in [(try document.chip(), "genuine"), (try document.chip(dataGroups: [2: forged]), "data forged or damaged")] {
            let viaService = InspectionSystem(password: .mrz(document.key), passiveAuthenticationService: remote).inspect(InProcessTransport(chip))
            chip.reset()
            let viaStore = InspectionSystem(password: .mrz(document.key), passiveAuthenticationService: local).inspect(InProcessTransport(chip))
            #expect(viaService.summary == expected, "\(viaService)")
            #expect(viaService.summary == viaStore.summary, "\(viaService)\n\(viaStore)")
            #expect(viaService.dataGenuine == viaStore.dataGenuine)
            let names = { (report: InspectionReport) in report.steps.checks.filter { $0.name.hasPrefix("PA ") && $0.status == .failed }.map(\.name) }
            #expect(names(viaService) == names(viaStore))
            #expect(viaService.steps.check(named: "passive authentication")?.detail.contains(server.url.absoluteString) == true)
        }
    }
}
