import ArgumentParser
import AsyncHTTPClient
import CVC
import ChipAccess
import Foundation
import Inspection
import LDS
import NIOCore
import NIOSSL
import NPKD
import PKICore
import SmartCard
import Store

/// `epki inspect`: read and verify the passport in a reader, as an officer or a gate does.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Read and verify the eMRTD in a reader: PACE or BAC, Chip, Terminal and Active Authentication, passive authentication.",
        discussion: """
            The order of Doc 9303-11: EF.CardAccess, PACE (else BAC), EF.COM, EF.SOD and the data groups, Chip Authentication \
            with DG14's key or the PACE-CAM check, Terminal Authentication with --is-chain/--is-key (then DG3/DG4), Active \
            Authentication with DG15's key, and passive authentication against the national PKD (--data-dir) or CSCA files \
            (--csca). Exit 0 when the document is genuine; 2 when it is read but not proven genuine (the report says why); \
            1 when it could not be read. `epki inspect watch` reads every card put on the reader, for a gate.
            """,
        subcommands: [Watch.self])

    @OptionGroup var options: InspectOptions

    func validate() throws { try options.check() }

    func run() throws {
        let system = try options.system()
        let context = try PCSCTransport.Context()
        let name = try options.readerName(context)
        let transport = try PCSCTransport(context: context, reader: name)
        defer { transport.disconnect() }
        let report = system.inspect(transport)
        try options.output(report)
        if report.access == nil { throw ExitCode(1) }
        if report.summary != "genuine" { throw ExitCode(2) }
    }

    /// `epki inspect watch`: a gate's loop — each card inserted is inspected and reported, until interrupted.
    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect every card put on the reader, one report each, until interrupted (or --count cards).")
        @OptionGroup var options: InspectOptions
        @Option(help: "Stop after this many cards.") var count: Int?

        func validate() throws { try options.check() }

        func run() throws {
            let system = try options.system()
            let context = try PCSCTransport.Context()
            let name = try options.reader ?? context.readers().first ?? { throw CLIFailure(message: "no reader") }()
            var inspected = 0
            while count.map({ inspected < $0 }) ?? true {
                try waitForever(context, name, present: true)
                do {
                    let transport = try PCSCTransport(context: context, reader: name)
                    let report = system.inspect(transport)
                    transport.disconnect()
                    inspected += 1
                    print("card \(inspected): \(report.summary)")
                    try options.output(report)
                    fflush(nil)
                } catch let error as SmartCardError {
                    // A card taken away during the connection: the next one is read all the same.
                    print("card not read: \(error.reason)")
                    fflush(nil)
                }
                try waitForever(context, name, present: false)
            }
        }

        /// Waits for the card to arrive (or leave) without a limit, a second at a time.
        func waitForever(_ context: PCSCTransport.Context, _ reader: String, present: Bool) throws {
            while true {
                do {
                    try context.waitForCard(in: reader, present: present, milliseconds: 1_000)
                    return
                } catch let error as SmartCardError where error.code == .timeout {
                    continue
                }
            }
        }
    }
}

/// What `epki inspect` and `epki inspect watch` share: the reader, the document's password, the trust, the inspection
/// system's credentials and the output.
struct InspectOptions: ParsableArguments {
    @Option(help: "The reader (as `epki card readers` lists it); default: the first with a card.") var reader: String?
    @Option(help: "The MRZ as the officer typed or scanned it (its lines joined).") var mrz: String?
    @Option(help: "The card access number printed on the document (PACE).") var can: String?
    @Option(name: .customLong("csca"), help: "A trusted CSCA certificate (repeat); without it, --data-dir's NPKD is the trust source.")
    var cscas: [String] = []
    @Option(name: .customLong("data-dir"), help: "The NPKD's data directory, whose trusted CSCAs and CRLs passive authentication uses.")
    var dataDirectory: String?
    @Option(name: .customLong("npkd"), help: "The NPKD's border control service (https://host:port), which then verifies the data instead.")
    var npkd: String?
    @Option(name: .customLong("npkd-ca"), help: "The CA certificate (PEM) the service's TLS certificate is checked against.") var npkdCA: String?
    @Option(name: .customLong("npkd-cert"), help: "This inspection system's TLS client certificate (PEM), for mutual TLS.") var npkdCertificate: String?
    @Option(name: .customLong("npkd-key"), help: "The key of --npkd-cert (PEM).") var npkdKey: String?
    @Option(name: .customLong("is-chain"), help: "The inspection system's CV certificates, CVCA first, its own last (repeat).")
    var terminalChain: [String] = []
    @Option(name: .customLong("is-key"), help: "The inspection system's private key (encrypted PKCS#8).") var terminalKey: String?
    @Option(name: .customLong("out"), help: "Write the files read (EF.COM, EF.SOD, EF.DGn) into this folder.") var out: String?
    @Option(help: "Write the face (DG2) and fingerprint (DG3) images into this folder.") var images: String?
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the report as JSON.") var json = false

    func check() throws {
        guard (mrz == nil) != (can == nil) else { throw ValidationError("give the document's --mrz or its --can") }
        guard terminalChain.isEmpty == (terminalKey == nil) else { throw ValidationError("--is-chain and --is-key go together") }
    }

    func system() throws -> InspectionSystem {
        let password: InspectionSystem.Password
        if let mrz {
            let fields = try MRZ(string: mrz)
            password = .mrz(try BACKey(documentNumber: fields.documentNumber, dateOfBirth: fields.dateOfBirth, dateOfExpiry: fields.dateOfExpiry))
        } else {
            password = .can(can ?? "")
        }
        let trustSource: (any TrustSource)?
        if !cscas.isEmpty {
            trustSource = StaticTrustSource(cscas: try cscas.flatMap { try LDSOptions.certificates(IO.read($0, what: "CSCA certificate"), path: $0) })
        } else if dataDirectory != nil || ProcessInfo.processInfo.environment["EPKI_HOME"] != nil {
            let store = try EPKIStore(directory: EPKIStore.defaultDirectory(dataDirectory), migrations: StoreOptions.migrations, create: false)
            trustSource = try NationalPKD(store: store, domain: NationalPKD.defaultDomain).trustSource
        } else {
            trustSource = nil
        }
        var terminal: InspectionSystem.TerminalCredentials?
        if let terminalKey {
            let chain = try terminalChain.map { path in try IO.decode(path, what: "CV certificate") { try CVCertificate(encoded: $0) } }
            terminal = .init(chain: chain, key: SoftwareSigner(key: try IO.loadPrivateKey(terminalKey, passphrase: passphrase)))
        }
        if let npkd {
            guard let url = URL(string: npkd), url.scheme == "https" || url.scheme == "http" else {
                throw ValidationError("--npkd is the service's https:// address, not '\(npkd)'")
            }
            return InspectionSystem(password: password, terminal: terminal,
                                    passiveAuthenticationService: RemotePassiveAuthentication(url: url, post: try Self.post(ca: npkdCA, certificate: npkdCertificate, key: npkdKey)))
        }
        return InspectionSystem(password: password, terminal: terminal, passiveAuthentication: PassiveAuthentication(trustSource: trustSource))
    }

    /// POST with AsyncHTTPClient, from the command's (synchronous) thread; TLS as the options say.
    static func post(ca: String?, certificate: String?, key: String?) throws -> RemotePassiveAuthentication.Post {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca { tls.trustRoots = .file(ca) }
        if let certificate {
            guard let key else { throw ValidationError("--npkd-cert needs --npkd-key") }
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            tls.privateKey = .file(key)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        // Kept until the process ends: an HTTPClient must not be released unless shut down, and the command runs
        // until it exits.
        clients.withLock { $0.append(client) }
        return { url, body in
            let outcome = Locked<Result<(Int, [UInt8]), any Error>?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    var request = HTTPClientRequest(url: url.absoluteString)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let answer = try await response.body.collect(upTo: 16 * 1024 * 1024)
                    outcome.withLock { $0 = .success((Int(response.status.code), Array(buffer: answer))) }
                } catch {
                    outcome.withLock { $0 = .failure(error) }
                }
                done.signal()
            }
            done.wait()
            guard let result = outcome.withLock({ $0 }) else { throw CLIFailure(message: "the request to \(url) did not complete") }
            return try result.get()
        }
    }

    static let clients = Locked<[HTTPClient]>([])

    func readerName(_ context: PCSCTransport.Context) throws -> String {
        if let reader { return reader }
        guard let first = try context.readers().first(where: { (try? context.status(of: $0).present) == true }) else {
            throw CLIFailure(message: "no reader holds a card")
        }
        return first
    }

    func output(_ report: InspectionReport) throws {
        print(json ? report.jsonValue.string(pretty: true) : report.description)
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            func file(_ name: String, _ bytes: [UInt8]) throws {
                // Personal data: readable by the officer's account only.
                try IO.write(bytes, to: (out as NSString).appendingPathComponent(name), privateFile: true)
            }
            if let com = report.efCOM { try file("EF.COM.bin", com) }
            if let sod = report.efSOD { try file("EF.SOD.bin", sod) }
            for (number, bytes) in report.dataGroups { try file("EF.DG\(number).bin", bytes) }
        }
        if let images {
            try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
            for image in BiometricImages.extract(from: report.dataGroups) {
                try IO.write(image.bytes, to: (images as NSString).appendingPathComponent(image.name), privateFile: true)
            }
        }
    }
}
