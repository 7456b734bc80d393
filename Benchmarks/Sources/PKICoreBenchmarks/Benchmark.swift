// PKICoreBenchmarks: what epki's signing paths cost next to the raw primitive underneath.
//
// Sections, each runnable alone with `--only`:
//   core    PKICore signing, verification, DS certificate, CMS and CRL building, against `openssl speed`
//           (CoreBenchmarks below).
//   pkcs11  PKCS11Signer.sign on a private SoftHSM2 token, against a raw C_SignInit + C_Sign loop in C on the
//           same token (PKCS11Benchmarks.swift, Sources/RawPKCS11).
//   csca    CountrySigningCA: DS issuance through the store, revocation, and CRL generation over N revoked
//           certificates (CSCABenchmarks.swift).
//   lds     EF.SOD signing (SODSigner, SODBatchSigner) and passive authentication with software keys, against
//           `openssl speed` sign and verify (LDSBenchmarks.swift).
//   cvc     CV certificate chain verification (CVCA → DV → IS), against `openssl speed` verify
//           (CVCBenchmarks.swift).
//   npkd    NationalPKD: the ICAO master list import, a 1,000,000-entry CRL's import (time, peak memory, lookups from
//           another connection meanwhile) and POST /v1/pa/verify throughput under wrk on loopback (NPKDBenchmarks.swift).
//   npkdimport  The NPKD's import at national scale: a generated collection shaped like ICAO PKD collection 001 and a
//           1,000,000-entry CRL, each imported by a child process (time, CPU, peak memory), against d2i_X509 +
//           X509_verify and d2i_X509_CRL + X509_CRL_verify over the same objects (NPKDImportBenchmarks.swift,
//           Sources/RawX509).
//   npkdsync  Publication of that collection into a private slapd and a sync back from it into a fresh store (a child
//           process: time, CPU, peak memory), against the LDAP transfer alone through ldapsearch (NPKDSyncBenchmarks.swift).
//   sod     The SOD signing service on loopback with mutual TLS and concurrent clients, against an EVP_DigestSign loop
//           with the same key on all cores (SODServiceBenchmarks.swift, Sources/RawTLS).
//   perso   The personalization line through a private pcscd with vpcd: documents per minute per reader on one and two
//           readers, each step's time, APDUs and bytes per document, and the write replayed through a raw
//           SCardTransmit loop (PersoBenchmarks.swift).
//   inspection  A full inspection of a virtual chip through pcscd: time to a verdict by step, against the time its APDUs
//           spent in the card's round trips (InspectionBenchmarks.swift).
//   sodhsm  SODBatchSigner with a PKCS11Signer on the private SoftHSM2 token, against a raw C_SignInit + C_Sign loop on
//           the same key in the same run (SODHSMBenchmarks.swift, Sources/RawPKCS11).
//   spoc    RequestCertificate round trips between two in-process SPOCs over mutual TLS on loopback, synchronous
//           issuance by the server's CVCA, against raw CV certificate signing with the same key and `openssl speed`;
//           the parts of a round trip, and the CVCA's cost as its store grows (SPOCBenchmarks.swift).
//   admin   DS issuance through the administration API (mutual TLS, an RA officer's certificate, the governance
//           check) on loopback, against the same issuance through the library in the same run (AdminBenchmarks.swift).
//   store   SQLite against PostgreSQL (a private cluster started for the run): DS issuance and POST /v1/pa/verify by one
//           node and by two nodes (child processes) on one PostgreSQL, against openssl speed and pgbench on the same
//           server (StoreBenchmarks.swift).
//   card    The virtual eMRTD chip through a private pcscd with vpcd: APDU round trips of epki's terminal (plain and
//           under secure messaging) against a raw SCardTransmit loop in C over the same APDU bytes, and whole-passport
//           reads with BAC and with PACE + CA + TA, short against extended length (CardBenchmarks.swift, Sources/RawPCSC).
//
// Every signing-bound figure is a ratio to a reference measured in the same run on the same machine. The time per
// item is split into rounds; each round runs the reference next to the epki loop, so that a change of machine load
// during the run hits both sides alike. The tables give the ratio of the best round of each side, the median of the
// per-round ratios and their spread. Both sides always use the same clock: CPU time (the default for `core`,
// robust on a shared machine) or wall-clock time; see BENCHMARKS.md, "Method".
//
// Run from Benchmarks/:  swift run -c release PKICoreBenchmarks [--only core,pkcs11,csca,lds,cvc,npkd,card,spoc] [--seconds N] [--rounds R]

import Foundation
import NPKD
import PKICore
import SODService

// MARK: - Options

enum Section: String, CaseIterable {
    case core, pkcs11, csca, lds, cvc, npkd, npkdimport, npkdsync, card, sod, sodhsm, perso, inspection, spoc, admin, store
}

struct Options {
    var seconds = 5
    var rounds = 5
    var crlEntries = 100_000
    /// Entries of the npkd section's big CRL.
    var npkdCRLEntries = 1_000_000
    var openssl = "openssl"
    var sections: [Section] = Section.allCases
    var module = "/usr/lib/softhsm/libsofthsm2.so"
    var softhsmUtil = "softhsm2-util"
    var pkcs11Keys = ["p256", "brainpoolp256r1", "rsa3072"]
    var clock = TimeBase.cpu
    var keep = false
    /// Size of the JPEG inside DG2 in the lds section: a passport face image is typically 15–20 KB.
    var dg2ImageBytes = 15_000
    /// The card section: READ BINARY chunk sizes (short, extended), passport reads per round, DG2 size, DG3 finger images.
    var cardChunks = [223, 4_000]
    var cardReads = 3
    var cardDG2Bytes = 20_000
    var cardFingerBytes = 12_000
    var cardLinks: [CardBenchmarks.Link] = [.shipped]
    /// The sod section's concurrent client connections (one load thread each).
    var sodConnections = [16]
    /// The sod section's DS keys (p256, brainpoolp256r1) and settings of the re-check after signing (off, on).
    var sodKeys = ["p256", "brainpoolp256r1"]
    var sodRecheck = [false, true]
    var sodHSMKeys = ["p256", "brainpoolp256r1"]
    var inspectionCurves: [ECCurve] = [.brainpoolP256r1, .p256]
    /// The spoc section's numbers of RequestCertificate calls in flight (one client task each).
    var spocInFlight = [1, 8]
    /// The spoc section's store sizes (DV certificates issued by the server's CVCA) for the growth table; empty: none.
    var spocHistory = [3_000, 10_000]

    /// Whole seconds per round (`openssl speed -seconds` takes an integer).
    var roundSeconds: Int { max(1, seconds / rounds) }

    static let usage = """
        usage: PKICoreBenchmarks [--only LIST] [--seconds N] [--rounds R] [--crl-entries N] [--openssl PATH]
                                 [--clock cpu|wall] [--module PATH] [--softhsm2-util PATH] [--pkcs11-keys LIST]
                                 [--dg2-bytes N] [--npkd-crl-entries N] [--card-chunks LIST] [--card-reads N]
                                 [--card-dg2-bytes N] [--card-finger-bytes N] [--card-links LIST] [--sod-connections LIST]
                                 [--sod-keys LIST] [--sod-recheck LIST] [--sodhsm-keys LIST] [--spoc-in-flight LIST]
                                 [--spoc-history LIST|none] [--inspection-curves LIST] [--keep]

          --only LIST            comma-separated sections: core, pkcs11, csca, lds, cvc, npkd, npkdimport, npkdsync, card,
                                 sod, sodhsm, perso, inspection, spoc, admin, store; default: all sixteen, in that order
          --seconds N            measuring time per item and per side; default 5
          --rounds R             split it into R alternating reference/epki rounds of max(1, N/R) s; default 5
          --crl-entries N        entries in the benchmark CRLs (core: built in memory; csca: revoked certificates
                                 in the CSCA's store); default 100000
          --openssl PATH         the openssl command to compare with; default: openssl from PATH
          --clock cpu|wall       time base of the core, lds and cvc sections: the measuring thread's CPU time
                                 against `openssl speed`'s user CPU time (default; robust on a shared machine),
                                 or wall time against `openssl speed -elapsed`. The pkcs11 and csca sections,
                                 and the lds batch rows, report both (wall clock for throughput, CPU time for
                                 the cost per operation).
          --module PATH          PKCS#11 module of the pkcs11 section; default /usr/lib/softhsm/libsofthsm2.so
          --softhsm2-util PATH   makes the pkcs11 section's private token; default: softhsm2-util from PATH
          --pkcs11-keys LIST     the pkcs11 section's keys: p256, brainpoolp256r1, rsa3072; default: all three
          --dg2-bytes N          size of the face image (JPEG) inside DG2 in the lds section; default 15000
          --npkd-crl-entries N   entries of the big CRL of the npkd and npkdimport sections; default 1000000
          --card-chunks LIST     card section: READ BINARY sizes (Le), comma-separated; default 223,4000 (short and
                                 extended length)
          --card-reads N         card section: whole-passport reads per round and kind; default 3
          --card-dg2-bytes N     card section: size of DG2 (one face); default 20000
          --card-finger-bytes N  card section: size of each of DG3's two finger images; default 12000
          --card-links LIST      card section: how the chip talks to vpcd: shipped (VirtualChip's VPCDConnection),
                                 quickack (the benchmark's copy of its loop with TCP_QUICKACK, for trees before
                                 c9292f0); default shipped. A link of under 100 round trips/s gets one passport
                                 read per round instead of --card-reads
          --sod-connections LIST sod section: concurrent client connections (keep-alive, mutual TLS), comma-separated;
                                 default 16
          --sod-keys LIST        sod section: the DS keys, p256 and/or brainpoolp256r1; default both
          --sod-recheck LIST     sod and sodhsm sections: the re-check after signing, off and/or on; default off,on
          --sodhsm-keys LIST     sodhsm section: the token keys, p256 and/or brainpoolp256r1; default both
          --spoc-in-flight LIST  spoc section: RequestCertificate calls in flight (client tasks), comma-separated; default 1,8
          --spoc-history LIST    spoc section: DV certificates issued by the server's CVCA to grow its store to, for the
                                 table of its cost by store size (rows added), comma-separated, or none; default 3000,10000
          --inspection-curves LIST  inspection section: the chips' curve, brainpoolP256r1 and/or P-256; default both
          --keep                 keep the temporary token, data and pcscd directories (their paths are printed)

        For profilers (`perf record`), one operation in a loop and nothing else:
        PKICoreBenchmarks --profile sod-sign|sod-sign-hashes|pa  SECONDS   (ECDSA P-256, DG2 of --dg2-bytes)
        PKICoreBenchmarks --profile spoc SECONDS [--spoc-in-flight N]     (the spoc section's round trips only)
        """

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return v
        }
        func positive(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), n > 0 else { throw UsageError("\(flag): '\(text)' is not a positive integer") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--seconds", "-s": seconds = try positive(argument)
            case "--rounds", "-r": rounds = try positive(argument)
            case "--crl-entries": crlEntries = try positive(argument)
            case "--openssl": openssl = try value(argument)
            case "--clock":
                let text = try value(argument)
                guard let base = TimeBase(rawValue: text) else { throw UsageError("--clock: '\(text)' is neither cpu nor wall") }
                clock = base
            case "--only":
                let list = try value(argument)
                sections = try list.split(separator: ",").map { name in
                    guard let section = Section(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                        throw UsageError("--only: unknown section '\(name)' (core, pkcs11, csca, lds, cvc, npkd, npkdimport, npkdsync, card, sod, sodhsm, perso, inspection, spoc, admin, store)")
                    }
                    return section
                }
                guard !sections.isEmpty else { throw UsageError("--only needs at least one section") }
            case "--module": module = try value(argument)
            case "--softhsm2-util": softhsmUtil = try value(argument)
            case "--pkcs11-keys":
                pkcs11Keys = try value(argument).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                for key in pkcs11Keys where !["p256", "brainpoolp256r1", "rsa3072"].contains(key) {
                    throw UsageError("--pkcs11-keys: unknown key '\(key)' (p256, brainpoolp256r1, rsa3072)")
                }
            case "--dg2-bytes": dg2ImageBytes = try positive(argument)
            case "--npkd-crl-entries": npkdCRLEntries = try positive(argument)
            case "--card-chunks":
                let text = try value(argument)
                cardChunks = try text.split(separator: ",").map { item in
                    guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (1...65_000).contains(n) else {
                        throw UsageError("--card-chunks: '\(item)' is not a size between 1 and 65000")
                    }
                    return n
                }
                guard !cardChunks.isEmpty else { throw UsageError("--card-chunks needs at least one size") }
            case "--card-reads": cardReads = try positive(argument)
            case "--card-dg2-bytes": cardDG2Bytes = try positive(argument)
            case "--card-finger-bytes": cardFingerBytes = try positive(argument)
            case "--card-links":
                cardLinks = try value(argument).split(separator: ",").map { item in
                    guard let link = CardBenchmarks.Link(rawValue: item.trimmingCharacters(in: .whitespaces).lowercased()) else {
                        throw UsageError("--card-links: unknown link '\(item)' (quickack, shipped)")
                    }
                    return link
                }
                guard !cardLinks.isEmpty else { throw UsageError("--card-links needs at least one link") }
            case "--sod-connections":
                let text = try value(argument)
                sodConnections = try text.split(separator: ",").map { item in
                    guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (1...256).contains(n) else {
                        throw UsageError("--sod-connections: '\(item)' is not a number of connections between 1 and 256")
                    }
                    return n
                }
                guard !sodConnections.isEmpty else { throw UsageError("--sod-connections needs at least one number") }
            case "--sod-keys":
                sodKeys = try value(argument).split(separator: ",").map { item in
                    let key = item.trimmingCharacters(in: .whitespaces).lowercased()
                    guard ["p256", "brainpoolp256r1"].contains(key) else { throw UsageError("--sod-keys: unknown key '\(item)' (p256, brainpoolp256r1)") }
                    return key
                }
                guard !sodKeys.isEmpty else { throw UsageError("--sod-keys needs at least one key") }
            case "--inspection-curves":
                inspectionCurves = try value(argument).split(separator: ",").map { item in
                    guard let curve = ECCurve(name: item.trimmingCharacters(in: .whitespaces)), curve == .brainpoolP256r1 || curve == .p256 else {
                        throw UsageError("--inspection-curves: unknown curve '\(item)' (brainpoolP256r1, P-256)")
                    }
                    return curve
                }
                guard !inspectionCurves.isEmpty else { throw UsageError("--inspection-curves needs at least one curve") }
            case "--sodhsm-keys":
                sodHSMKeys = try value(argument).split(separator: ",").map { item in
                    let key = item.trimmingCharacters(in: .whitespaces).lowercased()
                    guard ["p256", "brainpoolp256r1"].contains(key) else { throw UsageError("--sodhsm-keys: unknown key '\(item)' (p256, brainpoolp256r1)") }
                    return key
                }
                guard !sodHSMKeys.isEmpty else { throw UsageError("--sodhsm-keys needs at least one key") }
            case "--sod-recheck":
                sodRecheck = try value(argument).split(separator: ",").map { item in
                    switch item.trimmingCharacters(in: .whitespaces).lowercased() {
                    case "off": return false
                    case "on": return true
                    default: throw UsageError("--sod-recheck: '\(item)' is neither off nor on")
                    }
                }
                guard !sodRecheck.isEmpty else { throw UsageError("--sod-recheck needs off, on or both") }
            case "--spoc-in-flight":
                let text = try value(argument)
                spocInFlight = try text.split(separator: ",").map { item in
                    guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (1...64).contains(n) else {
                        throw UsageError("--spoc-in-flight: '\(item)' is not a number of calls between 1 and 64")
                    }
                    return n
                }
                guard !spocInFlight.isEmpty else { throw UsageError("--spoc-in-flight needs at least one number") }
            case "--spoc-history":
                let text = try value(argument)
                spocHistory = text.lowercased() == "none" ? [] : try text.split(separator: ",").map { item in
                    guard let n = Int(item.trimmingCharacters(in: .whitespaces)), (1...99_000).contains(n) else {
                        throw UsageError("--spoc-history: '\(item)' is not a number of DV certificates between 1 and 99000")
                    }
                    return n
                }.sorted()
            case "--keep": keep = true
            case "--help", "-h": print(Self.usage); exit(0)
            default: throw UsageError("unknown argument '\(argument)'")
            }
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Timing

/// What a rate is divided by: wall-clock time, or the CPU time of the measuring thread (user + system).
enum TimeBase: String {
    case wall, cpu
}

/// The CPU time (user + system) the calling thread has used so far, in seconds.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The CPU time (user + system) of the whole process so far, in seconds: all its threads, for work that runs
/// on Swift's concurrency pool rather than on the measuring thread.
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

struct Rate {
    let operations: Int
    let elapsed: Duration
    /// CPU time of the measuring thread over the same interval.
    var cpuSeconds: Double = 0

    var seconds: Double { durationSeconds(elapsed) }

    var perSecond: Double { Double(operations) / seconds }
    var perCPUSecond: Double { Double(operations) / max(cpuSeconds, 1e-9) }

    func per(_ base: TimeBase) -> Double { base == .wall ? perSecond : perCPUSecond }
}

/// Runs `body` repeatedly for `seconds` of wall time (monotonic clock), after a short warm-up, and returns how
/// many calls completed. `body` returns a value folded into `sink` so the optimiser cannot drop the work.
func measure(seconds: Int, sink: inout Int, _ body: () throws -> Int) rethrows -> Rate {
    try measure(for: .seconds(seconds), warmup: .milliseconds(250), sink: &sink, body)
}

/// Runs `body` for at least `warmup` (and at least once), then repeatedly for `duration` of wall time; the rate
/// records the calls, the wall time and the thread's CPU time of the measured part.
func measure(for duration: Duration, warmup: Duration, sink: inout Int, _ body: () throws -> Int) rethrows -> Rate {
    let clock = ContinuousClock()
    // Warm-up: at least one call, so caches and lazy OpenSSL state are primed.
    let warmupEnd = clock.now + warmup
    repeat { sink &+= try body() } while clock.now < warmupEnd

    let cpuStart = threadCPUSeconds()
    let start = clock.now
    let deadline = start + duration
    var count = 0
    var now = start
    repeat {
        sink &+= try body()
        count += 1
        now = clock.now
    } while now < deadline
    return Rate(operations: count, elapsed: now - start, cpuSeconds: threadCPUSeconds() - cpuStart)
}

/// Results written by several threads, each into its own slot.
final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T?]

    init(_ count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { lock.withLock { values[index] = value } }
    var all: [T?] { lock.withLock { values } }
}

/// What `measureParallel` returns: the sum of the per-thread rates (wall time), the mean measured time per
/// thread, and the calls and CPU time (user + system) of all threads together.
struct ParallelRate {
    var rate = 0.0
    var seconds = 0.0
    var operations = 0
    var cpuSeconds = 0.0
}

/// Runs `body(threadIndex, callNumber)` on `threads` new threads at once, each through `measure` (warm-up, then
/// `duration` of wall time). The threads are released together after all have started. `callNumber` counts the
/// calls of each thread (1, 2, …), for cycling through inputs without shared state.
func measureParallel(threads: Int, duration: Duration, warmup: Duration, sink: inout Int,
                     _ body: @escaping @Sendable (Int, Int) throws -> Int) throws -> ParallelRate {
    let results = Slots<Result<(Rate, Int), any Error>>(threads)
    let group = DispatchGroup()
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    for index in 0..<threads {
        group.enter()
        let thread = Thread {
            ready.signal()
            go.wait()
            var localSink = 0
            var call = 0
            let result = Result { () throws -> (Rate, Int) in
                let rate = try measure(for: duration, warmup: warmup, sink: &localSink) {
                    call &+= 1
                    return try body(index, call)
                }
                return (rate, localSink)
            }
            results.set(index, result)
            group.leave()
        }
        thread.start()
    }
    for _ in 0..<threads { ready.wait() }
    for _ in 0..<threads { go.signal() }
    group.wait()
    var total = ParallelRate()
    for result in results.all {
        let (rate, localSink) = try result!.get()  // every thread sets its slot before leaving the group
        total.rate += rate.perSecond
        total.seconds += rate.seconds / Double(threads)
        total.operations += rate.operations
        total.cpuSeconds += rate.cpuSeconds
        sink &+= localSink
    }
    return total
}

// MARK: - openssl speed

struct OpenSSLRates {
    let sign: Double
    let verify: Double
}

enum SpeedTarget {
    /// `label` is the name in parentheses of the summary line, e.g. `nistp256` or `brainpoolP256r1`.
    case ecdsa(bits: Int, label: String)
    case rsa(bits: Int)
}

/// Runs `openssl speed [-elapsed] [-multi N] -seconds S ALG` and returns its combined stdout and stderr. With
/// `multi` > 1, N processes run at once and the summary line gives their summed rates.
///
/// Without `-elapsed`, `openssl speed` divides by the process's user CPU time; with it, by wall-clock time. The
/// epki side must use the same base: on a shared machine the two differ a lot (at a load average of 14 on
/// 2 cores, P-256 signing reads 51,700/s in CPU time against 17,400/s in wall time).
func runOpenSSLSpeed(_ openssl: String, algorithm: String, seconds: Int, base: TimeBase, multi: Int = 1) throws -> String {
    let process = Process()
    let arguments = ["speed"] + (base == .wall ? ["-elapsed"] : []) + (multi > 1 ? ["-multi", String(multi)] : [])
        + ["-seconds", String(seconds), algorithm]
    if openssl.contains("/") {
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [openssl] + arguments
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw UsageError("`\(openssl) speed \(algorithm)` exited with status \(process.terminationStatus):\n\(output)")
    }
    return output
}

/// Reads the sign/s and verify/s of one algorithm from `openssl speed` output.
///
/// First choice is the summary table at the end (OpenSSL 1.1 to 3.x):
///
///      256 bits ecdsa (nistp256)   0.0000s   0.0001s  51920.2  17027.5
///     rsa 3072 bits 0.001740s 0.000035s    574.7  28821.0
///
/// taking the last two plain numbers of the matching line. When no such line is found, the progress lines
/// (`Doing ...: 102802 256 bits ECDSA signs in 1.98s`) are used instead.
func parseSpeed(_ output: String, target: SpeedTarget) -> OpenSSLRates? {
    let lines = output.split(whereSeparator: \.isNewline).map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }

    func matchesSummary(_ t: [String]) -> Bool {
        switch target {
        case .ecdsa(let bits, let label):
            // 256 bits ecdsa (nistp256) ...
            guard let i = t.firstIndex(where: { $0.lowercased() == "ecdsa" }), i >= 2, i + 1 < t.count else { return false }
            return t[i - 2] == String(bits) && t[i - 1] == "bits"
                && t[i + 1].lowercased() == "(\(label.lowercased()))"
        case .rsa(let bits):
            // rsa 3072 bits ...   (some versions: "rsa  3072 bits")
            return t.count >= 3 && t[0].lowercased() == "rsa" && t[1] == String(bits) && t[2] == "bits"
        }
    }
    for tokens in lines.reversed() where matchesSummary(tokens) {
        // Columns: sign-time verify-time sign/s verify/s; times end in "s", rates are plain numbers.
        let rates = tokens.compactMap { Double($0) }
        if rates.count >= 2, rates[rates.count - 2] > 0, rates[rates.count - 1] > 0 {
            return OpenSSLRates(sign: rates[rates.count - 2], verify: rates[rates.count - 1])
        }
    }

    // Fallback: "Doing 3072 bits private rsa's for 2s: 1150 3072 bits private RSA's in 2.00s"
    var sign: Double?
    var verify: Double?
    for tokens in lines where tokens.first == "Doing" {
        let text = tokens.joined(separator: " ").lowercased()
        let isOurs: Bool
        switch target {
        case .ecdsa(let bits, _): isOurs = text.contains("\(bits) bits") && text.contains("ecdsa")
        case .rsa(let bits): isOurs = text.contains("\(bits) bits") && text.contains("rsa")
        }
        guard isOurs, let colon = tokens.firstIndex(where: { $0.hasSuffix(":") }), colon + 1 < tokens.count,
              let count = Double(tokens[colon + 1]), let last = tokens.last, last.hasSuffix("s"),
              let time = Double(last.dropLast()), time > 0
        else { continue }
        let after = tokens[(colon + 2)...].joined(separator: " ").lowercased()
        if after.contains("sign") || after.contains("private") { sign = count / time }
        if after.contains("verify") || after.contains("public") { verify = count / time }
    }
    if let sign, let verify { return OpenSSLRates(sign: sign, verify: verify) }
    return nil
}

// MARK: - Report

/// One line of the table: the best round of each side, and the spread of the per-round ratios.
struct Row {
    let operation: String
    let epki: [Double]
    let openssl: [Double]
    var note: String = ""

    var bestEPKI: Double { epki.max() ?? 0 }
    var bestOpenSSL: Double? { openssl.max() }
    var ratio: Double? { bestOpenSSL.map { bestEPKI / $0 } }
    /// epki / reference of each round, sorted.
    var roundRatios: [Double]? {
        guard !openssl.isEmpty, openssl.count == epki.count else { return nil }
        return zip(epki, openssl).map { $0 / $1 }.sorted()
    }
    var ratioRange: (Double, Double)? { roundRatios.map { ($0.first!, $0.last!) } }
    /// The median of the per-round ratios (the mean of the middle two for an even count): each round pairs
    /// measurements taken seconds apart, so a load spike hits one round rather than one side.
    var medianRatio: Double? {
        guard let r = roundRatios else { return nil }
        return r.count % 2 == 1 ? r[r.count / 2] : (r[r.count / 2 - 1] + r[r.count / 2]) / 2
    }
}

func format(_ value: Double) -> String {
    if value >= 1000 { return String(format: "%.0f", value) }
    if value >= 10 { return String(format: "%.1f", value) }
    return String(format: "%.2f", value)
}

/// A Markdown table of rows; `reference` names the comparison column (`OpenSSL`, `raw PKCS#11`).
func table(_ rows: [Row], unit: String = "ops/s", reference: String = "OpenSSL") -> String {
    var lines = [
        "| Operation | epki \(unit) | \(reference) \(unit) | Ratio (epki / \(reference)), best rounds | Median of per-round ratios | Per-round ratios |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows {
        let openssl = row.bestOpenSSL.map(format) ?? "—"
        let ratio = row.ratio.map { String(format: "%.3f", $0) } ?? "—"
        let median = row.medianRatio.map { String(format: "%.3f", $0) } ?? "—"
        let range = row.ratioRange.map { String(format: "%.2f–%.2f", $0.0, $0.1) } ?? "—"
        let name = row.note.isEmpty ? row.operation : "\(row.operation) (\(row.note))"
        lines.append("| \(name) | \(format(row.bestEPKI)) | \(openssl) | \(ratio) | \(median) | \(range) |")
    }
    return lines.joined(separator: "\n")
}

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func machineDescription(openssl: String) -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown"
    let version = (try? runCommand(openssl, ["version"]))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "n/a"
    return "cores: \(ProcessInfo.processInfo.activeProcessorCount), CPU: \(cpu), \(version), load average: \(load)"
}

func runCommand(_ command: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    try runProcess(command, arguments, environment: environment).output
}

/// Runs a command (a path, or a name looked up in PATH) and returns its exit status and combined output.
func runProcess(_ command: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command.contains("/") ? command : "/usr/bin/env")
    process.arguments = command.contains("/") ? arguments : [command] + arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A new directory under the system's temporary directory.
func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A duration in seconds.
func durationSeconds(_ duration: Duration) -> Double {
    let c = duration.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

// MARK: - Fixtures

/// 16 messages of 32 to 100 bytes, cycled through by the signing loops.
func makeMessages() -> [[UInt8]] {
    var generator = SystemRandomNumberGenerator()
    return (0..<16).map { i in
        let length = 32 + i * 68 / 15
        return (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

let cscaName = "C=UT,O=Utopia,CN=CSCA Utopia"
let dsName = "C=UT,O=Utopia,OU=Passports,CN=Document Signer 1"

/// A DS certificate as a CSCA issues it: KeyUsage digitalSignature (critical), AKI, SKI, PrivateKeyUsagePeriod,
/// DocumentTypeList ["P"]. Everything but the keys is built inside the call, as a CA would for each request.
func issueDocumentSignerCertificate(
    issuer: DistinguishedName, issuerKeyIdentifier: [UInt8], subject: DistinguishedName, subjectKey: PublicKey,
    signer: some Signer, now: Date
) throws -> Certificate {
    let usageEnd = now.addingTimeInterval(90 * 86_400)
    var extensions = Extensions()
    try extensions.append(KeyUsage.digitalSignature, critical: true)
    try extensions.append(AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier), critical: false)
    try extensions.append(SubjectKeyIdentifier(keyIdentifier: subjectKey.keyIdentifier), critical: false)
    try extensions.append(PrivateKeyUsagePeriod(notBefore: now, notAfter: usageEnd), critical: false)
    try extensions.append(DocumentTypeList(documentTypes: ["P"]), critical: false)
    let builder = try CertificateBuilder(
        issuer: issuer, subject: subject, notBefore: now, notAfter: now.addingTimeInterval(10 * 365 * 86_400),
        subjectPublicKeyInfo: subjectKey.subjectPublicKeyInfo, extensions: extensions)
    return try builder.sign(with: signer)
}

/// Serial numbers shaped like `CertificateBuilder.randomSerialNumber()` (16 octets, 0x40 top bits), deterministic.
func revokedEntries(count: Int, date: Date) throws -> [RevokedCertificate] {
    let time = try Time(date)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        var serial = [UInt8](repeating: 0, count: 16)
        for half in 0..<2 {
            // splitmix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for i in 0..<8 { serial[half * 8 + i] = UInt8(truncatingIfNeeded: z >> (8 * i)) }
        }
        serial[0] = (serial[0] & 0x7F) | 0x40
        return RevokedCertificate(serialNumber: serial[...], revocationDate: time)
    }
}

// MARK: - Main

@main
struct PKICoreBenchmarks {
    static func main() {
        do {
            // The npkd section's child process: imports one file into a data directory and reports on it.
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.count == 4, arguments[0] == "--only", arguments[1] == "npkd-crl-import" {
                try NPKDBenchmarks.childImport(file: arguments[2], directory: arguments[3])
                return
            }
            // The npkdsync section's child process: syncs a data directory from a directory server and reports on it.
            if arguments.count == 6, arguments[0] == "--only", arguments[1] == "npkd-ldap-sync" {
                try NPKDSyncBenchmarks.childSync(url: arguments[2], base: arguments[3], passwordFile: arguments[4], directory: arguments[5])
                return
            }
            // The store section's nodes: DS issuance, or the border control service, on a given store.
            if arguments.count == 5, arguments[0] == "--only", arguments[1] == "store-issue-node", let seconds = Double(arguments[4]) {
                try StoreBenchmarks.childIssue(store: arguments[2], directory: arguments[3], seconds: seconds)
                return
            }
            if arguments.count == 4, arguments[0] == "--only", arguments[1] == "store-pa-node" {
                _ = BorderControlService.runConcurrencyOnEventLoops()  // as `epki npkd serve` runs
                try StoreBenchmarks.childPA(store: arguments[2], directory: arguments[3])
                return
            }
            if arguments.count >= 3, arguments[0] == "--profile", let seconds = Double(arguments[2]) {
                let options = try Options(arguments: Array(arguments.dropFirst(3)))
                if arguments[1] == "spoc" {
                    try SPOCBenchmarks.profileLoop(seconds: seconds, inFlight: options.spocInFlight.first ?? 1)
                    return
                }
                try LDSBenchmarks.profileLoop(arguments[1], seconds: seconds, imageBytes: options.dg2ImageBytes)
                return
            }
            let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
            if options.sections == [.sod] {
                // As `epki sod serve` runs: the service's requests stay on NIO's event loops.
                log("sod: Swift concurrency on NIO's event loops: \(SODSigningService.runConcurrencyOnEventLoops())")
            }
            if options.sections == [.npkd] {
                // As `epki npkd serve` runs: the service's requests stay on NIO's event loops.
                log("npkd: Swift concurrency on NIO's event loops: \(BorderControlService.runConcurrencyOnEventLoops())")
            }
            let machineBefore = machineDescription(openssl: options.openssl)
            log("machine: \(machineBefore)")
            log("sections: \(options.sections.map(\.rawValue).joined(separator: ", ")); \(options.rounds) rounds of \(options.roundSeconds) s per item and side")
            var sink = 0
            for section in options.sections {
                log("== \(section.rawValue)")
                let report: String
                switch section {
                case .core: report = try CoreBenchmarks.run(options, sink: &sink)
                case .pkcs11: report = try PKCS11Benchmarks.run(options, sink: &sink)
                case .csca: report = try CSCABenchmarks.run(options, sink: &sink)
                case .lds: report = try LDSBenchmarks.run(options, sink: &sink)
                case .cvc: report = try CVCBenchmarks.run(options, sink: &sink)
                case .npkd: report = try NPKDBenchmarks.run(options, sink: &sink)
                case .npkdimport: report = try NPKDImportBenchmarks.run(options, sink: &sink)
                case .npkdsync: report = try NPKDSyncBenchmarks.run(options, sink: &sink)
                case .card: report = try CardBenchmarks.run(options, sink: &sink)
                case .sod: report = try SODServiceBenchmarks.run(options, sink: &sink)
                case .sodhsm: report = try SODHSMBenchmarks.run(options, sink: &sink)
                case .perso: report = try PersoBenchmarks.run(options, sink: &sink)
                case .inspection: report = try InspectionBenchmarks.run(options, sink: &sink)
                case .spoc: report = try SPOCBenchmarks.run(options, sink: &sink)
                case .admin: report = try AdminBenchmarks.run(options, sink: &sink)
                case .store: report = try StoreBenchmarks.run(options, sink: &sink)
                }
                print(report)
                print("")
                fflush(nil)  // flush stdout (naming `stdout` is not concurrency-safe in Swift 6)
            }
            BenchToken.cleanUp(keep: options.keep)
            CardBenchmarks.PrivatePCSCD.stopShared(keep: options.keep)
            let machineAfter = machineDescription(openssl: options.openssl)
            log("machine after the run: \(machineAfter)")
            print("""
                Machine before: \(machineBefore)
                Machine after:  \(machineAfter)

                (sink \(sink & 0xFFFF))
                """)
        } catch let error as UsageError {
            log("error: \(error)\n\n\(Options.usage)")
            exit(2)
        } catch {
            log("error: \(error)")
            exit(1)
        }
    }
}

// MARK: - Core

/// Section `core`: PKICore against `openssl speed`.
enum CoreBenchmarks {
    struct SignatureCase {
        let name: String
        let key: KeySpecification
        let algorithm: SignatureAlgorithm
        let opensslAlgorithm: String
        let target: SpeedTarget
    }

    static func opensslRates(_ options: Options, _ algorithm: String, _ target: SpeedTarget, base: TimeBase, multi: Int = 1) throws -> OpenSSLRates {
        let output = try runOpenSSLSpeed(options.openssl, algorithm: algorithm, seconds: options.roundSeconds, base: base, multi: multi)
        guard let rates = parseSpeed(output, target: target) else {
            throw UsageError("cannot find the \(algorithm) figures in the openssl speed output:\n\(output)")
        }
        return rates
    }

    /// A composite operation against the raw sign rate: per round, `openssl speed` and then the epki loop.
    static func againstRawSign(
        _ options: Options, name: String, opensslAlgorithm: String, target: SpeedTarget, sink: inout Int,
        _ body: () throws -> Int
    ) throws -> Row {
        var epki: [Double] = []
        var openssl: [Double] = []
        for round in 1...options.rounds {
            log("  round \(round)/\(options.rounds): openssl speed \(opensslAlgorithm), then epki \(name)")
            openssl.append(try opensslRates(options, opensslAlgorithm, target, base: options.clock).sign)
            epki.append(try measure(seconds: options.roundSeconds, sink: &sink, body).per(options.clock))
        }
        return Row(operation: name, epki: epki, openssl: openssl, note: "vs. raw sign")
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let seconds = options.roundSeconds
        var rows: [Row] = []
        let messages = makeMessages()

        let p256 = SpeedTarget.ecdsa(bits: 256, label: "nistp256")
        let brainpool = SpeedTarget.ecdsa(bits: 256, label: "brainpoolP256r1")
        let cases = [
            SignatureCase(name: "ECDSA P-256 (named curve), SHA-256", key: .ec(.p256, parameters: .namedCurve),
                          algorithm: .ecdsa(.sha256), opensslAlgorithm: "ecdsap256", target: p256),
            SignatureCase(name: "ECDSA brainpoolP256r1 (explicit parameters), SHA-256",
                          key: .ec(.brainpoolP256r1, parameters: .explicit), algorithm: .ecdsa(.sha256),
                          opensslAlgorithm: "ecdsabrp256r1", target: brainpool),
            SignatureCase(name: "RSA-3072 RSASSA-PSS SHA-256", key: .rsa(bits: 3072), algorithm: .rsaPSS(.sha256),
                          opensslAlgorithm: "rsa3072", target: .rsa(bits: 3072)),
        ]
        var keys: [String: PrivateKey] = [:]

        // 1. Sign through Signer, verify through PublicKey.
        for item in cases {
            let key = try PrivateKey.generate(item.key)
            keys[item.opensslAlgorithm] = key
            let signer = SoftwareSigner(key: key)
            let publicKey = key.publicKey
            let signatures = try messages.map { try signer.sign($0, algorithm: item.algorithm) }
            var index = 0
            var signRates: [Double] = [], verifyRates: [Double] = []
            var opensslSign: [Double] = [], opensslVerify: [Double] = []
            for round in 1...options.rounds {
                log("  round \(round)/\(options.rounds): openssl speed \(item.opensslAlgorithm), then epki sign/verify \(item.name)")
                let reference = try opensslRates(options, item.opensslAlgorithm, item.target, base: options.clock)
                opensslSign.append(reference.sign)
                opensslVerify.append(reference.verify)
                signRates.append(try measure(seconds: seconds, sink: &sink) {
                    index &+= 1
                    return try signer.sign(messages[index & 15], algorithm: item.algorithm).count
                }.per(options.clock))
                verifyRates.append(try measure(seconds: seconds, sink: &sink) {
                    index &+= 1
                    let i = index & 15
                    guard try publicKey.isValidSignature(signatures[i], for: messages[i], algorithm: item.algorithm) else {
                        throw UsageError("a freshly made \(item.name) signature does not verify")
                    }
                    return 1
                }.per(options.clock))
            }
            rows.append(Row(operation: "Sign: \(item.name)", epki: signRates, openssl: opensslSign))
            rows.append(Row(operation: "Verify: \(item.name)", epki: verifyRates, openssl: opensslVerify))
        }

        // 2. DS certificate issuance, signed by a CSCA key on each curve.
        let issuer = try DistinguishedName(parsing: cscaName)
        let subject = try DistinguishedName(parsing: dsName)
        let now = Date()
        var p256Certificate: Certificate?
        var p256DocumentSigner: PrivateKey?
        for (name, spec, opensslAlgorithm, target) in [
            ("P-256", KeySpecification.ec(.p256, parameters: .namedCurve), "ecdsap256", p256),
            ("brainpoolP256r1 explicit", KeySpecification.ec(.brainpoolP256r1, parameters: .explicit), "ecdsabrp256r1", brainpool),
        ] {
            let csca = keys[opensslAlgorithm]!
            let cscaSigner = SoftwareSigner(key: csca)
            let cscaKeyIdentifier = try csca.publicKey.keyIdentifier
            let documentSigner = try PrivateKey.generate(spec)
            func issue() throws -> Certificate {
                try issueDocumentSignerCertificate(
                    issuer: issuer, issuerKeyIdentifier: cscaKeyIdentifier, subject: subject,
                    subjectKey: documentSigner.publicKey, signer: cscaSigner, now: now)
            }
            let certificate = try issue()
            guard try certificate.isSignatureValid(issuerKey: csca.publicKey), certificate.documentTypeList?.documentTypes == ["P"] else {
                throw UsageError("the benchmark DS certificate (\(name)) does not read back correctly")
            }
            rows.append(try againstRawSign(
                options, name: "Build DS certificate, CSCA \(name) (5 extensions)", opensslAlgorithm: opensslAlgorithm,
                target: target, sink: &sink) { try issue().encoded.count })
            if opensslAlgorithm == "ecdsap256" {
                p256DocumentSigner = documentSigner
                p256Certificate = certificate
            }
        }

        // 3. CMS SignedData (an EF.SOD): LDS security object, 300-byte content, DS key P-256, ContentInfo DER out.
        do {
            let certificate = p256Certificate!
            let signer = SoftwareSigner(key: p256DocumentSigner!)
            let content = Array(Array(messages.joined()).prefix(300))
                + [UInt8](repeating: 0x5A, count: max(0, 300 - messages.joined().count))
            precondition(content.count == 300)
            func build() throws -> [UInt8] {
                try SignedDataBuilder(eContentType: .ICAO.ldsSecurityObject, content: content, signerCertificate: certificate)
                    .sign(with: signer).contentInfoDER()
            }
            let check = try SignedData(contentInfoBytes: build())
            guard check.encapContentInfo.eContentType == .ICAO.ldsSecurityObject else {
                throw UsageError("the benchmark SignedData does not read back correctly")
            }
            rows.append(try againstRawSign(
                options, name: "Build CMS SignedData (LDS security object, 300 B) + ContentInfo DER, P-256",
                opensslAlgorithm: "ecdsap256", target: p256, sink: &sink) { try build().count })
        }

        // 4. CRL of N entries: build + sign (P-256), then parse + walk every entry. Each CRL is timed on its own.
        let crlEntries = options.crlEntries
        let crlTime = seconds * options.rounds
        var crlSummary: [String] = []
        do {
            let csca = keys["ecdsap256"]!
            let signer = SoftwareSigner(key: csca)
            let entries = try revokedEntries(count: crlEntries, date: now.addingTimeInterval(-86_400))
            let builder = try CRLBuilder(
                issuer: issuer, thisUpdate: now, nextUpdate: now.addingTimeInterval(90 * 86_400),
                authorityKeyIdentifier: csca.publicKey.keyIdentifier, crlNumber: CRLNumber(42))
            let crl = try builder.sign(entries: entries, with: signer)
            guard try crl.entryCount() == crlEntries, try crl.isSignatureValid(issuerKey: csca.publicKey) else {
                throw UsageError("the benchmark CRL does not read back correctly")
            }
            let bytes = crl.encoded

            // Each CRL's time in the chosen base: wall clock, or this thread's CPU time.
            let base = options.clock
            func timeEach(_ body: () throws -> Int) rethrows -> [Double] {
                let clock = ContinuousClock()
                sink &+= try body()  // warm-up
                var times: [Double] = []
                let end = clock.now + .seconds(crlTime)
                repeat {
                    let start = clock.now
                    let cpuStart = threadCPUSeconds()
                    sink &+= try body()
                    times.append(base == .wall ? durationSeconds(clock.now - start) : threadCPUSeconds() - cpuStart)
                } while clock.now < end
                return times.sorted()
            }
            log("  epki build + sign CRL of \(crlEntries) entries, \(crlTime) s")
            let build = try timeEach { try builder.sign(entries: entries, with: signer).encoded.count }
            log("  epki parse + iterate CRL of \(crlEntries) entries, \(crlTime) s")
            let parse = try timeEach {
                let parsed = try CertificateRevocationList(bytes: bytes)
                var seen = 0
                try parsed.forEachEntry { entry in seen &+= entry.serialNumber.count }
                guard seen == 16 * crlEntries else { throw UsageError("CRL walk saw \(seen / 16) entries") }
                return seen
            }
            func describe(_ what: String, _ times: [Double]) -> (Row, String) {
                let median = times[times.count / 2]
                let best = times[0]
                let row = Row(operation: "\(what), \(crlEntries) entries", epki: [Double(crlEntries) / median], openssl: [],
                              note: String(format: "entries/s; %.3f s per CRL (%@ time), median of %d", median, base.rawValue, times.count))
                let line = String(format: "  %@ (%@ time): %d runs, median %.3f s (%.0f entries/s), best %.3f s (%.0f entries/s), worst %.3f s",
                                  what, base.rawValue, times.count, median, Double(crlEntries) / median, best, Double(crlEntries) / best, times.last!)
                return (row, line)
            }
            let (buildRow, buildLine) = describe("Build + sign CRL (P-256)", build)
            let (parseRow, parseLine) = describe("Parse CRL + forEachEntry", parse)
            rows.append(buildRow)
            rows.append(parseRow)
            crlSummary = [
                "CRL: \(crlEntries) entries of 16-octet serials, \(bytes.count) bytes DER (\(String(format: "%.1f", Double(bytes.count) / 1_048_576)) MiB)",
                buildLine, parseLine,
            ]
        }

        var report = [
            "## core: PKICore against `openssl speed`",
            "",
            "\(options.rounds) rounds × \(seconds) s per item and side (`openssl speed \(options.clock == .wall ? "-elapsed " : "")-seconds \(seconds)` before each epki round); best round of each side shown. Time base: \(options.clock == .cpu ? "CPU time (epki: the measuring thread's user + system time; openssl speed: its user time)" : "wall clock on both sides").",
            "",
            table(rows),
            "",
        ]
        report += crlSummary
        return report.joined(separator: "\n")
    }
}
