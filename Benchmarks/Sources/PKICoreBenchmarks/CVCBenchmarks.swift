// Section `cvc` (issue 6): CV certificate chain verification, CVCA → DV → inspection system, built with
// CVCertificateBuilder (selfSignedCVCA, documentVerifier, terminal) as the CVCA tests build theirs:
//   * brainpoolP256r1, id-TA-ECDSA-SHA-256 (plain r‖s signatures), against `openssl speed ecdsabrp256r1` verify;
//   * RSA-3072, id-TA-RSA-PSS-SHA-256, against `openssl speed rsa3072` verify.
//
// One chain check is `CVChainVerifier().verify(terminal, pool: CVCertificatePool([cvca, dv]))`, whose report must be
// valid. The verifier checks every certificate of the path with its issuer's key, the self-signed CVCA included, so
// one chain is three signature checks; the ratio compares signatures checked per second (3 × chains/s) with the raw
// verify rate. A second row decodes the DV and terminal certificates from their bytes first, as a receiver of the
// chain would. Then the parts of one chain check, each timed alone.

import CVC
import CVCA
import Foundation
import PKICore

enum CVCBenchmarks {
    struct Case {
        let name: String
        let key: KeySpecification
        let algorithm: TerminalAuthenticationAlgorithm
        let opensslAlgorithm: String
        let target: SpeedTarget
    }

    static let cases = [
        Case(name: "brainpoolP256r1 ECDSA-SHA-256", key: .ec(.brainpoolP256r1, parameters: .namedCurve), algorithm: .ecdsaSHA256,
             opensslAlgorithm: "ecdsabrp256r1", target: .ecdsa(bits: 256, label: "brainpoolP256r1")),
        Case(name: "RSA-3072 PSS-SHA-256", key: .rsa(bits: 3072), algorithm: .rsaPSSSHA256,
             opensslAlgorithm: "rsa3072", target: .rsa(bits: 3072)),
    ]

    struct Chain {
        let cvca: CVCertificate
        let dv: CVCertificate
        let terminal: CVCertificate
        var pool: CVCertificatePool { CVCertificatePool([cvca, dv]) }
    }

    /// A CVCA (rights DG3+DG4), a domestic DV (DG3+DG4) and an inspection system (DG3), valid from two days ago.
    static func makeChain(_ item: Case) throws -> Chain {
        let effective = try CVDate(Date().addingTimeInterval(-2 * 86_400))
        let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
        let terminalSigner = SoftwareSigner(key: try PrivateKey.generate(item.key))
        let cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: cvcaSigner, algorithm: item.algorithm,
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "CVCA", sequenceNumber: "00001"),
            rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 36))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: item.algorithm, includeDomainParameters: true),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVIS", sequenceNumber: "00001"), role: .domesticDV,
            rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(terminalSigner.publicKey, algorithm: item.algorithm, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "ISTERM", sequenceNumber: "00001"),
            rights: [0x01], effectiveDate: effective, expirationDate: try effective.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: cvca.publicKey.domainParameters)
        return Chain(cvca: cvca, dv: dv, terminal: terminal)
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let seconds = options.roundSeconds
        let base = options.clock
        let verifier = CVChainVerifier()
        var rows: [(Row, Int)] = []  // per-signature rates, and the signatures per chain
        var partNames: [String] = []
        var parts: [String: [String]] = [:]
        var notes: [String] = []

        for item in cases {
            log("  \(item.name): CVCA → DV → IS chain")
            let chain = try makeChain(item)
            let pool = chain.pool
            let path = try pool.path(to: chain.terminal)
            let signaturesPerChain = path.certificates.count  // the verifier checks the CVCA's self-signature too
            let report = verifier.verify(chain.terminal, pool: pool)
            let signatureChecks = report.checks.filter { $0.name.hasPrefix("signature ") }
            guard report.isValid, signatureChecks.count == signaturesPerChain, signatureChecks.allSatisfy({ $0.status == .passed }) else {
                throw UsageError("the benchmark CV chain (\(item.name)) does not verify:\n\(report)")
            }
            let cvcaBytes = try chain.cvca.encoded
            let dvBytes = try chain.dv.encoded
            let terminalBytes = try chain.terminal.encoded
            notes.append("  \(item.name): path \(path.certificates.map(\.chr).joined(separator: " → ")); \(report.checks.count) checks, \(signatureChecks.count) of them signatures; certificates \(cvcaBytes.count) / \(dvBytes.count) / \(terminalBytes.count) B")

            func decodeAndVerify() throws -> Bool {
                let dv = try CVCertificate(encoded: dvBytes)
                let terminal = try CVCertificate(encoded: terminalBytes)
                return verifier.verify(terminal, pool: CVCertificatePool([chain.cvca, dv])).isValid
            }
            guard try decodeAndVerify() else { throw UsageError("the decoded CV chain (\(item.name)) does not verify") }

            var reference: [Double] = [], chains: [Double] = [], decoded: [Double] = []
            for round in 1...options.rounds {
                log("  round \(round)/\(options.rounds): openssl speed \(item.opensslAlgorithm), then CVChainVerifier \(item.name)")
                reference.append(try CoreBenchmarks.opensslRates(options, item.opensslAlgorithm, item.target, base: base).verify)
                chains.append(try measure(seconds: seconds, sink: &sink) {
                    guard verifier.verify(chain.terminal, pool: pool).isValid else { throw UsageError("the CV chain stopped verifying") }
                    return 1
                }.per(base))
                decoded.append(try measure(seconds: seconds, sink: &sink) {
                    guard try decodeAndVerify() else { throw UsageError("the decoded CV chain stopped verifying") }
                    return 1
                }.per(base))
            }
            let n = Double(signaturesPerChain)
            rows.append((Row(operation: "\(item.name): `verify(terminal, pool:)`", epki: chains.map { $0 * n }, openssl: reference), signaturesPerChain))
            rows.append((Row(operation: "\(item.name): decode DV + IS, then `verify(terminal, pool:)`", epki: decoded.map { $0 * n }, openssl: reference),
                         signaturesPerChain))

            // The parts of one chain check, each timed alone.
            log("  parts of one chain check, \(item.name), \(seconds) s each")
            func part(_ name: String, _ body: () throws -> Int) throws {
                let rate = try measure(seconds: seconds, sink: &sink, body).per(base)
                if parts[name] == nil { partNames.append(name); parts[name] = [] }
                parts[name]!.append(String(format: "%.1f", 1e6 / rate))
            }
            let parameters = chain.cvca.publicKey.domainParameters  // nil for RSA
            let dvKey = try chain.dv.publicKey.publicKey(inheriting: parameters)
            let dvBody = try chain.terminal.body.encoded
            var terminalSignature = chain.terminal.signature
            if item.algorithm.isECDSA { terminalSignature = try ECDSASignature(plain: terminalSignature).derEncoded }
            try part("whole `CVChainVerifier.verify(terminal, pool:)`") { verifier.verify(chain.terminal, pool: pool).checks.count }
            try part("`CVCertificatePool.path(to:)`") { try pool.path(to: chain.terminal).certificates.count }
            try part("`verify(path:)` (the report, given the path)") { verifier.verify(path: path).checks.count }
            try part("… one `CVCertificate.verifySignature(issuerKey:inheriting:)` (DV key → IS certificate)") {
                try chain.terminal.verifySignature(issuerKey: chain.dv.publicKey, inheriting: parameters).isValid ? 1 : 0
            }
            try part("… … `CVPublicKey.publicKey(inheriting:)` (the OpenSSL key, built from the CV key)") {
                try chain.dv.publicKey.publicKey(inheriting: parameters).keyIdentifier.count
            }
            try part("… … `CertificateBody.encoded` (the signed bytes, re-encoded)") { try chain.terminal.body.encoded.count }
            try part("… … `PublicKey.isValidSignature` on the prepared key (the primitive)") {
                try dvKey.isValidSignature(terminalSignature, for: dvBody, algorithm: item.algorithm.signatureAlgorithm) ? 1 : 0
            }
            try part("`CVCertificate(encoded:)` of the IS certificate") { try CVCertificate(encoded: terminalBytes).signature.count }
        }

        let perChain = Set(rows.map(\.1)).sorted().map(String.init).joined(separator: "/")
        var lines = [
            "## cvc: CV certificate chain verification (CVCA → DV → IS)",
            "",
            "\(options.rounds) rounds × \(seconds) s per item and side (`openssl speed \(base == .wall ? "-elapsed " : "")-seconds \(seconds)` before each epki round); best round of each side shown. Time base: \(base == .cpu ? "CPU time (epki: the measuring thread's user + system time; openssl speed: its user time)" : "wall clock on both sides"). The verifier checks \(perChain) signatures per chain (the CVCA's self-signature too); the ratio is signatures checked per second against `openssl speed` verify.",
            "",
            "| Chain check | epki chains/s | epki signatures/s | OpenSSL verify/s | Ratio (signatures / OpenSSL verify), best rounds | Median of per-round ratios | Per-round ratios |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for (row, perChain) in rows {
            let range = row.ratioRange.map { String(format: "%.2f–%.2f", $0.0, $0.1) } ?? "—"
            lines.append("| \(row.operation) | \(format(row.bestEPKI / Double(perChain))) | \(format(row.bestEPKI)) | \(row.bestOpenSSL.map(format) ?? "—") | "
                         + "\(row.ratio.map { String(format: "%.3f", $0) } ?? "—") | \(row.medianRatio.map { String(format: "%.3f", $0) } ?? "—") | \(range) |")
        }
        lines += ["", "Parts of one chain check, each timed alone for \(seconds) s (µs per call, \(base.rawValue) time):", ""]
        lines.append("| Part | " + cases.map { "\($0.name) µs" }.joined(separator: " | ") + " |")
        lines.append("|---|" + cases.map { _ in "---:" }.joined(separator: "|") + "|")
        for name in partNames { lines.append("| \(name) | " + (parts[name] ?? []).joined(separator: " | ") + " |") }
        lines += [""] + notes
        return lines.joined(separator: "\n")
    }
}
