// PKICoreBenchmarks: what PKICore's signing paths cost next to the raw OpenSSL primitive.
//
// Every signing-bound figure is a ratio to `openssl speed` measured in the same run on the same machine.
// The time per item is split into rounds; each round runs `openssl speed` and then the epki loop for the same
// number of seconds, so that a change of machine load during the run hits both sides alike. The table keeps
// the best round of each side (the least disturbed one) and shows the spread of the per-round ratios.
//
// Run from Benchmarks/:  swift run -c release PKICoreBenchmarks [--seconds N] [--rounds R] [--crl-entries N]

import Foundation
import PKICore

// MARK: - Options

struct Options {
    var seconds = 3
    var rounds = 3
    var crlEntries = 100_000
    var openssl = "openssl"

    /// Whole seconds per round (`openssl speed -seconds` takes an integer).
    var roundSeconds: Int { max(1, seconds / rounds) }

    static let usage = """
        usage: PKICoreBenchmarks [--seconds N] [--rounds R] [--crl-entries N] [--openssl PATH]

          --seconds N       measuring time per item and per side (openssl speed, epki loop); default 3
          --rounds R        split it into R alternating openssl/epki rounds of max(1, N/R) s; default 3
          --crl-entries N   entries in the benchmark CRL; default 100000
          --openssl PATH    the openssl command to compare with; default: openssl from PATH
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

struct Rate {
    let operations: Int
    let elapsed: Duration

    var seconds: Double {
        let c = elapsed.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    var perSecond: Double { Double(operations) / seconds }
}

/// Runs `body` repeatedly for `seconds` of wall time (monotonic clock), after a short warm-up, and returns how
/// many calls completed. `body` returns a value folded into `sink` so the optimiser cannot drop the work.
func measure(seconds: Int, sink: inout Int, _ body: () throws -> Int) rethrows -> Rate {
    let clock = ContinuousClock()
    // Warm-up: at least one call, and up to a quarter second, so caches and lazy OpenSSL state are primed.
    let warmupEnd = clock.now + .milliseconds(250)
    repeat { sink &+= try body() } while clock.now < warmupEnd

    let start = clock.now
    let deadline = start + .seconds(seconds)
    var count = 0
    var now = start
    repeat {
        sink &+= try body()
        count += 1
        now = clock.now
    } while now < deadline
    return Rate(operations: count, elapsed: now - start)
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

/// Runs `openssl speed -seconds S ALG` and returns its combined stdout and stderr.
func runOpenSSLSpeed(_ openssl: String, algorithm: String, seconds: Int) throws -> String {
    let process = Process()
    if openssl.contains("/") {
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = ["speed", "-seconds", String(seconds), algorithm]
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [openssl, "speed", "-seconds", String(seconds), algorithm]
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
    var ratioRange: (Double, Double)? {
        guard !openssl.isEmpty, openssl.count == epki.count else { return nil }
        let ratios = zip(epki, openssl).map { $0 / $1 }
        return (ratios.min()!, ratios.max()!)
    }
}

func format(_ value: Double) -> String {
    if value >= 1000 { return String(format: "%.0f", value) }
    if value >= 10 { return String(format: "%.1f", value) }
    return String(format: "%.2f", value)
}

func table(_ rows: [Row]) -> String {
    var lines = [
        "| Operation | epki ops/s | OpenSSL ops/s | Ratio (epki / OpenSSL) | Per-round ratios |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows {
        let openssl = row.bestOpenSSL.map(format) ?? "—"
        let ratio = row.ratio.map { String(format: "%.3f", $0) } ?? "—"
        let range = row.ratioRange.map { String(format: "%.2f–%.2f", $0.0, $0.1) } ?? "—"
        let name = row.note.isEmpty ? row.operation : "\(row.operation) (\(row.note))"
        lines.append("| \(name) | \(format(row.bestEPKI)) | \(openssl) | \(ratio) | \(range) |")
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

func runCommand(_ command: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command.contains("/") ? command : "/usr/bin/env")
    process.arguments = command.contains("/") ? arguments : [command] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
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
            try run(Options(arguments: Array(CommandLine.arguments.dropFirst())))
        } catch let error as UsageError {
            log("error: \(error)\n\n\(Options.usage)")
            exit(2)
        } catch {
            log("error: \(error)")
            exit(1)
        }
    }

    struct SignatureCase {
        let name: String
        let key: KeySpecification
        let algorithm: SignatureAlgorithm
        let opensslAlgorithm: String
        let target: SpeedTarget
    }

    static func opensslRates(_ options: Options, _ algorithm: String, _ target: SpeedTarget) throws -> OpenSSLRates {
        let output = try runOpenSSLSpeed(options.openssl, algorithm: algorithm, seconds: options.roundSeconds)
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
            openssl.append(try opensslRates(options, opensslAlgorithm, target).sign)
            epki.append(try measure(seconds: options.roundSeconds, sink: &sink, body).perSecond)
        }
        return Row(operation: name, epki: epki, openssl: openssl, note: "vs. raw sign")
    }

    static func run(_ options: Options) throws {
        let seconds = options.roundSeconds
        var sink = 0
        var rows: [Row] = []
        let messages = makeMessages()
        let machineBefore = machineDescription(openssl: options.openssl)

        log("machine: \(machineBefore)")
        log("\(options.rounds) rounds of \(seconds) s per item and side")

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
                let reference = try opensslRates(options, item.opensslAlgorithm, item.target)
                opensslSign.append(reference.sign)
                opensslVerify.append(reference.verify)
                signRates.append(try measure(seconds: seconds, sink: &sink) {
                    index &+= 1
                    return try signer.sign(messages[index & 15], algorithm: item.algorithm).count
                }.perSecond)
                verifyRates.append(try measure(seconds: seconds, sink: &sink) {
                    index &+= 1
                    let i = index & 15
                    guard try publicKey.isValidSignature(signatures[i], for: messages[i], algorithm: item.algorithm) else {
                        throw UsageError("a freshly made \(item.name) signature does not verify")
                    }
                    return 1
                }.perSecond)
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
            let cscaKeyIdentifier = csca.publicKey.keyIdentifier
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

            func timeEach(_ body: () throws -> Int) rethrows -> [Double] {
                let clock = ContinuousClock()
                sink &+= try body()  // warm-up
                var times: [Double] = []
                let end = clock.now + .seconds(crlTime)
                repeat {
                    let start = clock.now
                    sink &+= try body()
                    let c = (clock.now - start).components
                    times.append(Double(c.seconds) + Double(c.attoseconds) * 1e-18)
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
                              note: String(format: "entries/s; %.3f s per CRL, median of %d", median, times.count))
                let line = String(format: "  %@: %d runs, median %.3f s (%.0f entries/s), best %.3f s (%.0f entries/s), worst %.3f s",
                                  what, times.count, median, Double(crlEntries) / median, best, Double(crlEntries) / best, times.last!)
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

        let machineAfter = machineDescription(openssl: options.openssl)
        log("machine after the run: \(machineAfter)")
        print("""
            PKICore benchmarks: \(options.rounds) rounds × \(seconds) s per item and side (`openssl speed -seconds \(seconds)` \
            before each epki round); best round of each side shown.

            Machine before: \(machineBefore)
            Machine after:  \(machineAfter)

            """)
        print(table(rows))
        print("")
        for line in crlSummary { print(line) }
        print("\n(sink \(sink & 0xFFFF))")
    }
}
