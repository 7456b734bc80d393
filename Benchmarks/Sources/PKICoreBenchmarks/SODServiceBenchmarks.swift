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
// The service side runs three times per round against that round's raw rate: one document per request
// (`POST /v1/sod/sign`), then 16 and 64 documents per request (`POST /v1/sod/sign-batch`, the same document's hashes
// under distinct document numbers); a batch row counts only SODs handed out (signed and recorded), and fails if any
// document of a 200 answer was refused. After the rows without the re-check, `costSplit` runs the parts of a SOD's
// cost that can be run alone on one thread (the signature, the SOD around it, the re-check, the request's JSON, the
// answer's encoding, the recording) and sets them against the service CPU per SOD measured at 64 per request.
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

    /// Documents per request of the `POST /v1/sod/sign-batch` rows (the single-document rows use `/v1/sod/sign`).
    static let batchSizes = [16, 64]

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let seconds = Double(options.roundSeconds)
        let shapes = [1] + batchSizes
        var rows: [String] = []
        var goals: [String] = []
        var notes: [String] = []
        var splits: [String] = []
        for item in cases where options.sodKeys.contains(item.option) {
            let speed = try CoreBenchmarks.opensslRates(options, item.speedAlgorithm, item.speedTarget, base: .wall, multi: cores)
            notes.append("`openssl speed -elapsed -multi \(cores) \(item.speedAlgorithm)`: \(format(speed.sign)) sign/s")
            for recheck in options.sodRecheck {
                for connections in options.sodConnections {
                    let fixture = try Fixture(item, verifyAfterSigning: recheck, keep: options.keep)
                    defer { fixture.cleanUp() }
                    let setting = "\(item.name), \(recheck ? "with" : "without") re-check, \(connections) connections"
                    func label(_ shape: Int) -> String { shape == 1 ? setting : "\(setting) × \(shape) documents per request (sign-batch)" }
                    var wall: [Int: [(service: Double, raw: Double)]] = [:]
                    var cpu: [Int: [(service: Double, raw: Double)]] = [:]
                    var latency: [Int: [Double]] = [:]
                    var batchSizes: [Int: [Double]] = [:]
                    var floor: (microseconds: Double, rate: Double)?
                    try fixture.serving { port in
                        try fixture.checkWithCurl(port: port)
                        for shape in Self.batchSizes { try fixture.checkBatchWithCurl(port: port, documents: shape) }
                        for round in 1...options.rounds {
                            // One raw measurement per round, the reference of every row of the round.
                            log("  \(setting): round \(round)/\(options.rounds): raw EVP_DigestSign on \(cores) threads, then the service with 1, \(Self.batchSizes.map(String.init).joined(separator: ", ")) documents per request")
                            let raw = raw_sign_loop(fixture.keyPEM, Int32(cores), 104, 0.25, seconds)
                            guard raw.ok == 1 else { throw UsageError("raw signing failed: \(message(raw))") }
                            for shape in shapes {
                                let request = fixture.httpRequest(documents: shape)
                                let before = fixture.service.metrics.batches
                                let signaturesBefore = fixture.service.metrics.signatures
                                let cpuBefore = processCPUSeconds()
                                let load = request.withCString { text in
                                    raw_https_load("127.0.0.1", Int32(port), fixture.path("tls-ca.pem"), fixture.path("line.pem"), fixture.path("line.key"),
                                                   text, strlen(text), 200, Int32(connections), 0.5, seconds)
                                }
                                let serverCPU = processCPUSeconds() - cpuBefore - load.totalCPUSeconds
                                let after = fixture.service.metrics.batches
                                guard load.ok == 1, load.failures == 0, load.operations > 0 else {
                                    throw UsageError("the load failed: \(message(load)); \(load.failures) failures, first status \(load.status)")
                                }
                                let signed = Double(after.documents - before.documents)
                                // A batch answer is 200 even with documents refused inside: count only SODs handed out.
                                guard fixture.service.metrics.signatures - signaturesBefore == after.documents - before.documents else {
                                    throw UsageError("\(label(shape)): \(after.documents - before.documents) documents signed but \(fixture.service.metrics.signatures - signaturesBefore) handed out")
                                }
                                wall[shape, default: []].append((Double(load.operations) * Double(shape) / load.seconds, Double(raw.operations) / raw.seconds))
                                cpu[shape, default: []].append((signed / max(serverCPU, 1e-9), Double(raw.operations) / max(raw.cpuSeconds, 1e-9)))
                                latency[shape, default: []].append(load.latencySum / Double(load.operations) * 1000)
                                batchSizes[shape, default: []].append(signed / Double(max(1, after.count - before.count)))
                                sink &+= Int(load.operations)
                            }
                        }
                        // Once, with the P-256 service: the refused request signs nothing, so the DS key does not matter.
                        if !recheck && item.option == "p256" {
                            floor = try fixture.floor(port: port, connections: connections, rounds: options.rounds, seconds: seconds)
                        }
                    }
                    var perSOD: [Int: Double] = [:]
                    for shape in shapes {
                        let wallRuns = wall[shape] ?? [], cpuRuns = cpu[shape] ?? []
                        let wallRow = Row(operation: "\(label(shape)): wall, SOD/s answered vs. raw sign/s on \(cores) threads", epki: wallRuns.map(\.service), openssl: wallRuns.map(\.raw))
                        let cpuRow = Row(operation: "\(label(shape)): CPU, SOD per service CPU-s vs. raw sign per CPU-s", epki: cpuRuns.map(\.service), openssl: cpuRuns.map(\.raw))
                        for row in [wallRow, cpuRow] {
                            rows.append("| \(row.operation) | \(format(row.bestEPKI)) | \(format(row.bestOpenSSL ?? 0)) | \(String(format: "%.3f", row.medianRatio ?? 0)) | \(row.ratioRange.map { String(format: "%.2f–%.2f", $0.0, $0.1) } ?? "—") |")
                        }
                        let latencies = (latency[shape] ?? [0]).sorted(), sizes = (batchSizes[shape] ?? [0]).sorted()
                        notes.append("\(label(shape)): mean latency \(String(format: "%.2f", latencies[latencies.count / 2])) ms per request (median round), documents per signing batch \(String(format: "%.1f", sizes[sizes.count / 2]))")
                        let costs = cpuRuns.map { 1e6 / $0.service }.sorted()
                        if let median = costs.dropFirst(costs.count / 2).first {
                            perSOD[shape] = median
                            notes.append(String(format: "%@: %.0f µs of service CPU per SOD answered (median round), of which the raw signature %.0f µs",
                                                label(shape), median, cpuRuns.map { 1e6 / $0.raw }.sorted()[cpuRuns.count / 2]))
                        }
                        if connections == options.sodConnections.first {
                            goals.append("\(label(shape)): wall \(String(format: "%.3f", wallRow.medianRatio ?? 0)), CPU \(String(format: "%.3f", cpuRow.medianRatio ?? 0)) (median)" + (recheck ? " (with the re-check; the goal is read without it)" : ", goal ≥ \(item.goal): wall \((wallRow.medianRatio ?? 0) >= item.goal ? "met" : "MISSED"), CPU \((cpuRow.medianRatio ?? 0) >= item.goal ? "met" : "MISSED")"))
                        }
                    }
                    // Service CPU per SOD as a + b/N over the two batch sizes: b the cost of a request, a the cost of a document in it.
                    if let small = Self.batchSizes.first, let large = Self.batchSizes.last, small != large, let cSmall = perSOD[small], let cLarge = perSOD[large] {
                        let perRequest = (cSmall - cLarge) / (1 / Double(small) - 1 / Double(large))
                        let perDocument = cLarge - perRequest / Double(large)
                        notes.append(String(format: "%@: from the %d- and %d-document rows, service CPU per request %.0f µs + per document %.0f µs (single requests measured: %.0f µs each)",
                                            setting, small, large, perRequest, perDocument, perSOD[1] ?? 0))
                    }
                    if let measured = floor, !recheck {
                        notes.append(String(format: "The same requests with an invalid ldsVersion, refused with 400 by the checks before any signing or store work, %d connections: %.0f µs of service CPU per answer (median round; TLS, HTTP, routing, the JSON request read, the error answer). %.0f answers/s.",
                                            connections, measured.microseconds, measured.rate))
                        floor = nil
                    }
                    if !recheck && connections == options.sodConnections.first {
                        splits += try fixture.costSplit(item: item, measuredPerSOD: perSOD[Self.batchSizes.last ?? 1], documents: Self.batchSizes.last ?? 1,
                                                        seconds: min(1.0, max(0.2, seconds / 5)))
                    }
                }
            }
        }
        return ([
            "## sod: the SOD signing service on loopback with mutual TLS, against raw signing with the same key",
            "",
            "\(options.rounds) rounds × \(options.roundSeconds) s per side; per round the raw EVP_DigestSign loop on \(cores) threads, then the service under the load threads (keep-alive TLS 1.3, client certificate), one document per request (`POST /v1/sod/sign`) and then \(Self.batchSizes.map(String.init).joined(separator: " and ")) per request (`POST /v1/sod/sign-batch`), all against that round's raw rate. Ratios are medians of the per-round ratios.",
            "",
            "| Measurement | Service SOD/s | Raw sign/s | Ratio (median of rounds) | Per-round ratios |",
            "|---|---:|---:|---:|---:|",
        ] + rows + ["", "```", "Goals (issue 14), without the re-check:"] + goals.map { "  " + $0 } + ["```", ""] + notes.map { "* " + $0 }
          + ["", "Where a SOD's CPU goes, measured in process on one thread (CPU time per document, median of 3 interleaved passes):", ""] + splits).joined(separator: "\n")
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
        let dsSigner: SoftwareSigner
        let documentSigner: Certificate
        let lines: SigningLines
        let lineFingerprint: String
        /// The DG1, DG2, DG14 and DG15 hashes of the request, hex, as `"1": "…"` members.
        let hashMembers: String
        let hashes: [Int: [UInt8]]

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
            lines = SigningLines(store: store)
            let linePEM = try Data(contentsOf: directory.appendingPathComponent("line.pem"))
            lineFingerprint = try lines.add(name: "line-1", certificate: try Certificate(bytes: Array(linePEM)), quota: nil).fingerprint
            dsSigner = SoftwareSigner(key: dsKey)
            documentSigner = ds
            service = try SODSigningService(lines: lines, documentSigner: DocumentSignerConfiguration(
                signer: dsSigner, certificate: ds, verifyAfterSigning: verifyAfterSigning))

            var members: [String] = []
            var hashes: [Int: [UInt8]] = [:]
            for number in [1, 2, 14, 15] {
                let digest = try HashAlgorithm.sha256.hash(Array("DG\(number) of the benchmark document".utf8))
                hashes[number] = digest
                members.append("\"\(number)\": \"\(digest.map { String(format: "%02x", $0) }.joined())\"")
            }
            self.hashes = hashes
            hashMembers = members.joined(separator: ", ")
            let body = "{\"documentNumber\": \"L898902C3\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {\(hashMembers)}}"
            request = "POST /v1/sod/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try Data(body.utf8).write(to: directory.appendingPathComponent("request.json"))
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        /// The body of `POST /v1/sod/sign-batch` with `documents` documents (numbers L00000001, …), each with the
        /// single request's hashes.
        func batchBody(documents: Int) -> String {
            let items = (1...documents).map { index in
                "{\"documentNumber\": \"L\(String(format: "%08d", index))\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {\(hashMembers)}}"
            }
            return "{\"documents\": [\(items.joined(separator: ", "))]}"
        }

        /// The HTTP request the load threads send: the single request for 1 document, a batch otherwise.
        func httpRequest(documents: Int) -> String {
            guard documents > 1 else { return request }
            let body = batchBody(documents: documents)
            return "POST /v1/sod/sign-batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }

        /// One batch through curl: 200, and as many EF.SOD as documents, each with the four data groups.
        func checkBatchWithCurl(port: Int, documents: Int) throws {
            try Data(batchBody(documents: documents).utf8).write(to: directory.appendingPathComponent("batch.json"))
            let result = try runProcess("curl", ["-sS", "--max-time", "60", "--cacert", path("tls-ca.pem"), "--cert", path("line.pem"), "--key", path("line.key"),
                                                 "-H", "Content-Type: application/json", "--data-binary", "@\(path("batch.json"))", "-o", path("check-batch.json"),
                                                 "-w", "%{http_code}", "https://127.0.0.1:\(port)/v1/sod/sign-batch"])
            let answer = (try? Data(contentsOf: directory.appendingPathComponent("check-batch.json"))) ?? Data()
            let results = ((try? JSONSerialization.jsonObject(with: answer)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
            let sods = results.compactMap { ($0["sod"] as? String).flatMap { Data(base64Encoded: $0) }.flatMap { try? EFSOD(bytes: Array($0)) } }
            guard result.output == "200", results.count == documents, sods.count == documents,
                  sods.allSatisfy({ $0.securityObject.dataGroupNumbers.sorted() == [1, 2, 14, 15] }) else {
                throw UsageError("the service's check batch of \(documents) did not give \(documents) EF.SOD: \(result.output) \(String(decoding: answer.prefix(300), as: UTF8.self))")
            }
        }

        /// The parts of a SOD's cost that can be run alone, on this thread, against the service's measured CPU per SOD
        /// (`documents` per request): the signature, the SOD around it, the re-check, the request's JSON, the answer's
        /// encoding, and the recording (audit entry and quota count, `documents` per transaction).
        func costSplit(item: Case, measuredPerSOD: Double?, documents: Int, seconds: Double) throws -> [String] {
            let message = Array(repeating: UInt8(0x5A), count: 104)
            let algorithm = dsSigner.defaultAlgorithm
            let plain = try SODSigner(signer: dsSigner, documentSigner: documentSigner, verifyAfterSigning: false)
            let sample = try plain.sign(dataGroupHashes: hashes)
            let sampleBytes = try sample.encode()
            let body = Array(batchBody(documents: documents).utf8)
            let facts = SigningLines.SignerFacts(fingerprint: "00", serial: "01", subject: "CN=DS 1")
            let signatures = (1...documents).map { index in
                SigningLines.Signature(lineFingerprint: lineFingerprint, documentNumber: "S\(index)", sodDigest: String(repeating: "ab", count: 32),
                                       hash: .sha256, dataGroups: [1, 2, 14, 15])
            }
            var sink = 0
            // Each part: (name, documents per call, the call).
            let parts: [(String, Int, () throws -> Void)] = [
                ("the ECDSA signature (`SoftwareSigner.sign`, 104 bytes)", 1, { sink &+= try self.dsSigner.sign(message, algorithm: algorithm).count }),
                ("the SOD signed and encoded (`SODSigner.sign(dataGroupHashes:)` + `encode()`, the signature included)", 1,
                 { sink &+= try plain.sign(dataGroupHashes: self.hashes).encode().count }),
                ("the re-check (`SODSigner.verify`: the SOD read back, its signature verified)", 1, { try plain.verify(sample, dataGroupHashes: self.hashes) }),
                ("the request's JSON read and checked (`SignBatchRequest`, per document)", documents, { sink &+= try SignBatchRequest(json: body).documents.count }),
                ("the answer's SOD: SHA-256 in hex, base64", 1, {
                    sink &+= try HashAlgorithm.sha256.hash(sampleBytes).count
                    sink &+= Data(sampleBytes).base64EncodedData().count
                }),
                ("the recording: audit entry and quota count, \(documents) per transaction (CPU of this thread; the commit's fsync is a wait)", documents,
                 { sink &+= try self.lines.record(signatures, signer: facts).count }),
            ]
            var costs = [[Double]](repeating: [], count: parts.count)
            var recordWall: [Double] = []
            for _ in 0..<3 {
                for (index, part) in parts.enumerated() {
                    var calls = 0
                    let cpuStart = threadCPUSeconds()
                    let wallStart = Date()
                    repeat {
                        try part.2()
                        calls += 1
                    } while threadCPUSeconds() - cpuStart < seconds
                    costs[index].append((threadCPUSeconds() - cpuStart) / Double(calls * part.1) * 1e6)
                    if index == parts.count - 1 { recordWall.append(Date().timeIntervalSince(wallStart) / Double(calls * part.1) * 1e6) }
                }
            }
            let medians = costs.map { $0.sorted()[$0.count / 2] }
            var lines = ["| \(item.name), µs per document | |", "|---|---:|"]
            for (part, cost) in zip(parts, medians) { lines.append("| \(part.0) | \(String(format: "%.1f", cost)) |") }
            lines.append("| the recording's wall time per document (fsync included) | \(String(format: "%.1f", recordWall.sorted()[1])) |")
            // Without the re-check: the SOD (signature included), the JSON read, the answer, the recording.
            let known = medians[1] + medians[3] + medians[4] + medians[5]
            if let measuredPerSOD {
                lines.append("| service CPU per SOD measured at \(documents) documents per request, without re-check (median round) | \(String(format: "%.1f", measuredPerSOD)) |")
                lines.append("| of which the parts above (SOD, JSON read, answer, recording; no re-check) | \(String(format: "%.1f", known)) |")
                lines.append("| the rest: TLS, HTTP, Hummingbird, task switches, the hand-offs between the signing, recording and event-loop threads | \(String(format: "%.1f", measuredPerSOD - known)) |")
            }
            lines.append(String(format: "| ceiling of the ratio with every part above and nothing else: signature ÷ (SOD + JSON + answer + recording) | %.3f |", medians[0] / known))
            lines.append("")
            if sink == 42 { log("") }
            return lines
        }

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
