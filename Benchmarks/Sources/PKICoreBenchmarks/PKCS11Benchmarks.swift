// Section `pkcs11`: PKCS11Signer.sign against a raw C_SignInit + C_Sign loop on the same token, in the same run.
//
// The token is a private SoftHSM2 token made at run time: a softhsm2.conf pointing at a temporary token directory,
// `softhsm2-util --init-token`, and SOFTHSM2_CONF set with setenv before the module is loaded (SoftHSM reads it
// once, at C_Initialize). The keys are generated in the token through PKCS11Token.generateKeyPair.
//
// The epki side signs 16 messages of 32–100 bytes in turn: SHA-256 on the host, then CKM_ECDSA (the r‖s result
// becomes DER) or CKM_RSA_PKCS_PSS, through the token's session pool. The raw side (Sources/RawPKCS11, C) loads
// the same module through p11-kit in the same process, opens one session per thread, finds the key by label and
// signs a fixed 32-byte digest. Each round interleaves the two sides in short slices (5 raw/epki pairs of a fifth
// of the round length each, the order alternating), on 1 thread and then on 2, so that both sides see the same
// machine load even on a shared machine.

import Foundation
import PKCS11
import PKICore
import RawPKCS11

/// The private SoftHSM2 token of this process, made on first use and shared by the sections that need one
/// (`pkcs11`, `sodhsm`): SoftHSM reads SOFTHSM2_CONF once, at the module's C_Initialize, and epki keeps a module
/// loaded for the life of the process, so a second token directory would never be seen.
final class BenchToken: @unchecked Sendable {
    static let tokenLabel = "epki-bench"
    static let userPIN = "123456"
    static let soPIN = "12345678"

    let directory: URL
    let token: PKCS11Token
    let module: String
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: BenchToken?

    private init(directory: URL, token: PKCS11Token, module: String) {
        self.directory = directory
        self.token = token
        self.module = module
    }

    /// The token, logged in; made (in a temporary directory) on the first call.
    static func shared(_ options: Options) throws -> BenchToken {
        try lock.withLock {
            if let made { return made }
            let directory = try temporaryDirectory("epki-bench-softhsm")
            let tokens = directory.appendingPathComponent("tokens")
            try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
            let configuration = directory.appendingPathComponent("softhsm2.conf")
            try Data("""
                directories.tokendir = \(tokens.path)
                objectstore.backend = file
                log.level = ERROR
                slots.removable = false

                """.utf8).write(to: configuration)
            let initialised = try runProcess(options.softhsmUtil, ["--init-token", "--free", "--label", tokenLabel, "--so-pin", soPIN, "--pin", userPIN],
                                             environment: ["SOFTHSM2_CONF": configuration.path])
            guard initialised.status == 0 else {
                throw UsageError("\(options.softhsmUtil) --init-token failed (\(initialised.status)): \(initialised.output)")
            }
            setenv("SOFTHSM2_CONF", configuration.path, 1)
            log("  token '\(tokenLabel)' in \(tokens.path), module \(options.module)")
            let token = try PKCS11Token.open(PKCS11URI(token: tokenLabel, modulePath: options.module))
            try token.login(pin: PIN(userPIN))
            let value = BenchToken(directory: directory, token: token, module: options.module)
            made = value
            return value
        }
    }

    /// Removes the token directory at the end of the run (or says where it is, with --keep).
    static func cleanUp(keep: Bool) {
        lock.withLock {
            guard let made else { return }
            if keep { log("  kept the token directory \(made.directory.path)") } else { try? FileManager.default.removeItem(at: made.directory) }
        }
    }

    /// The raw C side on this token for the duration of `body` (its own load of the module, its own sessions).
    func withRawSide<T>(_ body: () throws -> T) throws -> T {
        var error = [CChar](repeating: 0, count: 512)
        guard raw_pkcs11_open(module, Self.tokenLabel, Self.userPIN, &error, error.count) == 1 else {
            throw UsageError("raw PKCS#11 side: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { raw_pkcs11_close() }
        return try body()
    }
}

enum PKCS11Benchmarks {
    static let tokenLabel = BenchToken.tokenLabel

    struct Case {
        let name: String
        let key: KeySpecification
        let algorithm: SignatureAlgorithm
        let label: String
        let mechanism: Int32
    }

    static let cases = [
        Case(name: "ECDSA P-256, SHA-256 (CKM_ECDSA)", key: .ec(.p256, parameters: .namedCurve), algorithm: .ecdsa(.sha256),
             label: "bench-p256", mechanism: Int32(RAW_PKCS11_ECDSA)),
        Case(name: "ECDSA brainpoolP256r1, SHA-256 (CKM_ECDSA)", key: .ec(.brainpoolP256r1, parameters: .namedCurve),
             algorithm: .ecdsa(.sha256), label: "bench-brainpoolp256r1", mechanism: Int32(RAW_PKCS11_ECDSA)),
        Case(name: "RSA-3072 RSASSA-PSS SHA-256 (CKM_RSA_PKCS_PSS)", key: .rsa(bits: 3072), algorithm: .rsaPSS(.sha256),
             label: "bench-rsa3072", mechanism: Int32(RAW_PKCS11_RSA_PSS_SHA256)),
    ]

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let seconds = options.roundSeconds
        let messages = makeMessages()
        let cases = Self.cases.filter { options.pkcs11Keys.contains(String($0.label.dropFirst("bench-".count))) }

        // 1. The process's private token (SOFTHSM2_CONF is set before anything loads the module).
        let token = try BenchToken.shared(options).token

        // 2. epki: generate the three keys in the token.
        var signers: [String: PKCS11Signer] = [:]
        var keyLines: [String] = []
        for item in cases {
            let clock = ContinuousClock()
            let start = clock.now
            let signer = try token.generateKeyPair(item.key, label: item.label)
            let elapsed = clock.now - start
            let signature = try signer.sign(messages[0], algorithm: item.algorithm)
            guard try signer.publicKey.isValidSignature(signature, for: messages[0], algorithm: item.algorithm) else {
                throw UsageError("a \(item.name) signature made through PKCS11Signer does not verify")
            }
            signers[item.label] = signer
            keyLines.append("  \(item.label): \(item.key), generated in the token in \(String(format: "%.2f", durationSeconds(elapsed))) s; \(signer.uri)")
            log(keyLines.last!)
        }

        // 3. The raw side: the same module, loaded and initialised a second time through p11-kit in this process.
        var error = [CChar](repeating: 0, count: 512)
        guard raw_pkcs11_open(options.module, tokenLabel, BenchToken.userPIN, &error, error.count) == 1 else {
            throw UsageError("raw PKCS#11 side: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { raw_pkcs11_close() }

        /// One raw slice: `duration` seconds after `warmup`, on `threads` threads.
        func raw(_ item: Case, threads: Int, duration: Double, warmup: Double) throws -> ParallelRate {
            let result = raw_pkcs11_sign_rate(item.label, item.mechanism, Int32(threads), duration, warmup)
            guard result.ok == 1 else {
                let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                throw UsageError("raw PKCS#11 loop (\(item.label), \(threads) threads): \(message)")
            }
            let expected = item.mechanism == Int32(RAW_PKCS11_ECDSA) ? 64 : 384
            guard result.signatureLength == expected else {
                throw UsageError("raw PKCS#11 loop (\(item.label)): \(result.signatureLength)-byte signatures, expected \(expected)")
            }
            return ParallelRate(rate: result.rate, seconds: result.seconds, operations: result.signatures, cpuSeconds: result.cpuSeconds)
        }

        /// Sums of slices: signatures/s in wall time (time-weighted mean of the slices), and signatures per
        /// CPU-second of the signing threads (all signatures over all their CPU time).
        struct Tally {
            var work = 0.0, time = 0.0, operations = 0, cpu = 0.0
            mutating func add(_ r: ParallelRate) {
                work += r.rate * r.seconds
                time += r.seconds
                operations += r.operations
                cpu += r.cpuSeconds
            }
            var wall: Double { work / time }
            var perCPUSecond: Double { Double(operations) / cpu }
        }

        /// One round for one thread count: `slices` pairs of raw and epki slices of roundSeconds / slices each,
        /// the order alternating within the round, so that both sides sample the same machine load.
        let slices = 5
        func round(_ item: Case, _ signer: PKCS11Signer, threads: Int, rawFirst: Bool) throws -> (raw: Tally, epki: Tally) {
            let slice = Double(seconds) / Double(slices)
            var rawTally = Tally(), epkiTally = Tally()
            let algorithm = item.algorithm
            for index in 0..<slices {
                // A quarter-second warm-up before each side's first slice of the round, a short one afterwards.
                let warmup = index == 0 ? 0.25 : 0.02
                for side in (index % 2 == 0) == rawFirst ? ["raw", "epki"] : ["epki", "raw"] {
                    if side == "raw" {
                        rawTally.add(try raw(item, threads: threads, duration: slice, warmup: warmup))
                    } else {
                        epkiTally.add(try measureParallel(threads: threads, duration: .milliseconds(Int(slice * 1000)),
                                                          warmup: .milliseconds(Int(warmup * 1000)), sink: &sink) { _, call in
                            try signer.sign(messages[call & 15], algorithm: algorithm).count
                        })
                    }
                }
            }
            return (rawTally, epkiTally)
        }

        var rows: [Row] = []
        var cpuRows: [Row] = []
        var scaling: [String] = []
        for item in cases {
            let signer = signers[item.label]!
            for threads in [1, 2] {
                var raw: [Tally] = [], epki: [Tally] = []
                for number in 1...options.rounds {
                    log("  round \(number)/\(options.rounds): \(item.name), \(threads) thread(s): \(slices) raw/epki slice pairs")
                    let result = try round(item, signer, threads: threads, rawFirst: number % 2 == 1)
                    raw.append(result.raw)
                    epki.append(result.epki)
                }
                let name = "\(item.name), \(threads) thread\(threads == 1 ? "" : "s")"
                rows.append(Row(operation: name, epki: epki.map(\.wall), openssl: raw.map(\.wall)))
                cpuRows.append(Row(operation: name, epki: epki.map(\.perCPUSecond), openssl: raw.map(\.perCPUSecond)))
            }
            let n = rows.count
            scaling.append(String(format: "  %@: 2 threads / 1 thread = %.2f (epki), %.2f (raw)", item.name,
                                  rows[n - 1].bestEPKI / rows[n - 2].bestEPKI, (rows[n - 1].bestOpenSSL ?? 0) / (rows[n - 2].bestOpenSSL ?? 1)))
        }

        // What epki adds on the host per signature, without the token call: checkCanSign, SHA-256 of the message,
        // and for ECDSA the r‖s → DER conversion (the session pool's lock and the copy of the result are not
        // reachable from outside the module, and are left out).
        var hostLines: [String] = []
        for item in cases {
            let signer = signers[item.label]!
            let algorithm = item.algorithm
            let plain = [UInt8](repeating: 0x5A, count: 64)
            var call = 0
            let rate = try measure(seconds: seconds, sink: &sink) {
                call &+= 1
                try signer.checkCanSign(algorithm)
                let digest = try algorithm.hash.hash(messages[call & 15])
                if algorithm.isECDSA { return try ECDSASignature(plain: plain).derEncoded.count &+ digest.count }
                return digest.count
            }
            let token = 1e6 / (cpuRows.first { $0.operation.hasPrefix(item.name) }?.bestOpenSSL ?? 1)
            hostLines.append(String(format: "  %@: %.2f µs per signature on the host, against %.0f µs of CPU per raw token signature (1 thread, best round)",
                                    item.name, 1e6 / rate.perSecond, token))
        }

        func goal(_ rows: [Row], _ value: (Row) -> Double?) -> String {
            let failing = rows.filter { (value($0) ?? 0) < 0.9 }.map(\.operation)
            return failing.isEmpty ? "met in every row" : "NOT met in: \(failing.joined(separator: "; "))"
        }
        var report = [
            "## pkcs11: PKCS11Signer.sign against raw C_SignInit + C_Sign (SoftHSM2, same token, same process)",
            "",
            "\(options.rounds) rounds × \(seconds) s per item, side and thread count; each round interleaves \(slices) raw/epki slice pairs of \(String(format: "%.1f", Double(seconds) / Double(slices))) s (order alternating); best round of each side shown. Rates are summed over the threads.",
            "",
            "Wall-clock throughput:",
            "",
            table(rows, unit: "sig/s", reference: "raw PKCS#11"),
            "",
            "Cost per signature: signatures per CPU-second of the signing threads (user + system time, SoftHSM runs in them), the same slices:",
            "",
            table(cpuRows, unit: "sig/CPU-s", reference: "raw PKCS#11"),
            "",
            "Goal epki/raw ≥ 0.9 — wall clock, best rounds: \(goal(rows, \.ratio)); wall clock, median round: \(goal(rows, \.medianRatio)); CPU time, median round: \(goal(cpuRows, \.medianRatio)).",
            "Thread scaling (best rounds):",
        ]
        report += scaling
        report.append("Host-side work of PKCS11Signer.sign, timed alone (checkCanSign, SHA-256 of a 32–100-byte message, ECDSA r‖s → DER):")
        report += hostLines
        report.append("Keys:")
        report += keyLines
        return report.joined(separator: "\n")
    }
}
