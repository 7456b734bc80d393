// Section `npkd` (issue 7): the national public key directory, each part in a fresh data directory
// (NationalPKD over EPKIStore with CountrySigningCA.migrations + NationalPKD.migrations).
//
//   1. Master list import: the real ICAO master list (Vectors/csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml)
//      through importFile(atPath:options:) with its embedded signer trusted; clock fixed at 2025-08-01 (inside the
//      signer's validity, as the tests do).
//   2. Big CRL: a P-256 CSCA (explicit parameters) is trusted, a DS and CRL 1 revoking it are imported; then a CRL of
//      `--npkd-crl-entries` entries (1,000,000 by default) is built with CRLBuilder over a lazy sequence, written to a
//      file and imported by a child process (this executable, `--only npkd-crl-import FILE DATADIR`), which reports
//      the import time and its own getrusage(RUSAGE_SELF).ru_maxrss — the peak resident memory of the importing
//      process, with its baseline before the import. Meanwhile a second NationalPKD on the same directory (another
//      connection, as the service would open it) looks up the DS's revocation every 5 ms on a thread of its own;
//      the lookups inside the child's import window give p50/p99/max.
//   3. POST /v1/pa/verify throughput: a CSCA reached through a signed master list whose signer is trusted, a DS
//      and its CRL; one SOD (P-256, explicit-parameter certificates) over DG1 + DG2 (a JPEG of `--dg2-bytes`). The
//      BorderControlService listens on 127.0.0.1 (ephemeral port); one request is checked with curl (200, genuine),
//      then `wrk -t1 -cC -d<seconds>s --latency` posts the body (Lua script): C = 16 and 64, then C = 16 with a
//      second SOD whose DG2 holds a 206-byte image. The rate
//      is compared with `openssl speed -elapsed ecdsap256` verify (one process, and -multi 2).

import CSCA
import Foundation
import ICAOProfile
import LDS
import NPKD
import PKICore
import Store

enum NPKDBenchmarks {
    static let masterListVector = "Vectors/csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml"
    static let day: TimeInterval = 86_400

    static func openPKD(_ directory: URL, clock: any PKIClock = SystemClock()) throws -> NationalPKD {
        let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations + NationalPKD.migrations)
        return try NationalPKD(store: store, clock: clock)
    }

    /// The repository root: Benchmarks/.. (from this source file), or the current directory's parent.
    static func repositoryRoot() -> URL {
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: fromSource.appendingPathComponent(masterListVector).path) { return fromSource }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent()
    }

    /// A country's PKI: a P-256 CSCA with explicit parameters, as the profile linter requires.
    struct Country {
        let cscaSigner: SoftwareSigner
        let csca: Certificate
        let issuer: ICAOCertificateIssuer
        let now = Date()

        init() throws {
            cscaSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
            csca = try ICAOCertificateIssuer.selfSignedCSCA(
                subject: DistinguishedName(parsing: "C=UT,O=Government of UT,CN=CSCA UT"), signer: cscaSigner,
                keyUsageStart: now.addingTimeInterval(-30 * NPKDBenchmarks.day), crlDistributionPoints: ["https://pkd.example/UT.crl"],
                ecParameters: .explicit)
            issuer = try ICAOCertificateIssuer(signer: cscaSigner, cscaCertificate: csca)
        }

        func documentSigner() throws -> (certificate: Certificate, key: SoftwareSigner) {
            let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
            let certificate = try issuer.issueDocumentSigner(
                subject: DistinguishedName(parsing: "C=UT,CN=Document Signer 1"), publicKey: key.publicKey, documentTypes: ["P"],
                keyUsageStart: now.addingTimeInterval(-10 * NPKDBenchmarks.day), ecParameters: .explicit)
            return (certificate, key)
        }

        func crl(number: UInt64, revoked: [Certificate] = []) throws -> CertificateRevocationList {
            let thisUpdate = now.addingTimeInterval(-NPKDBenchmarks.day)
            return try issuer.issueCRL(number: number, thisUpdate: thisUpdate, nextUpdate: thisUpdate.addingTimeInterval(30 * NPKDBenchmarks.day),
                                       revoked: try revoked.map { try RevokedCertificate(serialNumber: Array($0.serialNumber), revocationDate: thisUpdate) })
        }

        /// A master list of the CSCA signed by a Master List Signer it issues; returns the list and the signer.
        func masterList() throws -> (bytes: [UInt8], signer: Certificate) {
            let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
            let signer = try issuer.issueListSigner(.masterList, subject: DistinguishedName(parsing: "C=UT,CN=Master List Signer"),
                                                    publicKey: key.publicKey, notBefore: now.addingTimeInterval(-20 * NPKDBenchmarks.day))
            let bytes = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: CscaMasterList(certificates: [csca]).derEncoded,
                                              signerCertificate: signer, signingTime: now.addingTimeInterval(-NPKDBenchmarks.day),
                                              additionalCertificates: [csca]).sign(with: key).contentInfoDER()
            return (bytes, signer)
        }
    }

    static func serial(_ index: Int) -> [UInt8] {
        [0x01, UInt8((index >> 16) & 0xFF), UInt8((index >> 8) & 0xFF), UInt8(index & 0xFF)]
    }

    static func maxRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss  // kilobytes on Linux
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func ms(_ value: Double) -> String { value.isNaN ? "—" : String(format: "%.2f ms", value) }
    static func met(_ ok: Bool) -> String { ok ? "yes" : "**no**" }

    // MARK: Child: the big CRL import

    /// `--only npkd-crl-import FILE DATADIR`: imports FILE into the NPKD in DATADIR and prints one RESULT line: wall and
    /// CPU seconds of `importFile`, resident memory before it (VmRSS) and at its peak (VmHWM, which starts afresh at
    /// exec), ru_maxrss (which Linux carries over from the parent across posix_spawn, so it can only be an upper
    /// bound), and what was imported.
    static func childImport(file: String, directory: String) throws {
        let pkd = try openPKD(URL(fileURLWithPath: directory))
        let baseline = maxRSSKilobytes()
        let baselineRSS = procStatusKilobytes("VmRSS")
        let progressReports = Slots<Int>(1)
        let start = Date()
        let cpuStart = processCPUSeconds()
        let clock = ContinuousClock.now
        let summary = try pkd.importFile(atPath: file, options: ImportOptions(progress: { report in
            if report.phase == "CRL entries" { progressReports.set(0, (progressReports.all[0] ?? 0) + 1) }
        }))
        let elapsed = durationSeconds(ContinuousClock.now - clock)
        let cpu = processCPUSeconds() - cpuStart
        let end = Date()
        print("RESULT seconds=\(elapsed) cpu=\(cpu) start=\(start.timeIntervalSince1970) end=\(end.timeIntervalSince1970) "
              + "baselineKB=\(baseline) maxrssKB=\(maxRSSKilobytes()) baselineRssKB=\(baselineRSS) hwmKB=\(procStatusKilobytes("VmHWM")) "
              + "entries=\(summary.crlEntries) certificates=\(summary.certificatesAddedTotal) crls=\(summary.crlsAdded) "
              + "records=\(summary.ldifRecords) progress=\(progressReports.all[0] ?? 0)")
    }

    /// A field of /proc/self/status in kilobytes (VmRSS, VmHWM); 0 when it cannot be read.
    static func procStatusKilobytes(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
    }

    /// User + system CPU time of this process.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    // MARK: Run

    static func run(_ options: Options, sink: inout Int) throws -> String {
        var rows: [String] = []
        var notes: [String] = []
        var directories: [URL] = []
        defer {
            if options.keep { log("kept: \(directories.map(\.path).joined(separator: " "))") } else {
                for d in directories { try? FileManager.default.removeItem(at: d) }
            }
        }

        // 1. The ICAO master list.
        do {
            let directory = try temporaryDirectory("epki-npkd-ml")
            directories.append(directory)
            let path = repositoryRoot().appendingPathComponent(masterListVector).path
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            guard let signer = try MasterListReader().read(bytes).signerCertificate else { throw UsageError("the ICAO master list has no signer") }
            let pkd = try openPKD(directory, clock: FixedClock(Date(timeIntervalSince1970: 1_754_006_400)))
            log("npkd: importing the ICAO master list (\(bytes.count) bytes)")
            let start = ContinuousClock.now
            let summary = try pkd.importFile(atPath: path, options: ImportOptions(trustSigners: [signer]))
            let seconds = durationSeconds(ContinuousClock.now - start)
            let stored = summary.certificatesAdded.values.reduce(0, +)
            rows.append("| ICAO master list import (\(bytes.count / 1024) KiB; \(stored) certificates added, \(summary.duplicatesMerged) duplicates merged, \(summary.nonConformant) non-conformant) | \(String(format: "%.2f s", seconds)) | — | — |")
        }

        // 2. The big CRL, imported by a child process while this one looks revocations up.
        do {
            let directory = try temporaryDirectory("epki-npkd-crl")
            directories.append(directory)
            let country = try Country()
            let ds = try country.documentSigner()
            let pkd = try openPKD(directory)
            _ = try pkd.trust(country.csca)
            _ = try pkd.importBytes(ds.certificate.derEncoded, source: "ds.der")
            _ = try pkd.importBytes(country.crl(number: 1, revoked: [ds.certificate]).derEncoded, source: "ut-1.crl")

            let entries = options.npkdCRLEntries
            let time = try Time(country.now.addingTimeInterval(-2 * day))
            let generation = ContinuousClock.now
            let big = try CRLBuilder(issuer: country.csca.subject, thisUpdate: country.now.addingTimeInterval(-day / 2),
                                     nextUpdate: country.now.addingTimeInterval(7 * day),
                                     authorityKeyIdentifier: country.csca.subjectKeyIdentifier ?? [], crlNumber: CRLNumber(2))
                .sign(entries: (0..<entries).lazy.map { RevokedCertificate(serialNumber: serial($0)[...], revocationDate: time) }, with: country.cscaSigner)
            let crlPath = directory.appendingPathComponent("ut-2-big.crl").path
            try Data(big.derEncoded).write(to: URL(fileURLWithPath: crlPath))
            let crlBytes = big.derEncoded.count
            log("npkd: built a CRL of \(entries) entries (\(crlBytes) bytes) in \(ContinuousClock.now - generation)")

            let issuer = country.csca.subjectKeyIdentifier?.hexString ?? ""
            let dsSerial = ds.certificate.serialNumberHex
            let reader = try openPKD(directory)
            _ = try reader.revocation(issuer: issuer, serial: dsSerial)  // warm the reader's connection

            let child = Process()
            child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            child.arguments = ["--only", "npkd-crl-import", crlPath, directory.path]
            let pipe = Pipe()
            child.standardOutput = pipe
            typealias Lookup = (at: Double, ms: Double, revoked: Bool)
            let lookups = Slots<[Lookup]>(1)
            let failure = Slots<String>(1)
            let done = Slots<Bool>(1)
            let readerThread = Thread {
                var seen: [Lookup] = []
                let started = ContinuousClock.now
                while done.all[0] == nil && ContinuousClock.now - started < .seconds(600) {
                    let start = ContinuousClock.now
                    do {
                        let answer = try reader.revocation(issuer: issuer, serial: dsSerial)
                        let latency = durationSeconds(ContinuousClock.now - start) * 1000
                        seen.append((Date().timeIntervalSince1970, latency, answer.status == .revoked))
                    } catch {
                        failure.set(0, "\(error)")
                        break
                    }
                    Thread.sleep(forTimeInterval: 0.005)
                }
                lookups.set(0, seen)
                done.set(0, true)
            }
            log("npkd: importing it in a child process, with lookups from this one")
            try child.run()
            readerThread.start()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            done.set(0, true)
            while lookups.all[0] == nil { Thread.sleep(forTimeInterval: 0.01) }
            guard child.terminationStatus == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
                throw UsageError("the CRL import child failed (status \(child.terminationStatus)): \(output)")
            }
            if let message = failure.all[0] { throw UsageError("a revocation lookup failed during the import: \(message)") }
            var fields: [String: Double] = [:]
            for pair in line.split(separator: " ").dropFirst() {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
            }
            let seconds = fields["seconds"] ?? .nan
            let peakMB = (fields["maxrssKB"] ?? 0) / 1024
            let baselineMB = (fields["baselineKB"] ?? 0) / 1024
            let imported = Int(fields["entries"] ?? 0)
            let all = lookups.all[0] ?? []
            let during = all.filter { $0.at >= (fields["start"] ?? 0) && $0.at <= (fields["end"] ?? 0) }
            let latencies = during.map(\.ms).sorted()
            let p50 = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99), maxLatency = latencies.last ?? .nan
            let revokedCount = during.filter(\.revoked).count
            // After the import: the big CRL is current, so the DS is good and an entry is found.
            let after = try reader.revocation(issuer: issuer, serial: dsSerial).status
            let hit = try reader.revocation(issuer: issuer, serial: serial(entries / 2).hexString).status
            guard imported == entries, after == .good, hit == .revoked else {
                throw UsageError("the big CRL import did not check out: \(imported) entries, DS \(after), entry \(hit)")
            }
            rows.append("| \(entries.formatted())-entry CRL import (\(crlBytes / 1_048_576) MiB DER; child process, \(Int(fields["progress"] ?? 0)) progress reports) | \(String(format: "%.2f s", seconds)) | < 10 s | \(met(seconds < 10)) |")
            rows.append("| Peak memory of the importing process (ru_maxrss; \(String(format: "%.0f", baselineMB)) MB before the import) | \(String(format: "%.0f MB", peakMB)) | < 300 MB | \(met(peakMB < 300)) |")
            rows.append("| Revocation lookups during the import, second NationalPKD on the same directory (\(during.count) lookups, every 5 ms; \(revokedCount) answered 'revoked' from CRL 1, \(during.count - revokedCount) 'good' from the big CRL once committed): p50 / p99 / max | \(ms(p50)) / \(ms(p99)) / \(ms(maxLatency)) | p99 < 20 ms | \(met(p99 < 20)) |")
            notes.append("big CRL: built in \(ContinuousClock.now - generation) total; \(all.count) lookups in all, \(during.count) inside the import window")
        }

        // 3. POST /v1/pa/verify on loopback.
        do {
            let directory = try temporaryDirectory("epki-npkd-pa")
            directories.append(directory)
            let country = try Country()
            let pkd = try openPKD(directory)
            let list = try country.masterList()
            _ = try pkd.importBytes(list.bytes, source: "ut.ml", options: ImportOptions(trustSigners: [list.signer]))
            let ds = try country.documentSigner()
            _ = try pkd.importBytes(ds.certificate.derEncoded, source: "ds.der")
            _ = try pkd.importBytes(country.crl(number: 1).derEncoded, source: "ut-1.crl")
            let sodSigner = try SODSigner(signer: ds.key, documentSigner: ds.certificate, verifyAfterSigning: true)
            func writeBody(imageBytes: Int) throws -> (size: Int, path: String, script: String) {
            let dataGroups = try LDSBenchmarks.makeDataGroups(imageBytes: imageBytes)
            let sod = try sodSigner.sign(dataGroups: dataGroups).encode()
            var groups: [String: String] = [:]
            for (number, bytes) in dataGroups { groups[String(number)] = Data(bytes).base64EncodedString() }
            let body = try JSONSerialization.data(withJSONObject: ["sod": Data(sod).base64EncodedString(), "dataGroups": groups] as [String: Any])
            let bodyPath = directory.appendingPathComponent("verify-\(imageBytes).json").path
            try body.write(to: URL(fileURLWithPath: bodyPath))
            let scriptPath = directory.appendingPathComponent("post-\(imageBytes).lua").path
            try """
                local f = io.open("\(bodyPath)", "rb")
                local body = f:read("*a")
                f:close()
                wrk.method = "POST"
                wrk.body = body
                wrk.headers["Content-Type"] = "application/json"
                """.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            return (body.count, bodyPath, scriptPath)
            }
            let bodies = [try writeBody(imageBytes: options.dg2ImageBytes), try writeBody(imageBytes: LDSBenchmarks.smallImageBytes)]
            let bodyPath = bodies[0].path
            let body = (count: bodies[0].size, 0)

            let service = BorderControlService(pkd: pkd)
            let port = Slots<Int>(1)
            let running = DispatchSemaphore(value: 0)
            let server = Task.detached {
                do {
                    try await service.run(host: "127.0.0.1", port: 0) { p in port.set(0, p); running.signal() }
                } catch {
                    log("npkd: the service stopped: \(error)")
                    running.signal()
                }
            }
            defer { server.cancel() }
            guard running.wait(timeout: .now() + 30) == .success, let boundPort = port.all[0] else { throw UsageError("the service did not start") }
            let url = "http://127.0.0.1:\(boundPort)/v1/pa/verify"
            let check = try runProcess("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                                                "--data-binary", "@\(bodyPath)", url])
            guard check.output.hasSuffix("\n200"), check.output.contains("\"genuine\":true") || check.output.contains("\"genuine\" : true") else {
                throw UsageError("POST /v1/pa/verify did not answer 200 genuine: \(check.output.prefix(600))")
            }
            log("npkd: service on 127.0.0.1:\(boundPort), request body \(body.count) bytes, one request checked (200, genuine)")

            let haveWRK = (try? runProcess("wrk", ["--version"]))?.output.contains("wrk") ?? false
            var best = 0.0
            if haveWRK {
                for (connections, item) in [(16, bodies[0]), (64, bodies[0]), (16, bodies[1])] {
                    let result = try runProcess("wrk", ["-t1", "-c\(connections)", "-d\(max(2, options.seconds))s", "--latency", "-s", item.script, url])
                    let parsed = parseWRK(result.output)
                    guard parsed.non2xx == 0, parsed.errors == 0, parsed.rate > 0 else {
                        throw UsageError("wrk reported errors or non-2xx answers:\n\(result.output)")
                    }
                    best = max(best, parsed.rate)
                    rows.append("| POST /v1/pa/verify, wrk -t1 -c\(connections) -d\(max(2, options.seconds))s (\(item.size) B body; \(parsed.requests) requests, all 200): req/s; latency p50 / p99 / max | \(format(parsed.rate)) req/s; \(parsed.p50) / \(parsed.p99) / \(parsed.max) | ≥ 5,000 req/s | \(met(parsed.rate >= 5000)) |")
                }
            } else {
                rows.append("| POST /v1/pa/verify | wrk not installed (apt-get install wrk) | ≥ 5,000 req/s | — |")
            }
            server.cancel()
            // The reference: raw P-256 verification, one process and two.
            let seconds = max(1, options.roundSeconds)
            let single = parseSpeed(try runOpenSSLSpeed(options.openssl, algorithm: "ecdsap256", seconds: seconds, base: .wall),
                                    target: .ecdsa(bits: 256, label: "nistp256"))
            let double = parseSpeed(try runOpenSSLSpeed(options.openssl, algorithm: "ecdsap256", seconds: seconds, base: .wall, multi: 2),
                                    target: .ecdsa(bits: 256, label: "nistp256"))
            if let single, let double, best > 0 {
                rows.append("| `openssl speed -elapsed ecdsap256` verify: 1 process / -multi 2 | \(format(single.verify)) / \(format(double.verify)) /s | — | — |")
                rows.append("| Best verify throughput / raw P-256 verify rate: 1 process / -multi 2 | \(String(format: "%.3f / %.3f", best / single.verify, best / double.verify)) | — | — |")
            }
            sink &+= Int(best)
        }

        return """
            ## npkd

            | Measurement | Result | Goal | Met |
            |---|---:|---:|---|
            \(rows.joined(separator: "\n"))

            \(notes.joined(separator: "\n"))
            """
    }

    struct WRKResult {
        var rate = 0.0
        var requests = 0
        var p50 = "—", p99 = "—", max = "—"
        var non2xx = 0
        var errors = 0
    }

    /// Reads `wrk --latency` output: Requests/sec, the latency distribution, the thread stats' max, errors.
    static func parseWRK(_ output: String) -> WRKResult {
        var result = WRKResult()
        for line in output.split(separator: "\n") {
            let t = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = t.first else { continue }
            if first == "Requests/sec:", t.count > 1 { result.rate = Double(t[1]) ?? 0 }
            if first == "50%", t.count > 1 { result.p50 = t[1] }
            if first == "99%", t.count > 1 { result.p99 = t[1] }
            if first == "Latency", t.count > 3 { result.max = t[3] }
            if t.count > 2, t[1] == "requests", t[2] == "in" { result.requests = Int(first) ?? 0 }
            if line.contains("Non-2xx or 3xx responses:"), let n = t.last.flatMap({ Int($0) }) { result.non2xx = n }
            if first == "Socket", line.contains("errors:") {
                result.errors = t.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        return result
    }
}
