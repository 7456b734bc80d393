// Section `csca`: the Country Signing CA on its store, per CSCA curve (brainpoolP256r1, then P-256).
//
//   1. DS certificate issuance through CountrySigningCA.issueDocumentSigner(subject:key: .publicKey(…)), with
//      public keys generated beforehand; each call is one store transaction (certificate row + audit entry,
//      committed with synchronous=FULL). Against `openssl speed` of the CSCA's curve, in alternating rounds.
//      Then the parts of one issuance, each timed on its own, to show where the time goes.
//   2. Revocation through CountrySigningCA.revoke(serial:) of the certificates issued in 1.
//   3. CRL generation through CountrySigningCA.issueCRLs() with N revoked certificates (default 100,000). The
//      revoked certificates beyond those of 2 are inserted straight into csca_certificate in one transaction
//      (kind 'ds', the active authority, revoked_at set), as rows shaped like the real ones (the DER of a real DS
//      certificate, distinct 16-octet serials and revocation times). Then the parts of one CRL, timed on their own.

import CSCA
import Foundation
import ICAOProfile
import PKICore
import Store

enum CSCABenchmarks {
    static let domain = "UT"
    static let cscaSubject = "C=UT,O=Utopia,CN=CSCA Utopia,serialNumber=001"
    static let dsSubject = "C=UT,O=Utopia,OU=Passports,CN=Document Signer"

    struct Curve {
        let name: String
        let key: KeySpecification
        let opensslAlgorithm: String
        let target: SpeedTarget
    }

    static let curves = [
        Curve(name: "brainpoolP256r1", key: .ec(.brainpoolP256r1, parameters: .explicit), opensslAlgorithm: "ecdsabrp256r1",
              target: .ecdsa(bits: 256, label: "brainpoolP256r1")),
        Curve(name: "P-256", key: .ec(.p256, parameters: .explicit), opensslAlgorithm: "ecdsap256",
              target: .ecdsa(bits: 256, label: "nistp256")),
    ]

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let root = try temporaryDirectory("epki-bench-csca")
        defer {
            if options.keep { log("  kept the data directories under \(root.path)") } else { try? FileManager.default.removeItem(at: root) }
        }
        var issuanceRows: [Row] = []
        var report: [String] = []
        var details: [String] = []
        for curve in curves {
            let (rows, lines) = try runCurve(curve, options, root.appendingPathComponent(curve.name), sink: &sink)
            issuanceRows += rows
            details += [""] + lines
        }
        report = [
            "## csca: CountrySigningCA on its store",
            "",
            "DS issuance through `CountrySigningCA.issueDocumentSigner(subject:key: .publicKey(…))`, each call one store transaction with its audit entry: \(options.rounds) rounds × \(options.roundSeconds) s (`openssl speed -elapsed -seconds \(options.roundSeconds)` and `openssl speed -seconds \(options.roundSeconds)` of the CSCA's curve before each epki round); best round of each side shown. The wall-clock row is the throughput; the CPU row divides the same calls by the issuing thread's CPU time (fsync waits excluded, robust against other load). One data directory per CSCA under \(FileManager.default.temporaryDirectory.path); the store commits every transaction with fsync (WAL, synchronous = FULL).",
            "",
            table(issuanceRows, unit: "ops/s", reference: "OpenSSL sign"),
        ]
        report += details
        return report.joined(separator: "\n")
    }

    /// Per-call times of one operation: wall clock and the calling thread's CPU time, each sorted on its own.
    struct Times {
        var wall: [Double] = []
        var cpu: [Double] = []
        var count: Int { wall.count }
        static func median(_ sorted: [Double]) -> Double { sorted[sorted.count / 2] }
        var medianWall: Double { Self.median(wall) }
        var medianCPU: Double { Self.median(cpu) }
    }

    /// Times `body` at least `minimumRuns` times and for at least `budget` seconds.
    static func timeEach(minimumRuns: Int, budget: Double, sink: inout Int, _ body: () throws -> Int) rethrows -> Times {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(budget * 1000))
        var times = Times()
        repeat {
            let start = clock.now
            let cpuStart = threadCPUSeconds()
            sink &+= try body()
            times.cpu.append(threadCPUSeconds() - cpuStart)
            times.wall.append(durationSeconds(clock.now - start))
        } while times.count < minimumRuns || clock.now < end
        times.wall.sort()
        times.cpu.sort()
        return times
    }


    static func runCurve(_ curve: Curve, _ options: Options, _ directory: URL, sink: inout Int) throws -> ([Row], [String]) {
        let seconds = options.roundSeconds
        log("  CSCA \(curve.name): data directory \(directory.path)")
        let store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations)
        let passphrase = Passphrase("benchmark passphrase")
        let ca = try CountrySigningCA(store: store, domain: domain, keys: SoftwareKeyProvider(store: store, passphrase: passphrase))
        var policy = CSCAPolicy()  // the defaults: explicit EC parameters, DS key usage 3 months, ["P"]
        policy.crlDistributionPoints = ["https://pkd.example/UT.crl"]  // mandatory in a CSCA certificate
        let csca = try ca.initialize(subject: DistinguishedName(parsing: cscaSubject), key: curve.key, policy: policy)
        let cscaKey = try csca.publicKey
        let subject = try DistinguishedName(parsing: dsSubject)
        let dsKeys = try (0..<32).map { _ in try PrivateKey.generate(curve.key).publicKey }

        // 1. DS issuance. The first certificate is checked: lints clean, verifies with the CSCA key.
        let first = try ca.issueDocumentSigner(subject: subject, key: .publicKey(dsKeys[0])).certificate
        let findings = ProfileLinter.lint(first, as: .documentSigner, issuer: csca)
        guard findings.isEmpty, try first.isSignatureValid(issuerKey: cscaKey), first.documentTypeList?.documentTypes == ["P"] else {
            throw UsageError("the DS certificate from the CSCA (\(curve.name)) does not check out: \(findings)")
        }
        var serials: [String] = [first.serialNumberHex]
        var epki: [Rate] = []
        var openssl: [Double] = []
        var opensslCPU: [Double] = []
        var index = 0
        for round in 1...options.rounds {
            log("  round \(round)/\(options.rounds): openssl speed \(curve.opensslAlgorithm), then CountrySigningCA.issueDocumentSigner")
            openssl.append(try CoreBenchmarks.opensslRates(options, curve.opensslAlgorithm, curve.target, base: .wall).sign)
            opensslCPU.append(try CoreBenchmarks.opensslRates(options, curve.opensslAlgorithm, curve.target, base: .cpu).sign)
            epki.append(try measure(seconds: seconds, sink: &sink) {
                index &+= 1
                let issued = try ca.issueDocumentSigner(subject: subject, key: .publicKey(dsKeys[index & 31]))
                serials.append(issued.certificate.serialNumberHex)
                return issued.certificate.encoded.count
            })
        }
        let rows = [
            Row(operation: "Issue DS certificate, CSCA \(curve.name): wall clock",
                epki: epki.map(\.perSecond), openssl: openssl, note: "vs. `openssl speed -elapsed` sign"),
            Row(operation: "Issue DS certificate, CSCA \(curve.name): CPU time of the issuing thread",
                epki: epki.map(\.perCPUSecond), openssl: opensslCPU, note: "vs. `openssl speed` sign, user CPU time"),
        ]
        let best = epki.max { $0.perSecond < $1.perSecond }!
        let perIssuance = 1e6 / best.perSecond
        let cpuPerIssuance = 1e6 / best.perCPUSecond

        // The parts of one issuance, each on its own.
        log("  parts of one issuance, \(seconds) s each")
        let authority = try ca.activeAuthority()
        let signer = try ca.keys.signer(for: authority.keyReference)
        let issuer = try ICAOCertificateIssuer(signer: signer, cscaCertificate: authority.certificate,
                                               crlDistributionPoints: policy.crlDistributionPoints)
        let now = Date()
        var parts: [(String, Rate)] = []
        parts.append(("activeAuthority() + policy(): 2 read transactions, CSCA certificate parse, policy JSON", try measure(seconds: seconds, sink: &sink) {
            let a = try ca.activeAuthority()
            let p = try ca.policy()
            return Int(a.id) &+ p.documentSignerKeyUsageMonths
        }))
        parts.append(("keys.signer(for:): read the CSCA key file, decrypt PKCS#8 (PBKDF2), parse", try measure(seconds: seconds, sink: &sink) {
            try ca.keys.signer(for: authority.keyReference).publicKey.keyIdentifier.count
        }))
        parts.append(("ICAOCertificateIssuer(signer:cscaCertificate:) (key match check)", try measure(seconds: seconds, sink: &sink) {
            try ICAOCertificateIssuer(signer: signer, cscaCertificate: authority.certificate,
                                      crlDistributionPoints: policy.crlDistributionPoints).crlDistributionPoints.count
        }))
        parts.append(("issuer.issueDocumentSigner: extensions, TBS, signature, certificate (in memory)", try measure(seconds: seconds, sink: &sink) {
            index &+= 1
            return try issuer.issueDocumentSigner(
                subject: subject, publicKey: dsKeys[index & 31], documentTypes: ["P"], keyUsageStart: now,
                keyUsageMonths: policy.documentSignerKeyUsageMonths, documentValidityYears: Double(policy.documentValidityYears),
                ecParameters: .explicit, serialNumber: try CertificateBuilder.randomSerialNumber()).encoded.count
        }))
        parts.append(("ProfileLinter.lint(DS, as: .documentSigner)", measure(seconds: seconds, sink: &sink) {
            ProfileLinter.lint(first, as: .documentSigner).count &+ 1
        }))
        parts.append(("(for comparison) store.write with only an AuditTrail.append: the commit floor", try measure(seconds: seconds, sink: &sink) {
            try store.write { db in
                try AuditTrail.append(db, domain: domain, action: "bench.commit", subject: "benchmark", details: ["n": "1"], now: now)
            }.sequence == 0 ? 0 : 1
        }))
        // The issuing transaction's own statements (those of CSCARepository.serialExists / insertCertificate and
        // AuditTrail.append), on a fresh random serial and the DER of a real DS certificate; the rows stay unrevoked.
        let firstDER = Data(first.derEncoded)
        parts.append(("store.write as in an issuance: serial-exists query, certificate INSERT, AuditTrail.append, COMMIT (fsync)", try measure(seconds: seconds, sink: &sink) {
            try store.write { db in
                let serial = try CertificateBuilder.randomSerialNumber().hexString
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM csca_certificate WHERE domain = ? AND serial = ?)",
                                        arguments: [domain, serial]) == false else { return 0 }
                try db.execute(
                    sql: """
                        INSERT INTO csca_certificate (domain, authority_id, kind, serial, subject, not_before, not_after, ski, key_reference, der, issued_at)
                        VALUES (?, ?, 'ds', ?, ?, ?, ?, ?, NULL, ?, ?)
                        """,
                    arguments: [domain, authority.id, serial, first.subject.description, first.notBefore.timeIntervalSince1970,
                                first.notAfter.timeIntervalSince1970, first.subjectKeyIdentifier?.hexString, firstDER, now.timeIntervalSince1970])
                try AuditTrail.append(db, domain: domain, action: "ds.issue", subject: first.subject.description,
                                      details: ["serial": serial, "notAfter": Time.iso8601(first.notAfter)], now: now)
                return 1
            }
        }))
        let counted = parts.filter { !$0.0.hasPrefix("(") }
        let accounted = counted.reduce(0) { $0 + 1e6 / $1.1.perSecond }
        let accountedCPU = counted.reduce(0) { $0 + 1e6 / $1.1.perCPUSecond }
        var lines = [
            String(format: "### CSCA %@: parts of one DS issuance (each timed alone for %d s; the full issuance, best round: %.0f µs wall, %.0f µs CPU)",
                   curve.name, seconds, perIssuance, cpuPerIssuance),
            "",
            "| Part | µs per call (wall) | µs per call (CPU of the thread) | Share of one issuance (wall) |",
            "|---|---:|---:|---:|",
        ]
        for (name, rate) in parts {
            let micros = 1e6 / rate.perSecond
            lines.append(String(format: "| %@ | %.1f | %.1f | %.0f %% |", name, micros, 1e6 / rate.perCPUSecond, 100 * micros / perIssuance))
        }
        lines.append(String(format: "| Rest: full issuance minus the parts above (except the comparison row) | %.1f | %.1f | %.0f %% |",
                            perIssuance - accounted, cpuPerIssuance - accountedCPU, 100 * (perIssuance - accounted) / perIssuance))

        // 2. Revocation through the API: one transaction + audit entry per certificate, for up to `seconds`.
        log("  revoke(serial:) of the issued certificates, up to \(seconds) s")
        let clock = ContinuousClock()
        var revoked = 0
        let revokeStart = clock.now
        let revokeEnd = revokeStart + .seconds(seconds)
        for serial in serials {
            try ca.revoke(serial: serial)
            revoked += 1
            if clock.now >= revokeEnd { break }
        }
        let revokeRate = Double(revoked) / durationSeconds(clock.now - revokeStart)

        // 3. The rest of the N revoked certificates, inserted directly in one transaction.
        let wanted = options.crlEntries
        let synthetic = max(0, wanted - revoked)
        log("  inserting \(synthetic) revoked DS certificates into csca_certificate in one transaction")
        let insertStart = clock.now
        try store.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO csca_certificate (domain, authority_id, kind, serial, subject, not_before, not_after, ski, key_reference, der, issued_at, revoked_at)
                VALUES (?, ?, 'ds', ?, ?, ?, ?, NULL, NULL, ?, ?, ?)
                """)
            let base = now.timeIntervalSince1970 - 300 * 86_400
            var state: UInt64 = 0x2545_F491_4F6C_DD1D
            for i in 0..<synthetic {
                var serial = [UInt8](repeating: 0, count: 16)
                for half in 0..<2 {
                    state &+= 0x9E37_79B9_7F4A_7C15  // splitmix64
                    var z = state
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    z ^= z >> 31
                    for b in 0..<8 { serial[half * 8 + b] = UInt8(truncatingIfNeeded: z >> (8 * b)) }
                }
                serial[0] = (serial[0] & 0x7F) | 0x40
                let revokedAt = base + Double(i) * (250 * 86_400 / Double(max(synthetic, 1)))
                try statement.execute(arguments: [domain, authority.id, serial.hexString, first.subject.description,
                                                  first.notBefore.timeIntervalSince1970, first.notAfter.timeIntervalSince1970,
                                                  firstDER, revokedAt - 30 * 86_400, revokedAt])
            }
        }
        let insertSeconds = durationSeconds(clock.now - insertStart)
        let revokedInStore = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM csca_certificate WHERE domain = ? AND authority_id = ? AND revoked_at IS NOT NULL",
                             arguments: [domain, authority.id]) ?? 0
        }

        // 4. CRL generation through the API, timed per call (each is one transaction that stores the CRL).
        log("  issueCRLs() with \(revokedInStore) revoked certificates, at least 3 runs and \(seconds * options.rounds) s")
        var crl: CertificateRevocationList?
        let crlTimes = try timeEach(minimumRuns: 3, budget: Double(seconds * options.rounds), sink: &sink) {
            let crls = try ca.issueCRLs()
            guard crls.count == 1 else { throw UsageError("issueCRLs() returned \(crls.count) CRLs, expected 1") }
            crl = crls[0]
            return crls[0].encoded.count
        }
        let lastCRL = crl!
        let entryCount = try lastCRL.entryCount()
        let crlFindings = ProfileLinter.lint(lastCRL, issuer: csca)
        let signatureValid = try lastCRL.isSignatureValid(issuerKey: cscaKey)
        guard entryCount == revokedInStore, crlFindings.isEmpty, signatureValid else {
            throw UsageError("the CRL (\(curve.name)) does not check out: \(entryCount) entries for \(revokedInStore) revoked, signature \(signatureValid), lint \(crlFindings)")
        }
        // OpenSSL's view, independently: `openssl crl -CAfile` checks the signature against the CSCA.
        try Data(csca.pemEncoded.utf8).write(to: directory.appendingPathComponent("csca.pem"))
        try Data(lastCRL.derEncoded).write(to: directory.appendingPathComponent("crl.der"))
        let opensslCheck = try runProcess(options.openssl, ["crl", "-inform", "DER", "-in", directory.appendingPathComponent("crl.der").path,
                                                            "-CAfile", directory.appendingPathComponent("csca.pem").path, "-noout"])
        let opensslVerdict = opensslCheck.output.contains("verify OK") ? "verify OK" : "did not verify: \(opensslCheck.output.trimmingCharacters(in: .whitespacesAndNewlines))"

        // The parts of one CRL, each on its own (median of 5).
        log("  parts of one CRL")
        let query = "SELECT serial, revoked_at FROM csca_certificate WHERE domain = ? AND authority_id = ? AND revoked_at IS NOT NULL ORDER BY revoked_at, serial"
        func median(_ body: () throws -> Int) rethrows -> (wall: Double, cpu: Double) {
            let times = try timeEach(minimumRuns: 5, budget: 0, sink: &sink, body)
            return (times.medianWall, times.medianCPU)
        }
        let scanOnly = try median {
            try store.read { db in
                var n = 0
                let cursor = try Store.Row.fetchCursor(db, sql: query, arguments: [domain, authority.id])
                while let row = try cursor.next() {
                    let serial: String = row["serial"]
                    let date: Double = row["revoked_at"]
                    n &+= serial.utf8.count &+ Int(date)
                }
                return n
            }
        }
        var entries: [RevokedCertificate] = []
        let scanAndEntries = try median {
            entries = try store.read { db in
                var list: [RevokedCertificate] = []
                let cursor = try Store.Row.fetchCursor(db, sql: query, arguments: [domain, authority.id])
                while let row = try cursor.next() {
                    let serial: String = row["serial"]
                    guard let bytes = [UInt8](hex: serial) else { continue }
                    list.append(try RevokedCertificate(serialNumber: bytes, revocationDate: Date(timeIntervalSince1970: row["revoked_at"])))
                }
                return list
            }
            return entries.count
        }
        let hexSerials = entries.map { $0.serialNumber.hexString }
        let hexOnly = median {
            var n = 0
            for serial in hexSerials { n &+= [UInt8](hex: serial)?.count ?? 0 }
            return n
        }
        let build = try median {
            try issuer.issueCRL(number: 1_000_000, thisUpdate: now, nextUpdate: now.addingTimeInterval(90 * 86_400), revoked: entries).encoded.count
        }
        let lint = median { ProfileLinter.lint(lastCRL, issuer: csca).count &+ 1 }
        let crlMedian = crlTimes.medianWall
        let crlMedianCPU = crlTimes.medianCPU
        let crlParts: [(String, (wall: Double, cpu: Double))] = [
            ("SQL: cursor over the revoked rows (serial, revoked_at), ORDER BY revoked_at, serial", scanOnly),
            ("… plus `[UInt8](hex:)` and `RevokedCertificate(serialNumber:revocationDate:)` per row",
             (scanAndEntries.wall - scanOnly.wall, scanAndEntries.cpu - scanOnly.cpu)),
            ("  (of which `[UInt8](hex:)` alone on the 16-octet serials)", hexOnly),
            ("ICAOCertificateIssuer.issueCRL: CRLBuilder.sign (build, sign, re-read)", build),
            ("ProfileLinter.lint(crl, issuer:): walk every entry, verify the signature", lint),
        ]
        let crlAccounted = (wall: scanAndEntries.wall + build.wall + lint.wall, cpu: scanAndEntries.cpu + build.cpu + lint.cpu)

        lines += [
            "",
            String(format: "### CSCA %@: revocation and CRL", curve.name),
            "",
            "| Operation | Result |",
            "|---|---:|",
            String(format: "| revoke(serial:) through the API (one transaction + audit entry each), %d certificates | %.0f revocations/s (%.0f µs each) |",
                   revoked, revokeRate, 1e6 / revokeRate),
            String(format: "| Direct INSERT of %d revoked rows, one transaction (setup, not the API) | %.2f s |", synthetic, insertSeconds),
            String(format: "| issueCRLs() with %d revoked certificates: median of %d, wall clock | %.3f s (%.0f entries/s) |",
                   revokedInStore, crlTimes.count, crlMedian, Double(revokedInStore) / crlMedian),
            String(format: "| issueCRLs(): best / worst, wall clock | %.3f s / %.3f s |", crlTimes.wall.first!, crlTimes.wall.last!),
            String(format: "| issueCRLs(): median CPU time of the calling thread | %.3f s (%.0f entries per CPU-second) |",
                   crlMedianCPU, Double(revokedInStore) / crlMedianCPU),
            "| CRL size | \(lastCRL.encoded.count) bytes DER (\(String(format: "%.1f", Double(lastCRL.encoded.count) / 1_048_576)) MiB), \(entryCount) entries |",
            "| CRL signature with the CSCA key (`isSignatureValid`) | \(signatureValid ? "valid" : "INVALID") |",
            "| `ProfileLinter.lint(crl, issuer: csca)` | \(crlFindings.isEmpty ? "clean (0 findings)" : "\(crlFindings.count) findings") |",
            "| `openssl crl -CAfile csca.pem` | \(opensslVerdict) |",
            "",
            String(format: "Parts of one issueCRLs() (median of 5 each; the whole call: %.3f s wall, %.3f s CPU):", crlMedian, crlMedianCPU),
            "",
            "| Part | s (wall) | s (CPU of the thread) | Share (CPU) |",
            "|---|---:|---:|---:|",
        ]
        for (name, time) in crlParts {
            lines.append(String(format: "| %@ | %.3f | %.3f | %.0f %% |", name, time.wall, time.cpu, 100 * time.cpu / crlMedianCPU))
        }
        lines.append(String(format: "| Rest: CRL number query, INSERT of the CRL blob + audit entry, COMMIT (fsync) | %.3f | %.3f | %.0f %% |",
                            crlMedian - crlAccounted.wall, crlMedianCPU - crlAccounted.cpu, 100 * (crlMedianCPU - crlAccounted.cpu) / crlMedianCPU))
        return (rows, lines)
    }
}
