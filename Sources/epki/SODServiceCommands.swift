import ArgumentParser
import Foundation
import LDS
import PKICore
import SODService
import Store

// `epki sod serve` and `epki sod line`: the SOD signing service for personalization lines, and its registered lines.

/// The data directory and the service's domain, shared by `epki sod serve` and `epki sod line`.
struct SODServiceOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: $EPKI_HOME, else ./epki-data).")
    var dataDirectory: String?

    @Option(name: .customLong("store"), help: ArgumentHelp(
        "Where the tables are: postgres://USER@HOST:PORT[,HOST:PORT]/DATABASE, shared by several nodes, or sqlite:FILE (default: $EPKI_STORE, else <data-dir>/epki.sqlite).",
        discussion: "A PostgreSQL password goes in $EPKI_STORE or a passfile= file, never on the command line."))
    var store: String?

    var storeLocation: StoreLocation? { get throws { try store.map(StoreLocation.init) } }

    @Option(help: "The service's domain (tenant): its lines, quotas and audit trail.")
    var domain: String = SigningLines.defaultDomain

    func lines(create: Bool = true) throws -> SigningLines {
        let store = try EPKIStore(directory: EPKIStore.defaultDirectory(dataDirectory), migrations: StoreOptions.migrations,
                                  create: create, location: storeLocation)
        return SigningLines(store: store, domain: domain)
    }
}

struct SODServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Sign EF.SOD for registered personalization lines over HTTPS with mutual TLS (POST /v1/sod/sign, and /v1/sod/sign-batch for up to 256 documents).",
        discussion: """
            Only client certificates registered with `epki sod line add` get through the TLS handshake. Requests carry \
            the document number, the LDS version, the hash algorithm and the data groups' hashes; concurrent requests \
            are signed together by the batch signer, every SOD is verified after signing and recorded in the audit \
            trail (line, document number, DS, SOD digest) before it is answered. OpenAPI at /openapi.json. The TLS key \
            and the lines' certificates must be NIST P-256/P-384 or RSA (BoringSSL has no brainpool); the DS key may be \
            any, in software (encrypted PKCS#8, passphrase from --passphrase-file/--passphrase-env) or in a PKCS#11 token.
            """)

    @OptionGroup var options: SODServiceOptions
    @Option(help: "Address to listen on, HOST:PORT (port 0: any free port, printed).") var listen: String = "127.0.0.1:8444"
    @Option(name: .customLong("tls-cert"), help: "Server certificate chain (PEM).") var tlsCertificate: String
    @Option(name: .customLong("tls-key"), help: "Server private key (PEM, unencrypted P-256/P-384 or RSA).") var tlsKey: String
    @Option(name: .customLong("line-ca"), help: "Also require line certificates issued by this CA (PEM; repeat).") var lineCAs: [String] = []
    @Option(name: .customLong("ds-cert"), help: "The Document Signer certificate (embedded in every SOD).") var dsCertificate: String
    @Option(help: "Encrypted PKCS#8 key file, or a PKCS#11 URI (pkcs11:token=...;object=...).") var key: String
    @Option(help: "Signature algorithm (ecdsa-sha256, rsa-pss-sha256, …); the key's default when omitted.") var algorithm: String?
    @Option(help: "Signer identifier: issuer-serial (default) or ski.") var sid = "issuer-serial"
    @Flag(name: .customLong("no-signing-time"), help: "Leave out the signingTime attribute.") var noSigningTime = false
    @Flag(name: .customLong("no-verify-after-signing"),
          help: "Hand SODs out without reading each back and verifying it first (faster; a faulty HSM then goes unnoticed).")
    var noVerifyAfterSigning = false
    @Option(help: "The CSCA certificate: check once that it issued the DS certificate before serving.") var csca: String?
    @Option(name: .customLong("max-batch"), help: "Most documents signed in one batch.") var maximumBatch = 64
    @Option(help: "Concurrent signing tasks of the batch signer per batch; each event loop signs its own batches (default: the core count).") var workers: Int?
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var pin: PINOptions

    func run() throws {
        // Before any task exists: requests are then read, signed and answered on NIO's event loops.
        SODSigningService.runConcurrencyOnEventLoops()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8444")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let certificate = try IO.decode(dsCertificate, what: "DS certificate") { bytes in try Certificate(bytes: bytes) }
        if let csca {
            let issuer = try IO.decode(csca, what: "CSCA certificate") { bytes in try Certificate(bytes: bytes) }
            guard try certificate.isSignatureValid(issuerKey: issuer.publicKey) else {
                throw CLIFailure(message: "the DS certificate \(certificate.subject) is not signed by the key of \(issuer.subject)")
            }
        }
        let signatureAlgorithm = try algorithm.map { name -> SignatureAlgorithm in
            guard let value = SignatureAlgorithm(name: name) else {
                throw ValidationError("--algorithm '\(name)' is not one of \(SignatureAlgorithm.allNames.joined(separator: ", "))")
            }
            return value
        }
        let identification: SignedDataBuilder.SignerIdentification
        switch sid.lowercased() {
        case "issuer-serial", "issuerandserialnumber": identification = .issuerAndSerialNumber
        case "ski", "subjectkeyidentifier": identification = .subjectKeyIdentifier
        default: throw ValidationError("--sid must be issuer-serial or ski")
        }
        let cas = try lineCAs.flatMap { try LDSOptions.certificates(IO.read($0, what: "line CA"), path: $0) }
        let signer = try IO.loadSigner(key, passphrase: passphrase, pin: pin)
        let lines = try options.lines()
        let service = try SODSigningService(
            lines: lines,
            documentSigner: DocumentSignerConfiguration(signer: signer, certificate: certificate, signatureAlgorithm: signatureAlgorithm,
                                                        identification: identification, includeSigningTime: !noSigningTime,
                                                        verifyAfterSigning: !noVerifyAfterSigning),
            lineCAs: cas, maximumBatch: maximumBatch, workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        let tls = try TLSSettings(certificatePath: tlsCertificate, keyPath: tlsKey)
        let registered = try lines.lines().count
        try AsyncBridge.run {
            try await service.run(host: host, port: port, tls: tls, onRefusal: { error in
                FileHandle.standardError.write(Data("epki sod: refused at the TLS handshake: \(error.reason)\n".utf8))
            }) { bound in
                // Written unbuffered: scripts wait for this line to know the port.
                FileHandle.standardOutput.write(Data(("epki sod: serving domain '\(lines.domain)' on https://\(host):\(bound) for \(registered) registered line(s), "
                    + "DS \(certificate.subject); OpenAPI at /openapi.json\n").utf8))
            }
        }
    }
}

struct SODLineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line", abstract: "Register, list and remove the personalization lines the SOD service accepts.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a line's TLS client certificate, with an optional quota (recorded in the audit trail).",
            discussion: "epki sod line add --name line-4 --cert line4.pem --quota 5000/day")
        @OptionGroup var options: SODServiceOptions
        @Option(help: "The line's name (letters, digits, '-', '_', '.').") var name: String
        @Option(name: .customLong("cert"), help: "The line's TLS client certificate (PEM or DER).") var certificate: String
        @Option(help: "SODs allowed per window: N/minute, N/hour or N/day; none when omitted.") var quota: String?

        func run() throws {
            let lines = try options.lines()
            let parsed = try quota.map { try LineQuota(parsing: $0) }
            let certificate = try IO.decode(certificate, what: "line certificate") { bytes in try Certificate(bytes: bytes) }
            let line = try lines.add(name: name, certificate: certificate, quota: parsed)
            print("line '\(line.name)' registered in domain '\(lines.domain)': \(line.subject), SHA-256 \(line.fingerprint)"
                  + (line.quota.map { ", quota \($0)" } ?? ", no quota"))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered lines with their quota and its use in the current window.")
        @OptionGroup var options: SODServiceOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let lines = try options.lines(create: false)
            let found = try lines.lines()
            if json {
                try IO.printJSON(try found.map { line -> [String: Any] in
                    var summary = line.summary
                    if line.quota != nil { summary["used"] = try lines.usage(of: line) }
                    return summary
                })
                return
            }
            for line in found {
                let quota = try line.quota.map { "\(try lines.usage(of: line)) of \($0) used" } ?? "no quota"
                print("\(line.name)  \(line.subject)  valid to \(Time.iso8601(line.notAfter))  \(quota)  SHA-256 \(line.fingerprint)")
            }
            FileHandle.standardError.write(Data("\(found.count) line(s) in domain '\(lines.domain)'\n".utf8))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a line: its certificate is refused from the next handshake on.")
        @OptionGroup var options: SODServiceOptions
        @Option(help: "The line's name.") var name: String

        func run() throws {
            let lines = try options.lines(create: false)
            try lines.remove(name: name)
            print("line '\(name)' removed from domain '\(lines.domain)'")
        }
    }
}
