import ArgumentParser
import CSCA
import Foundation
import NPKD
import PKICore
import Store

/// Options of every `epki npkd` command: the shared data directory and the NPKD's domain.
struct NPKDOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: $EPKI_HOME, else ./epki-data).")
    var dataDirectory: String?

    @Option(name: .customLong("store"), help: ArgumentHelp(
        "Where the tables are: postgres://USER@HOST:PORT[,HOST:PORT]/DATABASE, shared by several nodes, or sqlite:FILE (default: $EPKI_STORE, else <data-dir>/epki.sqlite).",
        discussion: "A PostgreSQL password goes in $EPKI_STORE or a passfile= file, never on the command line."))
    var store: String?

    var storeLocation: StoreLocation? { get throws { try store.map(StoreLocation.init) } }

    @Option(help: "The NPKD's domain (tenant).")
    var domain: String = NationalPKD.defaultDomain

    /// Opens the NPKD; `create: false` for commands that only read, which refuse a missing data directory.
    func open(create: Bool = true) throws -> NationalPKD {
        let store = try EPKIStore(directory: EPKIStore.defaultDirectory(dataDirectory), migrations: StoreOptions.migrations, create: create,
                                  location: storeLocation)
        return try NationalPKD(store: store, domain: domain)
    }
}

struct NPKDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "npkd", abstract: "The national public key directory: import, trust, explain, serve border control, export.",
        subcommands: [Import.self, List.self, Show.self, Explain.self, Trust.self, Serve.self, Export.self, Publish.self, Sync.self])

    static func readCertificate(_ path: String) throws -> Certificate {
        try IO.decode(path, what: "certificate") { bytes in try Certificate(bytes: bytes) }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import master lists, ICAO PKD LDIF (001/002/003, complete or delta), CRLs, certificates and deviation lists.",
            discussion: """
                The format is told from the content. Each file is one transaction: a file that fails leaves nothing behind.
                An ICAO PKD delta (changetype add, modify, delete) is applied as the PKD says: a deleted DSC is withdrawn (kept, no \
                longer trusted), a deleted or replaced CRL applies to nothing. A delta not newer than the pkdVersion already applied \
                for its collection is refused; one that skips versions is applied and the gap reported.
                """)
        @OptionGroup var options: NPKDOptions
        @Argument(help: "Files to import.") var files: [String]
        @Option(name: .customLong("trust-signer"), help: "Trust this master list signer (or the CSCA that issued it) from now on (repeatable).")
        var trustSigners: [String] = []
        @Flag(help: "Show progress on stderr (entries of big CRLs, LDIF records).") var progress = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let pkd = try options.open()
            let signers = try trustSigners.map(NPKDCommand.readCertificate)
            let handler: ImportProgress.Handler? = progress ? ProgressLine.handler() : nil
            var failures = 0
            var summaries: [[String: Any]] = []
            for file in files {
                do {
                    let summary = try pkd.importFile(atPath: file, options: ImportOptions(trustSigners: signers, progress: handler))
                    if progress { ProgressLine.finish() }
                    if json {
                        let data = try JSONEncoder().encode(summary)
                        summaries.append((try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
                    } else {
                        print(summary)
                        for note in summary.notes.prefix(20) { print("  note: \(note)") }
                        if summary.notes.count > 20 { print("  note: ... \(summary.notes.count - 20) more") }
                    }
                } catch let error as any OperatorFacingError {
                    // Any typed failure (the file, the store underneath) refuses this file only; the next one goes on.
                    if progress { ProgressLine.finish() }
                    failures += 1
                    let name = URL(fileURLWithPath: file).lastPathComponent
                    let reason = error.reason.contains(name) ? error.reason : "\(file): \(error.reason)"
                    FileHandle.standardError.write(Data("epki: error: \(reason) (nothing of it was imported)\n".utf8))
                }
            }
            if json { try IO.printJSON(summaries) }
            if failures > 0 { throw CLIFailure(message: "\(failures) of \(files.count) file(s) refused") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List what the NPKD holds: certificates (default), CRLs or signed lists.")
        @OptionGroup var options: NPKDOptions
        @Option(help: "Only this country (two letters).") var country: String?
        @Option(help: "Only this kind: csca, link, ds, mls, dls.") var kind: String?
        @Option(help: "Only this state: trusted, untrusted, expired, revoked, non-conformant-accepted.") var state: String?
        @Flag(help: "List CRLs instead.") var crls = false
        @Flag(help: "List master and deviation lists instead.") var lists = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let pkd = try options.open(create: false)
            try pkd.refreshTrust()
            if crls {
                let found = try pkd.crls(country: country)
                if json { try IO.printJSON(found.map(\.summary)); return }
                for crl in found {
                    print("\(crl.status.padding(toLength: 10, withPad: " ", startingAt: 0)) \(crl.country) CRL \(crl.crlNumber ?? "-")  \(crl.issuer)  \(crl.entries) entries  next update \(crl.nextUpdate.map(Time.iso8601) ?? "-")")
                }
                return
            }
            if lists {
                let found = try pkd.lists()
                if json { try IO.printJSON(found.map(\.summary)); return }
                for list in found {
                    print("\(list.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(list.kind) \(list.country) from \(list.source): \(list.certificates) certificate(s), signer \(list.signerSubject) — \(list.stateReason)")
                }
                return
            }
            let states = try state.map { value -> [TrustState] in
                guard let state = TrustState(rawValue: value) else { throw ValidationError("unknown --state \(value)") }
                return [state]
            }
            let found = try pkd.certificates(country: country, kinds: kind.map { [$0] }, states: states)
            if json { try IO.printJSON(found.map(\.summary)); return }
            for certificate in found {
                print("\(certificate.state.rawValue.padding(toLength: 23, withPad: " ", startingAt: 0)) \(certificate.kind.padding(toLength: 4, withPad: " ", startingAt: 0)) \(certificate.country.padding(toLength: 2, withPad: " ", startingAt: 0)) \(certificate.serial)  \(certificate.subject)")
            }
            if !json { FileHandle.standardError.write(Data("\(found.count) certificate(s)\n".utf8)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Without an argument, what the NPKD holds; with a fingerprint or certificate file, that certificate in detail.")
        @OptionGroup var options: NPKDOptions
        @Argument(help: "SHA-256 fingerprint (hex) or certificate file.") var certificate: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let pkd = try options.open(create: false)
            try pkd.refreshTrust()
            guard let certificate else {
                let status = try pkd.status()
                if json {
                    try IO.printJSON(["domain": status.domain, "certificates": status.certificates, "crls": status.crls,
                                      "currentCRLs": status.currentCRLs, "unverifiedCRLs": status.unverifiedCRLs, "crlEntries": status.crlEntries,
                                      "masterLists": status.masterLists, "deviationLists": status.deviationLists,
                                      "trustedSigners": status.trustedSigners, "pkdVersions": status.pkdVersions])
                    return
                }
                print("NPKD domain \(status.domain)")
                for (kind, states) in status.certificates.sorted(by: { $0.key < $1.key }) {
                    print("  \(kind): " + states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
                }
                print("  CRLs: \(status.currentCRLs) current, \(status.unverifiedCRLs) unverified, \(status.crls) in all; \(status.crlEntries) entries")
                print("  master lists: \(status.masterLists); deviation lists: \(status.deviationLists); trusted signers: \(status.trustedSigners)")
                if !status.pkdVersions.isEmpty {
                    print("  ICAO PKD versions: " + status.pkdVersions.sorted { $0.key < $1.key }.map { "\($0.key) v\($0.value)" }.joined(separator: ", "))
                }
                return
            }
            let fingerprint = try FileManager.default.fileExists(atPath: certificate)
                ? HashAlgorithm.sha256.hash(NPKDCommand.readCertificate(certificate).encoded).hexString : certificate
            guard let record = try pkd.certificate(fingerprint: fingerprint) else {
                throw NPKDError(.notFound, "no certificate with fingerprint \(fingerprint) is held in domain '\(pkd.domain)'")
            }
            let sources = try pkd.sources(of: record)
            if json {
                var summary = record.summary
                summary["sources"] = sources
                summary["findingList"] = record.findings.map(\.description)
                summary["pem"] = PEM.encode(record.der, label: "CERTIFICATE")
                try IO.printJSON(summary)
                return
            }
            print("\(record.kind.uppercased()) \(record.subject)")
            print("  issuer \(record.issuer), serial \(record.serial)")
            print("  valid \(Time.iso8601(record.notBefore)) – \(Time.iso8601(record.notAfter)); SHA-256 \(record.fingerprint)")
            print("  state: \(record.state.rawValue) — \(record.stateReason)")
            if let anchor = record.anchor { print("  trust anchor: \(anchor)") }
            if let note = record.pkdConformance { print("  ICAO PKD: \(note)") }
            for source in sources { print("  received: \(source)") }
            for finding in record.findings { print("  \(finding)") }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say step by step why a certificate (or a CRL) is or is not trusted; exit 1 when it is not.")
        @OptionGroup var options: NPKDOptions
        @Argument(help: "Certificate or CRL file (DER or PEM).") var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let pkd = try options.open(create: false)
            let bytes = try IO.read(file, what: "file")
            let report: VerificationReport
            if let certificate = try? Certificate(bytes: bytes) {
                report = try pkd.explain(certificate)
            } else {
                report = try pkd.explain(try CertificateRevocationList(bytes: bytes))
            }
            print(json ? try report.jsonString() : report.description)
            if !report.isValid { throw CLIFailure(message: "\(file) is not trusted") }
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a trust decision in the audit trail: confirm a bilateral CSCA, trust a master list signer, or withdraw either.",
            discussion: """
                epki npkd trust csca-XX.pem --note "received by diplomatic courier"   confirm (imports it when not held)
                epki npkd trust --fingerprint HEX                                      confirm a held CSCA or link certificate
                epki npkd trust --signer mls.pem                                       trust a master list signer
                epki npkd trust --remove --fingerprint HEX                             withdraw an anchor (--signer: a signer)
                """)
        @OptionGroup var options: NPKDOptions
        @OptionGroup var officer: OfficerOptions
        @Argument(help: "CSCA or link certificate file to confirm.") var file: String?
        @Option(help: "SHA-256 fingerprint of a held certificate.") var fingerprint: String?
        @Option(help: "A master list signer (or the CSCA that issued it) to trust.") var signer: String?
        @Flag(help: "Withdraw the trust instead.") var remove = false
        @Option(help: "Why, for the audit trail.") var note: String = ""

        func validate() throws {
            let given = [file != nil, fingerprint != nil, signer != nil].filter { $0 }.count
            guard given == 1 else { throw ValidationError("give one of FILE, --fingerprint or --signer") }
        }

        func run() throws {
            // A trust decision is the operator's word that a foreign key is a state's: under governance, two officers'.
            var store = StoreOptions()
            store.dataDirectory = options.dataDirectory
            store.store = options.store
            store.domain = options.domain
            try Governed.run(store, "npkd.trust", officer) { try decide() }
        }

        func decide() throws {
            let pkd = try options.open()
            if let signer {
                let certificate = try NPKDCommand.readCertificate(signer)
                if remove {
                    try pkd.distrustSigner(fingerprint: try HashAlgorithm.sha256.hash(certificate.encoded).hexString)
                    print("no longer trusted as master list signer: \(certificate.subject)")
                } else {
                    try pkd.trustSigner(certificate)
                    print("trusted as master list signer: \(certificate.subject)")
                }
                return
            }
            let record: NPKDCertificate
            if let file {
                let certificate = try NPKDCommand.readCertificate(file)
                record = remove ? try pkd.distrust(fingerprint: try HashAlgorithm.sha256.hash(certificate.encoded).hexString, note: note)
                                : try pkd.trust(certificate, note: note)
            } else {
                let value = fingerprint ?? ""
                record = remove ? try pkd.distrust(fingerprint: value, note: note) : try pkd.trust(fingerprint: value, note: note)
            }
            print("\(record.subject): \(record.state.rawValue) — \(record.stateReason)")
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve border control: passive authentication and lookups over HTTP(S), optionally with mutual TLS.",
            discussion: "TLS keys and client certificates must be NIST P-256/P-384 or RSA (BoringSSL has no brainpool). OpenAPI at /openapi.json.")
        @OptionGroup var options: NPKDOptions
        @Option(help: "Address to listen on, HOST:PORT.") var listen: String = "127.0.0.1:8443"
        @Option(name: .customLong("tls-cert"), help: "Server certificate chain (PEM).") var tlsCertificate: String?
        @Option(name: .customLong("tls-key"), help: "Server private key (PEM, unencrypted P-256/P-384 or RSA).") var tlsKey: String?
        @Option(name: .customLong("client-ca"), help: "Require client certificates issued by these CAs (PEM bundle): mutual TLS.") var clientCA: String?
        @Flag(name: .customLong("record-verifications"),
              help: "Keep a verification history (time, verdict, issuing country, DS, failed checks; never the MRZ or images) for GET /v1/pa/statistics.")
        var recordVerifications = false

        func validate() throws {
            guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
            guard clientCA == nil || tlsCertificate != nil else { throw ValidationError("--client-ca needs --tls-cert and --tls-key") }
        }

        func run() throws {
            // Before any task exists: requests are then read, verified and answered on NIO's event loops.
            BorderControlService.runConcurrencyOnEventLoops()
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8443")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let tls = try tlsCertificate.map { try TLSSettings(certificatePath: $0, keyPath: tlsKey ?? "", clientCAPath: clientCA) }
            let service = BorderControlService(pkd: try options.open(), recordVerifications: recordVerifications)
            let scheme = tls == nil ? "http" : "https"
            let mutual = clientCA == nil ? "" : " (client certificates required)"
            try AsyncBridge.run {
                try await service.run(host: host, port: port, tls: tls) { bound in
                    // Written unbuffered: scripts wait for this line to know the port.
                    FileHandle.standardOutput.write(Data("epki npkd: serving domain '\(service.pkd.domain)' on \(scheme)://\(host):\(bound)\(mutual); OpenAPI at /openapi.json\n".utf8))
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export what is trusted for inspection systems: a PEM bundle, ICAO-shaped LDIF, or a master list signed by the CSCA's Master List Signer.")
        @OptionGroup var options: NPKDOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @Option(help: "pem, ldif, masterlist, or bundles (a directory: one PEM per country, all.pem, all.ldif).") var format: String
        @Option(help: "cscas (CSCA and link certificates) or all (also DS certificates and current CRLs).") var content: String?
        @Option(name: .customLong("csca-domain"), help: "The CSCA domain whose Master List Signer signs (masterlist).") var cscaDomain: String = "default"
        @Option(help: "Output file (a directory for bundles).") var out: String

        func run() throws {
            let pkd = try options.open()
            try pkd.refreshTrust()
            let scope = try content.map { value -> NationalPKD.ExportContent in
                guard let scope = NationalPKD.ExportContent(rawValue: value) else { throw ValidationError("--content must be cscas or all") }
                return scope
            }
            switch format {
            case "pem":
                let text = try pkd.exportPEM(scope ?? .cscas)
                try IO.write(text, to: out)
                print("\(text.components(separatedBy: "-----BEGIN ").count - 1) PEM block(s) written to \(out)")
            case "ldif":
                try IO.write(try pkd.exportLDIF(scope ?? .all), to: out)
                print("LDIF of what is trusted written to \(out)")
            case "masterlist":
                let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: pkd.store, passphrase: try passphrase.passphrase(required: false)),
                                          pin: try pin.pin(), hsm: nil)
                let ca = try CountrySigningCA(store: pkd.store, domain: cscaDomain, keys: keys)
                let (signed, included, skipped) = try pkd.exportMasterList(signer: CSCAMasterListSigner(authority: ca))
                try IO.write(try signed.contentInfoDER(), to: out)
                print("master list of \(included) trusted CSCA/link certificate(s) signed by domain '\(cscaDomain)': \(out)")
                for line in skipped { print("  left out: \(line)") }
            case "bundles":
                // A directory: XX.pem per country, all.pem and all.ldif.
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                let files = try pkd.exportBundles()
                for (name, text) in files.sorted(by: { $0.key < $1.key }) {
                    try IO.write(text, to: URL(fileURLWithPath: out).appendingPathComponent(name).path)
                }
                print("\(files.count - 2) country bundle(s), all.pem and all.ldif written to \(out)")
            default:
                throw ValidationError("--format must be pem, ldif, masterlist or bundles")
            }
        }
    }
}

/// The CSCA's Master List Signer, reached by the NPKD only through `MasterListSigning`.
struct CSCAMasterListSigner: MasterListSigning {
    let authority: CountrySigningCA

    func signMasterList(certificates: [Certificate]) throws -> SignedData {
        try authority.signMasterList(certificates: certificates)
    }
}

/// A progress line on stderr: rewritten in place on a terminal; in a log, one line per tenth of the work.
enum ProgressLine {
    static let isTerminal = isatty(STDERR_FILENO) != 0
    /// Whether a line was shown, and the phase and tenth last written to a log.
    static let state = Locked<(shown: Bool, phase: String, tenth: Int)>((false, "", -1))

    static func handler() -> ImportProgress.Handler {
        { progress in
            let percent = progress.total.map { $0 == 0 ? 100 : progress.completed * 100 / $0 }
            let text = "\(progress.phase): \(progress.completed)" + (progress.total.map { "/\($0) (\(percent ?? 0)%)" } ?? "")
            let write = state.withLock { state -> Bool in
                state.shown = true
                guard !isTerminal else { return true }
                let tenth = (percent ?? progress.completed / 1000) / 10
                guard state.phase != progress.phase || tenth > state.tenth else { return false }
                state.phase = progress.phase
                state.tenth = tenth
                return true
            }
            guard write else { return }
            FileHandle.standardError.write(Data((isTerminal ? "\r\(text)\u{1B}[K" : "\(text)\n").utf8))
        }
    }

    static func finish() {
        let wasShown = state.withLock { state in
            defer { state = (false, "", -1) }
            return state.shown
        }
        if wasShown && isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Runs async work (the HTTP service) from the synchronous command line, on Swift's concurrency threads while the
/// main thread waits.
enum AsyncBridge {
    static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        Task.detached {
            do {
                try await body()
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// The same, for work that returns a value.
    static func value<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Locked<T?>(nil)
        try run { let value = try await body(); result.withLock { $0 = value } }
        guard let value = result.withLock({ $0 }) else { throw CLIFailure(message: "error: the operation ended without a result") }
        return value
    }
}
