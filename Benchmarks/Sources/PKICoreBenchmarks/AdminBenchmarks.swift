// Section `admin`: Document Signer issuance through the administration API against issuance through the library,
// in the same run, on the same store and CSCA (P-256, software key).
//
//   * library: CountrySigningCA.issueDocumentSigner(subject: nil, key: .request(csr)) in a loop on one thread, the
//     PKCS#10 request parsed once before (each call: the request's signature checked, the certificate built and
//     signed, one store transaction with its audit entry, committed with fsync);
//   * API: `POST /v1/domains/UT/ds` with the same request (PEM) from `raw_https_load` (Sources/RawTLS): N
//     keep-alive TLS connections with an RA officer's client certificate, each posting again as soon as the
//     answer (201, the certificate) is read. Each request is what the service does for a line or an RA client:
//     the client key's officer looked up, the role checked and the authorization audited (its own transaction),
//     the PKCS#10 read and verified, the same issuance call.
// Rounds alternate library, API with 1 connection and API with 4; each side's best round is shown, with its
// latency percentiles (p99 of the API from a 10 µs histogram in the client).

import Administration
import CSCA
import Foundation
import PKICore
import RawTLS
import Store

enum AdminBenchmarks {
    struct Side {
        var rates: [Double] = []
        var p50: [Double] = []
        var p99: [Double] = []
        var best: (rate: Double, p50: Double, p99: Double)? {
            guard let index = rates.indices.max(by: { rates[$0] < rates[$1] }) else { return nil }
            return (rates[index], p50[index], p99[index])
        }
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let directory = try temporaryDirectory("epki-bench-admin")
        defer {
            if options.keep { log("  kept \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
        }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) throws {
            let result = try runProcess("/bin/sh", ["-c", "cd \"$0\" && exec openssl \"$@\"", directory.path] + arguments)
            guard result.status == 0 else { throw UsageError("openssl \(arguments.joined(separator: " ")): \(result.output)") }
        }
        // The server's certificate is its own CA for the client; the officer's is self-signed (the API names
        // officers by their public key, as enrolled).
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.pem",
                     "-subj", "/CN=127.0.0.1", "-days", "2", "-addext", "subjectAltName=IP:127.0.0.1"])
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "officer.key", "-out", "officer.pem",
                     "-subj", "/CN=RA officer", "-days", "2"])
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ds.key", "-out", "ds.csr",
                     "-subj", "/C=UT/O=Utopia/CN=Document Signer through the API"])

        let store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: CountrySigningCA.migrations)
        let keys = SoftwareKeyProvider(store: store, passphrase: Passphrase("admin benchmark passphrase"))
        let ca = try CountrySigningCA(store: store, domain: "UT", keys: keys)
        var policy = CSCAPolicy()
        policy.crlDistributionPoints = ["http://pkd.example/UT.crl"]
        _ = try ca.initialize(subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA Utopia"), key: .ec(.p256, parameters: .namedCurve), policy: policy)
        let now = Date()
        let administrator = try Governance.enrolFirst(store: store, domain: "UT", name: "admin", publicKey: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)).publicKey, now: now)
        let officerCertificate = try Certificate(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path("officer.pem")))))
        _ = try Governance.enrol(store: store, domain: "UT", name: "ra", roles: [.raOfficer], publicKey: try officerCertificate.publicKey, by: administrator, now: now)

        let csrPEM = try String(contentsOf: URL(fileURLWithPath: path("ds.csr")), encoding: .utf8)
        let csr = try CertificationRequest(bytes: Array(csrPEM.utf8))
        let request = "POST /v1/domains/UT/ds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkcs10\r\nContent-Length: \(csrPEM.utf8.count)\r\n\r\n\(csrPEM)"

        let serverChain = [try Certificate(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path("server.pem"))))).derEncoded]
        let serverKey = try PEM.decodeIfPEM(Array(try Data(contentsOf: URL(fileURLWithPath: path("server.key")))), label: "PRIVATE KEY")
        let service = AdministrationService(store: store, keys: keys)
        let port = SODServiceBenchmarks.PortHolder()
        let application = try service.application(host: "127.0.0.1", port: 0, certificateChain: serverChain, privateKeyPKCS8: serverKey,
                                                  onServerRunning: { bound in port.set(bound) })
        let server = Task { try await application.runService() }
        defer { server.cancel() }
        for _ in 0..<600 where port.value == nil { Thread.sleep(forTimeInterval: 0.05) }
        guard let bound = port.value else { throw UsageError("the administration API did not start") }

        let seconds = Double(options.roundSeconds)
        var library = Side()
        var api: [Int: Side] = [1: Side(), 4: Side()]
        var issuedBefore = try ca.certificates(kind: "ds").count
        for round in 1...options.rounds {
            log("  admin: round \(round)/\(options.rounds): library")
            var latencies: [Double] = []
            let start = monotonicSeconds()
            while monotonicSeconds() - start < seconds {
                let began = monotonicSeconds()
                let issued = try ca.issueDocumentSigner(subject: nil, key: .request(csr), documentTypes: nil)
                latencies.append(monotonicSeconds() - began)
                sink &+= issued.certificate.derEncoded.count
            }
            let elapsed = monotonicSeconds() - start
            latencies.sort()
            library.rates.append(Double(latencies.count) / elapsed)
            library.p50.append(latencies[latencies.count / 2])
            library.p99.append(latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))])
            for connections in [1, 4] {
                log("  admin: round \(round)/\(options.rounds): API, \(connections) connection(s)")
                let load = request.withCString { text in
                    raw_https_load("127.0.0.1", Int32(bound), path("server.pem"), path("officer.pem"), path("officer.key"), text, strlen(text), 201,
                                   Int32(connections), 0.5, seconds)
                }
                guard load.ok == 1, load.failures == 0, load.operations > 0 else {
                    throw UsageError("the API load failed: \(SODServiceBenchmarks.message(load)); \(load.failures) failures, first status \(load.status)")
                }
                api[connections, default: Side()].rates.append(Double(load.operations) / load.seconds)
                api[connections, default: Side()].p50.append(load.latencyP50)
                api[connections, default: Side()].p99.append(load.latencyP99)
            }
        }
        // Every answer was a certificate in the store: the API issued what it said.
        let issued = try ca.certificates(kind: "ds").count - issuedBefore
        issuedBefore = issued
        guard let libraryBest = library.best else { throw UsageError("no library round ran") }
        var lines = [
            "## admin: DS issuance through the administration API against the library",
            "",
            "P-256 CSCA with a software key; one store (SQLite, WAL, synchronous = FULL: every transaction waits for fsync). \(options.rounds) rounds × \(options.roundSeconds) s per side, alternating; best round of each side. The API side is `raw_https_load` (C, OpenSSL) posting the same PKCS#10 (PEM) over keep-alive mutual-TLS connections with an RA officer's certificate; its latencies come from a 10 µs histogram. \(issued) DS certificates were issued in all.",
            "",
            "| Path | Issued/s (best round) | p50 ms | p99 ms | Ratio to the library | Per-round rates |",
            "|---|---:|---:|---:|---:|---:|",
            "| library, `issueDocumentSigner(key: .request(csr))`, 1 thread | \(format(libraryBest.rate)) | \(String(format: "%.2f", libraryBest.p50 * 1e3)) | \(String(format: "%.2f", libraryBest.p99 * 1e3)) | 1 | \(library.rates.map(format).joined(separator: ", ")) |",
        ]
        for connections in [1, 4] {
            guard let side = api[connections], let best = side.best else { continue }
            lines.append("| API, `POST /v1/domains/UT/ds`, \(connections) connection(s) | \(format(best.rate)) | \(String(format: "%.2f", best.p50 * 1e3)) | \(String(format: "%.2f", best.p99 * 1e3)) | \(String(format: "%.3f", best.rate / libraryBest.rate)) | \(side.rates.map(format).joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n")
    }

    static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
