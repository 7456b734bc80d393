// Section `sodhsm` (issue 14): Document Signer signing inside a batch with a SoftHSM2 key, against a raw PKCS#11
// C_SignInit + C_Sign loop on the same key in the same run (goal ≥ 0.9).
//
// The token is the process's private SoftHSM2 token (BenchToken, made at run time as for `pkcs11`); the DS keys are
// generated inside it (P-256 and brainpoolP256r1, named curves), and a software CSCA issues each one its DS
// certificate. The two sides, per key, thread count (1 and 2) and setting of the re-check after signing:
//   * epki: `SODBatchSigner(sodSigner: SODSigner(signer: PKCS11Signer, ...), maxConcurrentTasks: threads)` signing
//     batches of 32 documents given by their data groups' hashes (DG1, DG2, DG14, DG15 with SHA-256, as the SOD
//     service and a line that hashes while writing give them), each SOD encoded to the bytes written to a chip. The
//     token's session pool gives each signing task its own session.
//   * raw: `raw_pkcs11_sign_rate` (Sources/RawPKCS11): C_SignInit + C_Sign with CKM_ECDSA over a fixed 32-byte digest
//     with the same private key object, one session per thread, on `threads` threads.
// Each round interleaves 5 raw/epki slice pairs (order alternating), as `pkcs11` does, so that both sides sample the
// same machine load. Two ratios per row: wall clock (SODs per second against signatures per second) and CPU time
// (SODs per CPU-second of the whole process against signatures per CPU-second of the raw signing threads: SoftHSM
// signs inside the calling thread, so this is the cost of a SOD against the cost of one token signature). The goal
// is read without the re-check, as §4 reads its SOD signing goals; the re-check rows add one verification per SOD
// on the host.

import Foundation
import LDS
import PKCS11
import PKICore
import RawPKCS11

enum SODHSMBenchmarks {
    struct Case {
        let option: String
        let name: String
        let key: KeySpecification
        let label: String
    }

    static let cases = [
        Case(option: "p256", name: "ECDSA P-256", key: .ec(.p256, parameters: .namedCurve), label: "sodhsm-p256"),
        Case(option: "brainpoolp256r1", name: "ECDSA brainpoolP256r1", key: .ec(.brainpoolP256r1, parameters: .namedCurve), label: "sodhsm-brainpoolp256r1"),
    ]
    static let documentsPerBatch = 32
    static let slices = 5

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let bench = try BenchToken.shared(options)
        let seconds = options.roundSeconds
        var wallRows: [Row] = [], cpuRows: [Row] = [], notes: [String] = [], goals: [String] = [], splits: [String] = []
        let documents = try (0..<documentsPerBatch).map { index -> SODBatchSigner.Document in
            var hashes: [Int: [UInt8]] = [:]
            for number in [1, 2, 14, 15] { hashes[number] = try HashAlgorithm.sha256.hash(Array("DG\(number) of document \(index)".utf8)) }
            return SODBatchSigner.Document(identifier: "UTO\(index)", dataGroupHashes: hashes)
        }
        for item in cases where options.sodHSMKeys.contains(item.option) {
            // The DS key in the token, its certificate from a software CSCA; one SOD checked all the way.
            let clock = ContinuousClock()
            let started = clock.now
            let tokenSigner = try bench.token.generateKeyPair(item.key, label: item.label)
            notes.append("\(item.name): key generated in the token in \(String(format: "%.2f", durationSeconds(clock.now - started))) s; \(tokenSigner.uri)")
            let now = Date()
            let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
            let cscaName = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
            let ds = try issueDocumentSignerCertificate(issuer: cscaName, issuerKeyIdentifier: try cscaSigner.publicKey.keyIdentifier,
                                                        subject: DistinguishedName(parsing: dsName), subjectKey: tokenSigner.publicKey, signer: cscaSigner,
                                                        now: now.addingTimeInterval(-86_400))
            let checking = try SODSigner(signer: tokenSigner, documentSigner: ds, verifyAfterSigning: true)
            let sample = try checking.sign(dataGroupHashes: documents[0].dataGroupHashes!)
            try checking.verify(EFSOD(bytes: sample.encode()), dataGroupHashes: documents[0].dataGroupHashes!)

            splits.append(try split(item, tokenSigner: tokenSigner, ds: ds, documents: documents, bench: bench, options: options, sink: &sink))

            for recheck in options.sodRecheck {
                let sodSigner = try SODSigner(signer: tokenSigner, documentSigner: ds, verifyAfterSigning: recheck)
                for threads in [1, 2] {
                    let batch = SODBatchSigner(sodSigner: sodSigner, maxConcurrentTasks: threads)
                    var raw: [Tally] = [], epki: [Tally] = []
                    try bench.withRawSide {
                        for number in 1...options.rounds {
                            log("  sodhsm: \(item.name), \(recheck ? "with" : "without") re-check, \(threads) thread(s): round \(number)/\(options.rounds)")
                            var rawTally = Tally(), epkiTally = Tally()
                            let slice = Double(seconds) / Double(slices)
                            for index in 0..<slices {
                                let warmup = index == 0 ? 0.25 : 0.02
                                for side in (index % 2 == 0) == (number % 2 == 1) ? ["raw", "epki"] : ["epki", "raw"] {
                                    if side == "raw" {
                                        let result = raw_pkcs11_sign_rate(item.label, Int32(RAW_PKCS11_ECDSA), Int32(threads), slice, warmup)
                                        guard result.ok == 1, result.signatureLength == 64 else {
                                            let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                                            throw UsageError("raw PKCS#11 loop (\(item.label), \(threads) threads): \(message)")
                                        }
                                        rawTally.add(operations: result.signatures, seconds: result.seconds, cpu: result.cpuSeconds)
                                    } else {
                                        let measured = try measureBatches(batch, documents, seconds: slice, warmup: warmup, sink: &sink)
                                        epkiTally.add(operations: measured.operations, seconds: measured.seconds, cpu: measured.cpu)
                                    }
                                }
                            }
                            raw.append(rawTally)
                            epki.append(epkiTally)
                        }
                    }
                    let label = "SODBatchSigner + PKCS11Signer, \(item.name), \(recheck ? "with" : "without") re-check, \(threads) task\(threads == 1 ? "" : "s")"
                    let wall = Row(operation: label, epki: epki.map(\.perSecond), openssl: raw.map(\.perSecond))
                    let cpu = Row(operation: label, epki: epki.map(\.perCPUSecond), openssl: raw.map(\.perCPUSecond))
                    wallRows.append(wall)
                    cpuRows.append(cpu)
                    if !recheck {
                        let met = (wall.medianRatio ?? 0) >= 0.9 && (cpu.medianRatio ?? 0) >= 0.9
                        goals.append(String(format: "  %@, %d thread%@: wall %.3f, CPU %.3f (median of rounds): %@", item.name, threads, threads == 1 ? "" : "s",
                                            wall.medianRatio ?? 0, cpu.medianRatio ?? 0, met ? "met" : "MISSED"))
                    }
                }
            }
        }
        return ([
            "## sodhsm: SODBatchSigner with a SoftHSM2 key against raw C_SignInit + C_Sign (same key, same process)",
            "",
            "\(options.rounds) rounds × \(seconds) s per item and side; each round interleaves \(slices) raw/epki slice pairs (order alternating). epki: batches of \(documentsPerBatch) documents (4 data-group hashes each), every SOD encoded; raw: CKM_ECDSA over a 32-byte digest on as many threads as tasks.",
            "",
            "Wall clock (SODs/s against signatures/s):",
            "",
            table(wallRows, unit: "SOD or sig/s", reference: "raw PKCS#11"),
            "",
            "Cost: SODs per CPU-second of the process against signatures per CPU-second of the raw signing threads:",
            "",
            table(cpuRows, unit: "per CPU-s", reference: "raw PKCS#11"),
            "",
            "```",
            "Goal (issue 14) epki/raw ≥ 0.9, without the re-check:",
        ] + goals + ["```", "", "Where the difference goes (1 thread, no re-check, CPU time per operation, median of the rounds; the four loops interleaved in slices):", ""]
            + splits + [""] + notes.map { "* " + $0 }).joined(separator: "\n")
    }

    /// The cost per operation of four loops on one thread, interleaved in slices in every round: the raw C_Sign,
    /// `PKCS11Signer.sign` of a SignedAttributes-sized message (SHA-256 on the host, the token call, r‖s → DER),
    /// `SODSigner.sign(dataGroupHashes:)` + `encode()` called directly, and the same through `SODBatchSigner`.
    static func split(_ item: Case, tokenSigner: PKCS11Signer, ds: Certificate, documents: [SODBatchSigner.Document], bench: BenchToken,
                      options: Options, sink: inout Int) throws -> String {
        let sodSigner = try SODSigner(signer: tokenSigner, documentSigner: ds, verifyAfterSigning: false)
        let batch = SODBatchSigner(sodSigner: sodSigner, maxConcurrentTasks: 1)
        let message = [UInt8](repeating: 0x31, count: 104)
        let slice = Double(options.roundSeconds) / Double(slices)
        var costs: [[Double]] = Array(repeating: [], count: 4)
        try bench.withRawSide {
            for number in 1...options.rounds {
                log("  sodhsm: \(item.name), the four loops on 1 thread: round \(number)/\(options.rounds)")
                var tallies = Array(repeating: Tally(), count: 4)
                for index in 0..<slices {
                    let warmup = index == 0 ? 0.25 : 0.02
                    let order = (index + number) % 2 == 0 ? [0, 1, 2, 3] : [3, 2, 1, 0]
                    for side in order {
                        switch side {
                        case 0:
                            let result = raw_pkcs11_sign_rate(item.label, Int32(RAW_PKCS11_ECDSA), 1, slice, warmup)
                            guard result.ok == 1 else { throw UsageError("raw PKCS#11 loop (\(item.label)) failed") }
                            tallies[0].add(operations: result.signatures, seconds: result.seconds, cpu: result.cpuSeconds)
                        case 1, 2:
                            let direct = side == 2
                            let rate = try measureParallel(threads: 1, duration: .milliseconds(Int(slice * 1000)), warmup: .milliseconds(Int(warmup * 1000)),
                                                           sink: &sink) { _, call in
                                if direct { return try sodSigner.sign(dataGroupHashes: documents[call & 31].dataGroupHashes!).encode().count }
                                return try tokenSigner.sign(message, algorithm: .ecdsa(.sha256)).count
                            }
                            tallies[side].add(operations: rate.operations, seconds: rate.seconds, cpu: rate.cpuSeconds)
                        default:
                            let measured = try measureBatches(batch, documents, seconds: slice, warmup: warmup, sink: &sink)
                            tallies[3].add(operations: measured.operations, seconds: measured.seconds, cpu: measured.cpu)
                        }
                    }
                }
                for side in 0..<4 { costs[side].append(1e6 / tallies[side].perCPUSecond) }
            }
        }
        let median = costs.map { $0.sorted()[$0.count / 2] }
        return String(format: "* %@: raw C_SignInit + C_Sign %.1f µs; PKCS11Signer.sign %.1f µs (+%.1f); SODSigner.sign + encode %.1f µs (+%.1f); through SODBatchSigner, 1 task %.1f µs (+%.1f) — ratio to raw %.3f",
                      item.name, median[0], median[1], median[1] - median[0], median[2], median[2] - median[1], median[3], median[3] - median[2], median[0] / median[3])
    }

    struct Tally {
        var operations = 0, seconds = 0.0, cpu = 0.0
        mutating func add(operations: Int, seconds: Double, cpu: Double) {
            self.operations += operations
            self.seconds += seconds
            self.cpu += cpu
        }
        var perSecond: Double { Double(operations) / max(seconds, 1e-9) }
        var perCPUSecond: Double { Double(operations) / max(cpu, 1e-9) }
    }

    /// Whole batches for `seconds` after `warmup`: SODs signed, wall seconds, CPU seconds of the process.
    static func measureBatches(_ batch: SODBatchSigner, _ documents: [SODBatchSigner.Document], seconds: Double, warmup: Double,
                               sink: inout Int) throws -> (operations: Int, seconds: Double, cpu: Double) {
        func once() throws -> Int {
            let outcomes = LDSBenchmarks.signBatch(batch, documents)
            guard outcomes.count == documents.count else { throw UsageError("SODBatchSigner returned \(outcomes.count) of \(documents.count) outcomes") }
            var total = 0
            for outcome in outcomes { total &+= try outcome.get().encode().count }
            return total
        }
        let clock = ContinuousClock()
        let warmupEnd = clock.now + .milliseconds(Int(warmup * 1000))
        repeat { sink &+= try once() } while clock.now < warmupEnd
        let cpuStart = processCPUSeconds()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var batches = 0
        var now = start
        repeat {
            sink &+= try once()
            batches += 1
            now = clock.now
        } while now < deadline
        return (batches * documents.count, durationSeconds(now - start), processCPUSeconds() - cpuStart)
    }
}
