// Section `lds` (issue 5): EF.SOD signing and passive authentication with software keys, per DS key:
// ECDSA P-256 (named curve), ECDSA brainpoolP256r1 (explicit parameters), RSA-3072 RSASSA-PSS SHA-256.
//
//   Setup  A CSCA (ICAOCertificateIssuer.selfSignedCSCA) and a DS certificate it issues (issueDocumentSigner, lints
//          clean: EC keys are written with explicit parameters), both on the case's key type. DG1 = a TD3 MRZ, DG2 = one face record with a JPEG of
//          `--dg2-bytes` (15,000 by default).
//   1. SODSigner.sign(dataGroups: [1: DG1, 2: DG2]).encode(), without and with the re-check
//      (`verifyAfterSigning`), against `openssl speed` sign of the same primitive.
//   2. SODBatchSigner(maxConcurrentTasks: 1 and 2).sign(32 documents) with the signer of 1 (no re-check). The work
//      runs on Swift's concurrency pool, so these rows use the CPU time of the whole process, and wall-clock time
//      against `openssl speed -elapsed` (1 task) and `openssl speed -elapsed -multi 2` (2 tasks).
//   3. PassiveAuthentication(trustSource: StaticTrustSource(cscas: [CSCA])), made once (its chain cache is kept):
//      verify(sod: bytes, dataGroups:).isGenuine, which must be true, against `openssl speed` verify.
//   Then the parts of one signature and of one verification, each timed alone.

import CSCA
import Foundation
import ICAOProfile
import LDS
import PKICore

enum LDSBenchmarks {
    struct Case {
        let name: String
        let key: KeySpecification
        /// How the CSCA and DS certificates write the EC key's parameters.
        let ecParameters: ECParameterEncoding
        /// Of the certificates and of the SOD; nil takes the key's default (ECDSA with SHA-256 here).
        let signatureAlgorithm: SignatureAlgorithm?
        let opensslAlgorithm: String
        let target: SpeedTarget
        let signGoal: Double
        let verifyGoal: Double?
    }

    static let cases = [
        // The certificates write explicit EC parameters for every curve, as Doc 9303-12 §4.1.6 requires (the
        // profile linter refuses a named curve); the P-256 keys themselves are generated on the named curve.
        Case(name: "ECDSA P-256", key: .ec(.p256, parameters: .namedCurve), ecParameters: .explicit, signatureAlgorithm: nil,
             opensslAlgorithm: "ecdsap256", target: .ecdsa(bits: 256, label: "nistp256"), signGoal: 0.7, verifyGoal: 0.7),
        Case(name: "ECDSA brainpoolP256r1 explicit", key: .ec(.brainpoolP256r1, parameters: .explicit), ecParameters: .explicit,
             signatureAlgorithm: nil, opensslAlgorithm: "ecdsabrp256r1", target: .ecdsa(bits: 256, label: "brainpoolP256r1"),
             signGoal: 0.95, verifyGoal: nil),
        Case(name: "RSA-3072 PSS SHA-256", key: .rsa(bits: 3072), ecParameters: .namedCurve, signatureAlgorithm: .rsaPSS(.sha256),
             opensslAlgorithm: "rsa3072", target: .rsa(bits: 3072), signGoal: 0.95, verifyGoal: nil),
    ]

    static let cscaSubject = "C=UT,O=Utopia,CN=CSCA Utopia,serialNumber=001"
    static let dsSubject = "C=UT,O=Utopia,OU=Passports,CN=Document Signer"
    static let td3Lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    static let documentsPerBatch = 32
    /// The JPEG size of the LDS tests' sample face, for the one row that shows what a tiny DG2 changes.
    static let smallImageBytes = 206

    /// DG1 (TD3 MRZ) and DG2 (one face, a JPEG of `imageBytes`), encoded as they go onto the chip.
    static func makeDataGroups(imageBytes: Int) throws -> [Int: [UInt8]] {
        let dg1 = DG1(mrz: try MRZ(lines: td3Lines)).encode()
        var generator = SystemRandomNumberGenerator()
        let body = (0..<max(0, imageBytes - 6)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + body + [0xFF, 0xD9]
        let face = FaceImage(imageData: jpeg, imageDataType: .jpeg, width: 480, height: 640)
        let dg2 = DG2(faces: [FacialRecord(images: [face])]).encode()
        return [1: dg1, 2: dg2]
    }

    struct Fixture {
        let csca: Certificate
        let documentSigner: Certificate
        let dsSigner: SoftwareSigner
        /// `verifyAfterSigning: false`.
        let signer: SODSigner
        /// `verifyAfterSigning: true`.
        let checkingSigner: SODSigner
    }

    static func makeFixture(_ item: Case) throws -> Fixture {
        let now = Date()
        let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
        let csca = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: DistinguishedName(parsing: cscaSubject), signer: cscaSigner, signatureAlgorithm: item.signatureAlgorithm,
            keyUsageStart: now.addingTimeInterval(-2 * 86_400), crlDistributionPoints: ["https://pkd.example/UT.crl"],
            ecParameters: item.ecParameters)
        let issuer = try ICAOCertificateIssuer(signer: cscaSigner, cscaCertificate: csca, signatureAlgorithm: item.signatureAlgorithm)
        let dsKey = try PrivateKey.generate(item.key)
        let ds = try issuer.issueDocumentSigner(
            subject: DistinguishedName(parsing: dsSubject), publicKey: dsKey.publicKey, documentTypes: ["P"],
            keyUsageStart: now.addingTimeInterval(-86_400), ecParameters: item.ecParameters)
        let findings = ProfileLinter.lint(ds, as: .documentSigner, issuer: csca)
        guard findings.isEmpty, try ds.isSignatureValid(issuerKey: csca.publicKey) else {
            throw UsageError("the benchmark DS certificate (\(item.name)) does not check out: \(findings)")
        }
        let dsSigner = SoftwareSigner(key: dsKey)
        return Fixture(
            csca: csca, documentSigner: ds, dsSigner: dsSigner,
            signer: try SODSigner(signer: dsSigner, documentSigner: ds, signatureAlgorithm: item.signatureAlgorithm, verifyAfterSigning: false),
            checkingSigner: try SODSigner(signer: dsSigner, documentSigner: ds, signatureAlgorithm: item.signatureAlgorithm, verifyAfterSigning: true))
    }

    /// One operation in a loop for `seconds`, for a profiler to attribute: nothing else runs in the process.
    static func profileLoop(_ operation: String, seconds: Double, imageBytes: Int) throws {
        let fixture = try makeFixture(cases[0])
        let dataGroups = try makeDataGroups(imageBytes: imageBytes)
        let sods = try (0..<16).map { _ in try fixture.signer.sign(dataGroups: dataGroups).encode() }
        let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [fixture.csca]))
        let hashes = try dataGroups.mapValues { try HashAlgorithm.sha256.hash($0) }
        let end = Date().addingTimeInterval(seconds)
        let cpuStart = threadCPUSeconds()
        var count = 0
        var sink = 0
        while Date() < end {
            for index in 0..<64 {
                switch operation {
                case "sod-sign": sink &+= try fixture.signer.sign(dataGroups: dataGroups).encode().count
                case "sod-sign-hashes": sink &+= try fixture.signer.sign(dataGroupHashes: hashes).encode().count
                case "pa":
                    guard verifier.verify(sod: sods[index % sods.count], dataGroups: dataGroups).isGenuine else {
                        throw UsageError("passive authentication failed in the profile loop")
                    }
                default: throw UsageError("--profile: unknown operation '\(operation)' (sod-sign, sod-sign-hashes, pa)")
                }
                count += 1
            }
        }
        let cpu = threadCPUSeconds() - cpuStart
        log("profile \(operation): \(count) operations in \(seconds) s: \(Int(Double(count) / cpu))/s of CPU time, \(Int(Double(count) / seconds))/s wall (sink \(sink & 1))")
    }

    // MARK: Batch

    struct BatchRate {
        /// Documents per second of wall-clock time.
        var wall: Double
        /// Documents per CPU-second of the whole process (all threads of the concurrency pool).
        var cpu: Double
        /// Cores the process kept busy on average: its CPU time over the wall-clock time.
        var cores: Double { wall / cpu }
    }

    /// Runs one `SODBatchSigner.sign` from synchronous code: a task on the concurrency pool, waited for here.
    static func signBatch(_ batch: SODBatchSigner, _ documents: [SODBatchSigner.Document]) -> [SODBatchSigner.Outcome] {
        let result = Slots<[SODBatchSigner.Outcome]>(1)
        let done = DispatchSemaphore(value: 0)
        Task {
            result.set(0, await batch.sign(documents))
            done.signal()
        }
        done.wait()
        return result.all[0]!  // set before the signal
    }

    /// Batches of `documents`, for `seconds` after a 0.25-s warm-up; every outcome must be a SOD.
    static func measureBatch(_ batch: SODBatchSigner, _ documents: [SODBatchSigner.Document], seconds: Int, sink: inout Int) throws -> BatchRate {
        func once() throws -> Int {
            let outcomes = signBatch(batch, documents)
            guard outcomes.count == documents.count else { throw UsageError("SODBatchSigner returned \(outcomes.count) of \(documents.count) outcomes") }
            var total = 0
            for outcome in outcomes { total &+= try outcome.get().securityObject.dataGroupHashValues.count }
            return total
        }
        let clock = ContinuousClock()
        let warmupEnd = clock.now + .milliseconds(250)
        repeat { sink &+= try once() } while clock.now < warmupEnd
        let cpuStart = processCPUSeconds()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        var batches = 0
        var now = start
        repeat {
            sink &+= try once()
            batches += 1
            now = clock.now
        } while now < deadline
        let signed = Double(batches * documents.count)
        return BatchRate(wall: signed / durationSeconds(now - start), cpu: signed / max(processCPUSeconds() - cpuStart, 1e-9))
    }

    // MARK: Run

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let seconds = options.roundSeconds
        let base = options.clock
        let dataGroups = try makeDataGroups(imageBytes: options.dg2ImageBytes)
        let smallDataGroups = try makeDataGroups(imageBytes: smallImageBytes)
        let documents = (0..<documentsPerBatch).map { SODBatchSigner.Document(identifier: "UTO-\($0)", dataGroups: dataGroups) }
        let dgSizes = "DG1 \(dataGroups[1]!.count) B, DG2 \(dataGroups[2]!.count) B"

        var signRows: [Row] = []
        var batchRows: [Row] = []
        var verifyRows: [Row] = []
        var goals: [String] = []
        var partNames: [String] = []
        var parts: [String: [String]] = [:]  // part → µs per case, in the order of `cases`
        var notes: [String] = []

        for item in cases {
            log("  \(item.name): CSCA, DS certificate, keys")
            let f = try makeFixture(item)

            // Checks: a re-checked SOD, and passive authentication of the SODs that are measured.
            _ = try f.checkingSigner.sign(dataGroups: dataGroups)
            let sods = try (0..<16).map { _ in try f.signer.sign(dataGroups: dataGroups).encode() }
            let pa = PassiveAuthentication(trustSource: StaticTrustSource(cscas: [f.csca]))
            for sod in sods {
                let result = pa.verify(sod: sod, dataGroups: dataGroups)
                guard result.isGenuine else { throw UsageError("passive authentication of a fresh SOD (\(item.name)) fails:\n\(result)") }
            }
            let statuses = pa.verify(sod: sods[0], dataGroups: dataGroups).report.checks
                .map { "\($0.name): \($0.status.rawValue)" }.joined(separator: "; ")
            notes.append("  \(item.name): SOD \(sods[0].count) B (\(dgSizes)); DS certificate \(f.documentSigner.encoded.count) B; PA checks: \(statuses)")

            var refSign: [Double] = [], refVerify: [Double] = [], refCPU: [Double] = [], refWall: [Double] = [], refWall2: [Double] = []
            var sign: [Double] = [], signChecked: [Double] = [], signSmall: [Double] = [], signHashes: [Double] = [], verify: [Double] = []
            let dataGroupHashes = try dataGroups.mapValues { try HashAlgorithm.sha256.hash($0) }
            var batch1: [BatchRate] = [], batch2: [BatchRate] = []
            var index = 0
            for round in 1...options.rounds {
                log("  round \(round)/\(options.rounds): openssl speed \(item.opensslAlgorithm) (\(base == .cpu ? "cpu, " : "")-elapsed, -elapsed -multi 2), then SOD sign / batch / PA \(item.name)")
                let reference = try CoreBenchmarks.opensslRates(options, item.opensslAlgorithm, item.target, base: base)
                refSign.append(reference.sign)
                refVerify.append(reference.verify)
                refCPU.append(base == .cpu ? reference.sign : try CoreBenchmarks.opensslRates(options, item.opensslAlgorithm, item.target, base: .cpu).sign)
                refWall.append(base == .wall ? reference.sign : try CoreBenchmarks.opensslRates(options, item.opensslAlgorithm, item.target, base: .wall).sign)
                refWall2.append(try CoreBenchmarks.opensslRates(options, item.opensslAlgorithm, item.target, base: .wall, multi: 2).sign)

                sign.append(try measure(seconds: seconds, sink: &sink) { try f.signer.sign(dataGroups: dataGroups).encode().count }.per(base))
                signHashes.append(try measure(seconds: seconds, sink: &sink) { try f.signer.sign(dataGroupHashes: dataGroupHashes).encode().count }.per(base))
                signChecked.append(try measure(seconds: seconds, sink: &sink) { try f.checkingSigner.sign(dataGroups: dataGroups).encode().count }.per(base))
                if item.opensslAlgorithm == "ecdsap256" {
                    signSmall.append(try measure(seconds: seconds, sink: &sink) { try f.signer.sign(dataGroups: smallDataGroups).encode().count }.per(base))
                }
                batch1.append(try measureBatch(SODBatchSigner(sodSigner: f.signer, maxConcurrentTasks: 1), documents, seconds: seconds, sink: &sink))
                batch2.append(try measureBatch(SODBatchSigner(sodSigner: f.signer, maxConcurrentTasks: 2), documents, seconds: seconds, sink: &sink))
                verify.append(try measure(seconds: seconds, sink: &sink) {
                    index &+= 1
                    guard pa.verify(sod: sods[index & 15], dataGroups: dataGroups).isGenuine else {
                        throw UsageError("passive authentication (\(item.name)) stopped saying genuine")
                    }
                    return 1
                }.per(base))
            }

            let signRow = Row(operation: "SOD sign, \(item.name): without re-check", epki: sign, openssl: refSign)
            signRows.append(signRow)
            let hashesRow = Row(operation: "SOD sign, \(item.name): without re-check, from the data groups' SHA-256 (`sign(dataGroupHashes:)`)",
                                epki: signHashes, openssl: refSign)
            signRows.append(hashesRow)
            let checkedRow = Row(operation: "SOD sign, \(item.name): with re-check (`verifyAfterSigning: true`)", epki: signChecked, openssl: refSign)
            signRows.append(checkedRow)
            if !signSmall.isEmpty {
                signRows.append(Row(operation: "SOD sign, \(item.name): without re-check, DG2 with a \(smallImageBytes)-byte image (as in the LDS tests)",
                                    epki: signSmall, openssl: refSign))
            }
            batchRows.append(Row(operation: "SODBatchSigner, \(item.name), 1 task: CPU time of the process", epki: batch1.map(\.cpu), openssl: refCPU,
                                 note: "vs. `openssl speed` sign"))
            batchRows.append(Row(operation: "SODBatchSigner, \(item.name), 2 tasks: CPU time of the process", epki: batch2.map(\.cpu), openssl: refCPU,
                                 note: "vs. `openssl speed` sign"))
            batchRows.append(Row(operation: "SODBatchSigner, \(item.name), 1 task: wall clock", epki: batch1.map(\.wall), openssl: refWall,
                                 note: "vs. `openssl speed -elapsed` sign"))
            batchRows.append(Row(operation: "SODBatchSigner, \(item.name), 2 tasks: wall clock", epki: batch2.map(\.wall), openssl: refWall2,
                                 note: "vs. `openssl speed -elapsed -multi 2` sign"))
            func median(_ values: [Double]) -> Double { let v = values.sorted(); return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2 }
            notes.append(String(format: "  %@: cores kept busy (CPU time ÷ wall time, median of the rounds): SODBatchSigner 1 task %.2f, 2 tasks %.2f; `openssl speed -multi 2` (its -elapsed rate ÷ the CPU-time rate) %.2f",
                                item.name, median(batch1.map(\.cores)), median(batch2.map(\.cores)), median(zip(refWall2, refCPU).map { $0 / $1 })))
            let verifyRow = Row(operation: "Passive authentication, \(item.name) (chain cached)", epki: verify, openssl: refVerify)
            verifyRows.append(verifyRow)

            func verdict(_ row: Row, _ goal: Double) -> String {
                let median = row.medianRatio ?? 0
                return String(format: "%.3f (median), goal ≥ %.2f: %@", median, goal, median >= goal ? "met" : "MISSED")
            }
            // Signing from whole data groups also hashes them, which the raw rate does not: even with nothing else to
            // do, the ratio could be at most raw-signature time / (raw-signature time + hashing time).
            let hashingRate = try measure(seconds: 1, sink: &sink) {
                try HashAlgorithm.sha256.hash(dataGroups[1] ?? []).count + HashAlgorithm.sha256.hash(dataGroups[2] ?? []).count
            }.per(base)
            let rawSign = signRow.openssl.sorted()[signRow.openssl.count / 2]
            let cap = (1 / rawSign) / (1 / rawSign + 1 / hashingRate)
            goals.append("  \(item.name): signing without re-check \(verdict(signRow, item.signGoal)) (from whole data groups: "
                          + String(format: "hashing them caps this at %.3f", cap) + "); from the hashes \(verdict(hashesRow, item.signGoal))"
                          + (item.verifyGoal.map { "; passive authentication \(verdict(verifyRow, $0))" } ?? "")
                          + String(format: "; with re-check %.3f", checkedRow.medianRatio ?? 0))

            // The parts of one SOD and of one verification, each timed alone: one run of `seconds` each, after the rounds.
            log("  parts of one SOD and one verification, \(item.name), \(seconds) s each")
            func part(_ name: String, _ body: () throws -> Int) throws {
                let rate = try measure(seconds: seconds, sink: &sink, body).per(base)
                if parts[name] == nil { partNames.append(name); parts[name] = [] }
                parts[name]!.append(String(format: "%.1f", 1e6 / rate))
            }
            let securityObject = try LDSSecurityObject(hash: .sha256, dataGroups: dataGroups).encode()
            func buildSignedData() throws -> SignedData {
                try SignedDataBuilder(
                    eContentType: .ICAO.ldsSecurityObject, content: securityObject, signerCertificate: f.documentSigner,
                    identification: .issuerAndSerialNumber, signingTime: Date()
                ).sign(with: f.dsSigner, algorithm: item.signatureAlgorithm)
            }
            let signedData = try buildSignedData()
            let signerInfo = signedData.signerInfos[0]
            var attributes = Array(signerInfo.signedAttributesEncoded!)
            attributes[0] = 0x31
            let algorithm = try SignatureAlgorithm(algorithmIdentifier: signerInfo.signatureAlgorithm, digestHint: .sha256)
            let efsod = try EFSOD(signedData: signedData)
            let dsKey = try f.documentSigner.publicKey
            let signature = Array(signerInfo.signature)
            let parsed = try EFSOD(bytes: sods[0])
            let result = pa.verify(sod: sods[0], dataGroups: dataGroups)
            let ds = f.documentSigner

            try part("sign: whole `sign(dataGroups:).encode()`, without re-check") { try f.signer.sign(dataGroups: dataGroups).encode().count }
            try part("sign: SHA-256 of DG1 and DG2 (\(dgSizes))") { try HashAlgorithm.sha256.hash(dataGroups[1]!).count &+ HashAlgorithm.sha256.hash(dataGroups[2]!).count }
            try part("sign: `LDSSecurityObject(hash:dataGroups:)` + `encode()` (includes the two hashes)") {
                try LDSSecurityObject(hash: .sha256, dataGroups: dataGroups).encode().count
            }
            try part("sign: `SignedDataBuilder.sign` (attributes, signature, SignedData; includes the signature)") { try buildSignedData().signerInfos.count }
            try part("sign: … of which the signature: `SoftwareSigner.sign` of the signed attributes (\(attributes.count) B)") {
                try f.dsSigner.sign(attributes, algorithm: algorithm).count
            }
            try part("sign: `EFSOD(signedData:)` (reads the security object back)") { try EFSOD(signedData: signedData).securityObject.version &+ 1 }
            try part("sign: `EFSOD.encode()` (ContentInfo DER + tag 77)") { try efsod.encode().count }
            try part("re-check: `SODSigner.verify(_:dataGroups:)`") {
                try f.checkingSigner.verify(efsod, dataGroups: dataGroups)
                return 1
            }
            try part("PA: whole `verify(sod: bytes, dataGroups:).isGenuine`") { pa.verify(sod: sods[0], dataGroups: dataGroups).isGenuine ? 1 : 0 }
            try part("PA: `EFSOD(bytes:)` (SOD, SignedData, DS certificate, security object)") { try EFSOD(bytes: sods[0]).securityObject.version &+ 1 }
            let dsBytes = f.documentSigner.derEncoded
            try part("PA: `Certificate(bytes:)` of the DS certificate, uncached (`EFSOD(bytes:)` takes it from the process-wide cache)") { try Certificate(bytes: dsBytes).encoded.count }
            try part("PA: `PassiveAuthentication.verify(sod: EFSOD, …)` (all but the parse)") {
                pa.verify(sod: parsed, dataGroups: dataGroups).report.checks.count
            }
            try part("PA: … `SignedData.verify(signerCertificate:signerKey:)` (CMS checks, key decoded)") {
                parsed.signedData.verify(signerCertificate: f.documentSigner, signerKey: dsKey).checks.count
            }
            try part("PA: … of which the signature: `PublicKey.isValidSignature`") {
                guard try dsKey.isValidSignature(signature, for: attributes, algorithm: algorithm) else { throw UsageError("signature check failed") }
                return 1
            }
            try part("PA: … SHA-256 of DG1 and DG2") { try HashAlgorithm.sha256.hash(dataGroups[1]!).count &+ HashAlgorithm.sha256.hash(dataGroups[2]!).count }
            try part("PA: … `DG1(bytes:)` (read once, for the document type and the MRZ)") { try DG1(bytes: dataGroups[1]!).mrz.documentNumber.count }
            try part("PA: … DS extensions decoded for the checks: `keyUsage`, `privateKeyUsagePeriod`, `documentTypeList`") {
                (ds.keyUsage == nil ? 0 : 1) &+ (ds.privateKeyUsagePeriod == nil ? 0 : 1) &+ (ds.documentTypeList == nil ? 0 : 1)
            }
            try part("PA: … report text: one `DistinguishedName.description` (the DS subject; texts of passed checks are written only when the report is read)") { ds.subject.description.utf8.count }
            try part("PA: … report text: one `Time.iso8601` (likewise)") { Time.iso8601(Date()).utf8.count }
            try part("PA: `PassiveAuthenticationResult.isGenuine`") { result.isGenuine ? 1 : 0 }
        }

        var report = [
            "## lds: EF.SOD signing and passive authentication (software keys)",
            "",
            "\(options.rounds) rounds × \(seconds) s per item and side; per round `openssl speed -seconds \(seconds)` of the DS key's primitive (and `-elapsed`, `-elapsed -multi 2` for the batch wall-clock rows) before the epki loops; best round of each side shown. Time base of the signing and verification rows: \(base == .cpu ? "CPU time (epki: the measuring thread's user + system time; openssl speed: its user time)" : "wall clock on both sides"). Data groups: \(dgSizes) (TD3 MRZ; one face, JPEG of \(options.dg2ImageBytes) B).",
            "",
            "Signing, `SODSigner(…).sign(dataGroups: [1: DG1, 2: DG2]).encode()` (vs. `openssl speed` sign):",
            "",
            table(signRows),
            "",
            "`SODBatchSigner(sodSigner:maxConcurrentTasks:).sign(_:)`, batches of \(documentsPerBatch) documents, no re-check (outcomes checked, not encoded):",
            "",
            table(batchRows, unit: "ops/s", reference: "OpenSSL sign"),
            "",
            "Passive authentication, `PassiveAuthentication(trustSource: StaticTrustSource(cscas: [CSCA]))` made once, `verify(sod: bytes, dataGroups:).isGenuine` over 16 SODs of the same DS (vs. `openssl speed` verify):",
            "",
            table(verifyRows),
            "",
            "Goals (issue 5), median of the per-round ratios:",
        ]
        report += goals
        report += ["", "Parts, each timed alone for \(seconds) s (µs per call, \(base.rawValue) time):", ""]
        report.append("| Part | " + cases.map { "\($0.name) µs" }.joined(separator: " | ") + " |")
        report.append("|---|" + cases.map { _ in "---:" }.joined(separator: "|") + "|")
        for name in partNames { report.append("| \(name) | " + (parts[name] ?? []).joined(separator: " | ") + " |") }
        report += [""] + notes
        return report.joined(separator: "\n")
    }
}
