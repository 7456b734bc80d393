// Section `sod` (issue 14, item 4): the SOD signing service's signatures per second on loopback, with mutual TLS
// and concurrent clients, against raw signing with the same key in the same run.
//
// Setup, per DS key (ECDSA P-256, ECDSA brainpoolP256r1) and per setting of the re-check (verify after signing on,
// the service's default, and off): a fresh data directory with one registered line (no quota), a P-256 TLS server
// certificate and a P-256 line certificate made by `openssl req` around now, the CSCA and DS made with PKICore, and
// `SODSigningService.run` on 127.0.0.1 in this process (Swift concurrency on NIO's event loops when `sod` runs
// alone, as `epki sod serve` runs). One request is checked with curl first (200, EF.SOD). The body is a real request:
// document number, LDS 1.7, SHA-256, hashes of DG1, DG2, DG14 and DG15 in hex.
//
// Each round runs, one after the other:
//   * the raw side, `raw_sign_loop` (Sources/RawTLS): EVP_DigestSign (SHA-256 + ECDSA, a new EVP_MD_CTX per
//     signature) over a 104-byte message (the size of a SOD's signed attributes) with the DS key itself, on as many
//     threads as there are cores, for the round's seconds of wall time;
//   * the service side, `raw_https_load` (Sources/RawTLS): N threads, each one keep-alive TLS 1.3 connection with the
//     line's client certificate, posting the request again and again; only 200 answers count.
// Two ratios per round: wall (SODs per second answered ÷ raw signatures per second on all cores; the load generator
// runs on the same cores, as a line's client would not) and CPU (SODs per CPU-second of the service — the process's
// CPU time less the load threads' — ÷ raw signatures per CPU-second: the cost of a SOD against the cost of a
// signature). `openssl speed -elapsed -multi <cores>` of the same curve is printed once for scale.

import Foundation
import LDS
import PKICore
import RawTLS
import SODService
import Store

enum SODServiceBenchmarks {
    struct Case {
        let option: String
        let name: String
        let key: KeySpecification
        let speedAlgorithm: String
        let speedTarget: SpeedTarget
        let goal: Double
    }

    static let cases = [
        Case(option: "p256", name: "ECDSA P-256", key: .ec(.p256, parameters: .namedCurve), speedAlgorithm: "ecdsap256",
             speedTarget: .ecdsa(bits: 256, label: "nistp256"), goal: 0.7),
        Case(option: "brainpoolp256r1", name: "ECDSA brainpoolP256r1", key: .ec(.brainpoolP256r1, parameters: .namedCurve), speedAlgorithm: "ecdsabrp256r1",
             speedTarget: .ecdsa(bits: 256, label: "brainpoolP256r1"), goal: 0.9),
    ]

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let seconds = Double(options.roundSeconds)
        var rows: [String] = []
        var goals: [String] = []
        var notes: [String] = []
        for item in cases where options.sodKeys.contains(item.option) {
            let speed = try CoreBenchmarks.opensslRates(options, item.speedAlgorithm, item.speedTarget, base: .wall, multi: cores)
            notes.append("`openssl speed -elapsed -multi \(cores) \(item.speedAlgorithm)`: \(format(speed.sign)) sign/s")
            for recheck in options.sodRecheck {
                for connections in options.sodConnections {
                    let fixture = try Fixture(item, verifyAfterSigning: recheck, keep: options.keep)
                    defer { fixture.cleanUp() }
                    let label = "\(item.name), \(recheck ? "with" : "without") re-check, \(connections) connections"
                    var wall: [(service: Double, raw: Double)] = []
                    var cpu: [(service: Double, raw: Double)] = []
                    var latency: [Double] = []
                    var batchSizes: [Double] = []
                    var floor: (microseconds: Double, rate: Double)?
                    try fixture.serving { port in
                        try fixture.checkWithCurl(port: port)
                        for round in 1...options.rounds {
                            log("  \(label): round \(round)/\(options.rounds): raw EVP_DigestSign on \(cores) threads, then the service")
                            let raw = raw_sign_loop(fixture.keyPEM, Int32(cores), 104, 0.25, seconds)
                            guard raw.ok == 1 else { throw UsageError("raw signing failed: \(message(raw))") }
                            let before = fixture.service.metrics.batches
                            let cpuBefore = processCPUSeconds()
                            let load = fixture.request.withCString { request in
                                raw_https_load("127.0.0.1", Int32(port), fixture.path("tls-ca.pem"), fixture.path("line.pem"), fixture.path("line.key"),
                                               request, strlen(request), 200, Int32(connections), 0.5, seconds)
                            }
                            let serverCPU = processCPUSeconds() - cpuBefore - load.totalCPUSeconds
                            let after = fixture.service.metrics.batches
                            guard load.ok == 1, load.failures == 0, load.operations > 0 else {
                                throw UsageError("the load failed: \(message(load)); \(load.failures) failures, first status \(load.status)")
                            }
                            let signed = Double(after.documents - before.documents)
                            wall.append((Double(load.operations) / load.seconds, Double(raw.operations) / raw.seconds))
                            cpu.append((signed / max(serverCPU, 1e-9), Double(raw.operations) / max(raw.cpuSeconds, 1e-9)))
                            latency.append(load.latencySum / Double(load.operations) * 1000)
                            batchSizes.append(signed / Double(max(1, after.count - before.count)))
                            sink &+= Int(load.operations)
                        }
                        // Once, with the P-256 service: the refused request signs nothing, so the DS key does not matter.
                        if !recheck && item.option == "p256" {
                            floor = try fixture.floor(port: port, connections: connections, rounds: options.rounds, seconds: seconds)
                        }
                    }
                    let wallRow = Row(operation: "\(label): wall, SOD/s answered vs. raw sign/s on \(cores) threads", epki: wall.map(\.service), openssl: wall.map(\.raw))
                    let cpuRow = Row(operation: "\(label): CPU, SOD per service CPU-s vs. raw sign per CPU-s", epki: cpu.map(\.service), openssl: cpu.map(\.raw))
                    for row in [wallRow, cpuRow] {
                        rows.append("| \(row.operation) | \(format(row.bestEPKI)) | \(format(row.bestOpenSSL ?? 0)) | \(String(format: "%.3f", row.medianRatio ?? 0)) | \(row.ratioRange.map { String(format: "%.2f–%.2f", $0.0, $0.1) } ?? "—") |")
                    }
                    notes.append("\(label): mean latency \(String(format: "%.2f", latency.sorted()[latency.count / 2])) ms (median round), documents per batch \(String(format: "%.1f", batchSizes.sorted()[batchSizes.count / 2]))")
                    if !recheck, let median = cpu.map({ 1e6 / $0.service }).sorted().dropFirst(cpu.count / 2).first {
                        notes.append(String(format: "%@: %.0f µs of service CPU per SOD answered (median round), of which the raw signature %.0f µs",
                                            label, median, cpu.map { 1e6 / $0.raw }.sorted()[cpu.count / 2]))
                    }
                    if let measured = floor, !recheck {
                        notes.append(String(format: "The same requests with an invalid ldsVersion, refused with 400 by the checks before any signing or store work, %d connections: %.0f µs of service CPU per answer (median round; TLS, HTTP, routing, the JSON request read, the error answer). %.0f answers/s.",
                                            connections, measured.microseconds, measured.rate))
                        floor = nil
                    }
                    if !recheck && connections == options.sodConnections.first {
                        goals.append("\(item.name): wall \(String(format: "%.3f", wallRow.medianRatio ?? 0)), CPU \(String(format: "%.3f", cpuRow.medianRatio ?? 0)) (median), goal ≥ \(item.goal): wall \((wallRow.medianRatio ?? 0) >= item.goal ? "met" : "MISSED"), CPU \((cpuRow.medianRatio ?? 0) >= item.goal ? "met" : "MISSED")")
                    }
                }
            }
        }
        return ([
            "## sod: the SOD signing service on loopback with mutual TLS, against raw signing with the same key",
            "",
            "\(options.rounds) rounds × \(options.roundSeconds) s per side; per round the raw EVP_DigestSign loop on \(cores) threads, then the service under the load threads (keep-alive TLS 1.3, client certificate). Ratios are medians of the per-round ratios.",
            "",
            "| Measurement | Service SOD/s | Raw sign/s | Ratio (median of rounds) | Per-round ratios |",
            "|---|---:|---:|---:|---:|",
        ] + rows + ["", "```", "Goals (issue 14), without the re-check:"] + goals.map { "  " + $0 } + ["```", ""] + notes.map { "* " + $0 }).joined(separator: "\n")
    }

    static func message(_ result: raw_tls_result) -> String {
        withUnsafeBytes(of: result.error) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    final class Fixture: @unchecked Sendable {
        let directory: URL
        let service: SODSigningService
        let keyPEM: String
        let request: String
        let keep: Bool

        init(_ item: Case, verifyAfterSigning: Bool, keep: Bool) throws {
            self.keep = keep
            let base = try temporaryDirectory("epki-bench-sod")
            directory = base
            func openssl(_ arguments: [String]) throws {
                let result = try runProcess("/bin/sh", ["-c", "cd \"$0\" && exec openssl \"$@\"", base.path] + arguments)
                guard result.status == 0 else { throw UsageError("openssl \(arguments.joined(separator: " ")): \(result.output)") }
            }
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls-ca.key", "-out", "tls-ca.pem",
                         "-subj", "/CN=SOD benchmark CA", "-days", "2"])
            for name in ["server", "line"] {
                try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
                             "-subj", "/CN=\(name == "server" ? "127.0.0.1" : "line 1")"])
                try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: base.appendingPathComponent("\(name).ext"))
                try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "tls-ca.pem", "-CAkey", "tls-ca.key", "-CAcreateserial", "-out", "\(name).pem",
                             "-days", "2", "-extfile", "\(name).ext"])
            }
            let now = Date()
            let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
            let cscaName = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
            var cscaExtensions = Extensions()
            try cscaExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
            try cscaExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
            try cscaExtensions.append(SubjectKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
            let csca = try CertificateBuilder(issuer: cscaName, subject: cscaName, notBefore: now.addingTimeInterval(-86_400),
                                              notAfter: now.addingTimeInterval(3_650 * 86_400), subjectPublicKeyInfo: cscaSigner.publicKey.subjectPublicKeyInfo,
                                              extensions: cscaExtensions).sign(with: cscaSigner)
            let dsKey = try PrivateKey.generate(item.key)
            let ds = try issueDocumentSignerCertificate(issuer: cscaName, issuerKeyIdentifier: try cscaSigner.publicKey.keyIdentifier,
                                                        subject: DistinguishedName(parsing: dsName), subjectKey: dsKey.publicKey, signer: cscaSigner,
                                                        now: now.addingTimeInterval(-86_400))
            try Data(csca.pemEncoded.utf8).write(to: directory.appendingPathComponent("csca.pem"))
            keyPEM = PEM.encode(try dsKey.plainPKCS8ForSealing(), label: "PRIVATE KEY")

            let store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: SigningLines.migrations)
            let lines = SigningLines(store: store)
            let linePEM = try Data(contentsOf: directory.appendingPathComponent("line.pem"))
            try lines.add(name: "line-1", certificate: try Certificate(bytes: Array(linePEM)), quota: nil)
            service = try SODSigningService(lines: lines, documentSigner: DocumentSignerConfiguration(
                signer: SoftwareSigner(key: dsKey), certificate: ds, verifyAfterSigning: verifyAfterSigning))

            var hashes: [String] = []
            for number in [1, 2, 14, 15] {
                let digest = try HashAlgorithm.sha256.hash(Array("DG\(number) of the benchmark document".utf8))
                hashes.append("\"\(number)\": \"\(digest.map { String(format: "%02x", $0) }.joined())\"")
            }
            let body = "{\"documentNumber\": \"L898902C3\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {\(hashes.joined(separator: ", "))}}"
            request = "POST /v1/sod/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try Data(body.utf8).write(to: directory.appendingPathComponent("request.json"))
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        /// The service's cost of a request it refuses with 400 before any signing or store work (ldsVersion 9.9):
        /// service CPU per answer, median of `rounds` rounds, and the answers per second.
        func floor(port: Int, connections: Int, rounds: Int, seconds: Double) throws -> (microseconds: Double, rate: Double) {
            let refused = request.replacingOccurrences(of: "\"ldsVersion\": \"1.7\"", with: "\"ldsVersion\": \"9.9\"")
            guard refused != request else { throw UsageError("the floor request was not made") }
            var costs: [Double] = [], rates: [Double] = []
            for round in 1...rounds {
                log("  refused requests (the floor): round \(round)/\(rounds)")
                let cpuBefore = processCPUSeconds()
                let load = refused.withCString { text in
                    raw_https_load("127.0.0.1", Int32(port), path("tls-ca.pem"), path("line.pem"), path("line.key"), text, strlen(text), 400,
                                   Int32(connections), 0.5, seconds)
                }
                let serverCPU = processCPUSeconds() - cpuBefore - load.totalCPUSeconds
                guard load.ok == 1, load.failures == 0, load.operations > 0 else {
                    throw UsageError("the floor load failed: \(SODServiceBenchmarks.message(load)); \(load.failures) failures, first status \(load.status)")
                }
                // The warm-up's answers count too: the service's CPU covers them, so divide by all of them.
                let answered = Double(load.operations) * (seconds + 0.5) / seconds
                costs.append(serverCPU / answered * 1e6)
                rates.append(Double(load.operations) / load.seconds)
            }
            return (costs.sorted()[costs.count / 2], rates.sorted()[rates.count / 2])
        }

        func cleanUp() {
            if keep { log("  kept \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
        }

        func serving(_ body: (Int) throws -> Void) throws {
            let port = PortHolder()
            let tls = try TLSSettings(certificatePath: path("server.pem"), keyPath: path("server.key"))
            let service = self.service
            let server = Task { try await service.run(host: "127.0.0.1", port: 0, tls: tls, onServerRunning: { bound in port.set(bound) }) }
            defer { server.cancel() }
            for _ in 0..<600 where port.value == nil { Thread.sleep(forTimeInterval: 0.05) }
            guard let bound = port.value else { throw UsageError("the SOD service did not start") }
            try body(bound)
        }

        func checkWithCurl(port: Int) throws {
            let result = try runProcess("curl", ["-sS", "--max-time", "30", "--cacert", path("tls-ca.pem"), "--cert", path("line.pem"), "--key", path("line.key"),
                                                 "-H", "Content-Type: application/json", "--data-binary", "@\(path("request.json"))", "-o", path("check.sod"),
                                                 "-w", "%{http_code}", "https://127.0.0.1:\(port)/v1/sod/sign"])
            let sod = (try? Data(contentsOf: directory.appendingPathComponent("check.sod"))).map(Array.init) ?? []
            guard result.output == "200", (try? EFSOD(bytes: sod))?.securityObject.dataGroupNumbers.sorted() == [1, 2, 14, 15] else {
                throw UsageError("the service's check answer is not an EF.SOD: \(result.output)")
            }
        }
    }

    final class PortHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var port: Int?
        func set(_ value: Int) { lock.withLock { port = value } }
        var value: Int? { lock.withLock { port } }
    }
}
