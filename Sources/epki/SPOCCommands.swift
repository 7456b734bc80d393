import ArgumentParser
import CVC
import CVCA
import Foundation
import PKICore
import SPOC
import ServiceWiring
import Store

/// `epki spoc`: the single point of contact between countries (ICAO Doc 9303-12 §8, CSN 36 9791).
struct SPOCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoc",
        abstract: "The SPOC: SOAP over mutual TLS with foreign SPOCs, for DV certificates across borders.",
        discussion: """
            Set up our SPOC TLS certificates once (`setup`, keys from `epki csca issue-spoc-tls`), register each foreign \
            SPOC (`register`), and serve (`serve`). Foreign DVs' requests go to this domain's CVCA, answered at once or \
            queued for `queue approve|refuse` per peer; our DVCA's requests go out with `request --to XX`.
            """,
        subcommands: [Setup.self, Register.self, Unregister.self, Peers.self, Serve.self, Request.self, Queue.self, Deliver.self, Outbox.self,
                      Message.self, Messages.self, Log.self, GetCA.self, Announce.self, NationalDVCommand.self])
}

struct SPOCOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var officer: OfficerOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var pin: PINOptions
    @Flag(help: "Print JSON.") var json = false

    func open() throws -> (EPKIStore, CLIKeyProvider) {
        let opened = try store.open()
        let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: opened, passphrase: try passphrase.passphrase(required: false)),
                                  pin: try pin.pin(), hsm: nil)
        return (opened, keys)
    }

    func spoc() throws -> SinglePointOfContact {
        try SinglePointOfContact(store: store.open(), domain: store.domain)
    }

    /// The TLS keys, decrypted into memory from the key provider.
    func material(_ spoc: SinglePointOfContact) throws -> SPOCTLSMaterial {
        let identity = try spoc.identity()
        let software = SoftwareKeyProvider(store: spoc.store, passphrase: try passphrase.passphrase(required: true))
        return try SPOCTLSMaterial(identity: identity, serverKeyPKCS8: try software.privateKey(for: identity.serverKey).plainPKCS8ForSealing(),
                                   clientKeyPKCS8: try software.privateKey(for: identity.clientKey).plainPKCS8ForSealing())
    }

    func client() throws -> (SPOCClient, SPOCWiring) {
        let (opened, keys) = try open()
        let spoc = try SinglePointOfContact(store: opened, domain: store.domain)
        let wiring = try SPOCWiring(store: opened, domain: store.domain, keys: keys)
        return (SPOCClient(spoc: spoc, material: try material(spoc), authenticator: SPOCPeerAuthenticator(clock: SystemClock())), wiring)
    }
}

extension SPOCCommand {
    struct Setup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set our country code, SPOC URL and SPOC TLS certificates (keys by the references `epki csca issue-spoc-tls` printed).")
        @OptionGroup var options: SPOCOptions
        @Option(help: "Our Doc 9303-3 country code (our callerID).") var country: String
        @Option(help: "The URL foreign SPOCs reach us at (https://host:port/spoc).") var url: String
        @Option(name: .customLong("server-cert"), help: "SPOC TLS server certificate (PEM or DER).") var serverCertificate: String
        @Option(name: .customLong("server-key"), help: "Key reference of the server certificate's key.") var serverKey: String
        @Option(name: .customLong("client-cert"), help: "SPOC TLS client certificate (PEM or DER).") var clientCertificate: String
        @Option(name: .customLong("client-key"), help: "Key reference of the client certificate's key.") var clientKey: String

        func run() throws {
            try Governed.run(options.store, "spoc.setup", options.officer) {
                let spoc = try options.spoc()
                let server = try IO.decode(serverCertificate, what: "certificate") { try Certificate(bytes: $0) }
                let client = try IO.decode(clientCertificate, what: "certificate") { try Certificate(bytes: $0) }
                try spoc.setIdentity(SPOCIdentity(country: country, url: url, serverCertificate: server.derEncoded, serverKey: serverKey,
                                                  clientCertificate: client.derEncoded, clientKey: clientKey))
                // The keys must open now, not when the first peer calls.
                _ = try options.material(spoc)
                print("SPOC of \(country) at \(url): server \(server.subject), client \(client.subject)")
            }
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register (or update) a foreign SPOC.")
        @OptionGroup var options: SPOCOptions
        @Option(help: "Its country code (its callerID).") var country: String
        @Option(help: "Its SPOC URL (https://host:port/path).") var url: String
        @Option(help: "The root its SPOC TLS certificates chain to (its CSCA or SPOC CA), PEM or DER.") var root: String
        @Option(help: "The root's SHA-256 fingerprint as registered out of band (hex); refused when it differs.") var fingerprint: String?
        @Option(help: "A CA certificate between the root and its TLS certificates (repeat).") var intermediate: [String] = []
        @Option(help: "The namespace it speaks: icao or csn.") var namespace: String = "icao"
        @Option(help: "Its EKU family: icao or csn.") var eku: String = "icao"
        @Option(help: "Its DVs' requests: sync (answered at once) or async (queued for an operator).") var mode: String = "async"

        func run() throws {
            try Governed.run(options.store, "spoc.register", options.officer) {
                guard let ns = SPOCNamespace(rawValue: namespace) else { throw ValidationError("--namespace must be icao or csn") }
                guard let family = SPOCEKUFamily(rawValue: eku) else { throw ValidationError("--eku must be icao or csn") }
                guard let policy = SPOCMode(rawValue: mode) else { throw ValidationError("--mode must be sync or async") }
                let rootCertificate = try IO.decode(root, what: "certificate") { try Certificate(bytes: $0) }
                let intermediates = try intermediate.map { path in try IO.decode(path, what: "certificate") { try Certificate(bytes: $0) }.derEncoded }
                let spoc = try options.spoc()
                let peer = ForeignSPOC(country: country, url: url, root: rootCertificate.derEncoded, intermediates: intermediates, namespace: ns,
                                       ekuFamily: family, mode: policy, registeredAt: spoc.clock.now())
                if let fingerprint {
                    let given = fingerprint.lowercased().filter { $0.isHexDigit }
                    guard given == peer.rootFingerprint else {
                        throw CLIFailure(message: "error: the root's SHA-256 is \(peer.rootFingerprint), not the registered \(given)")
                    }
                }
                try spoc.register(peer)
                print("registered \(country) at \(url): root \(rootCertificate.subject) (SHA-256 \(peer.rootFingerprint)), \(ns) namespace, \(family) EKU, \(policy)")
            }
        }
    }

    struct Unregister: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a foreign SPOC's registration.")
        @OptionGroup var options: SPOCOptions
        @Argument(help: "Its country code.") var country: String
        func run() throws {
            try Governed.run(options.store, "spoc.unregister", options.officer) {
                try options.spoc().remove(country: country)
                print("removed \(country)")
            }
        }
    }

    struct Peers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered foreign SPOCs.")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            let peers = try options.spoc().peers()
            if options.json {
                try IO.printJSON(peers.map { ["country": $0.country, "url": $0.url, "rootSHA256": $0.rootFingerprint, "namespace": $0.namespace.rawValue,
                                              "eku": $0.ekuFamily.rawValue, "mode": $0.mode.rawValue] })
                return
            }
            for peer in peers { print("\(peer.country)  \(peer.url)  \(peer.namespace)/\(peer.ekuFamily)  \(peer.mode)  root \(peer.rootFingerprint)") }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the SPOC (POST /spoc, GET /spoc?wsdl) over mutual TLS, and push the outbox.")
        @OptionGroup var options: SPOCOptions
        @Option(help: "Address to listen on, HOST:PORT (port 0: any free port, printed).") var listen: String = "127.0.0.1:8445"
        @Option(name: .customLong("outbox-interval"), help: "Seconds between outbox rounds.") var outboxInterval: Double = 2
        @Flag(name: .customLong("no-outbox"), help: "Do not push the outbox from this node.") var noOutbox = false

        func run() throws {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8445")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let (opened, keys) = try options.open()
            let spoc = try SinglePointOfContact(store: opened, domain: options.store.domain)
            let wiring = try SPOCWiring(store: opened, domain: options.store.domain, keys: keys)
            let server = SPOCServer(spoc: spoc, material: try options.material(spoc), authenticator: SPOCPeerAuthenticator(clock: SystemClock()),
                                    authority: wiring, documentVerifier: wiring, outboxInterval: noOutbox ? nil : outboxInterval)
            let country = try spoc.identity().country
            let peers = try spoc.peers().count
            try AsyncBridge.run {
                try await server.run(host: host, port: port) { bound in
                    FileHandle.standardOutput.write(Data("epki spoc: \(country) serving on https://\(host):\(bound)/spoc for \(peers) registered SPOC(s); WSDL at /spoc?wsdl\n".utf8))
                }
            }
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a foreign CVCA, through its SPOC, to certify a new key of our DVCA.",
            discussion: "The request is successive when our DVCA holds a valid DV certificate of that country, else initial and countersigned by our CVCA.")
        @OptionGroup var options: SPOCOptions
        @Option(help: "The foreign SPOC's country.") var to: String
        @Option(help: "The foreign CVCA's CHR (default: its newest registered key).") var cvca: String?
        @Flag(help: "Make an initial request even when a valid DV certificate exists.") var initial = false

        func run() throws {
            let (client, wiring) = try options.client()
            let target = try cvca ?? {
                guard let newest = try wiring.cvca.foreignCVCAs().last(where: { $0.chr.hasPrefix(to) }) else {
                    throw CLIFailure(message: "error: no CVCA of \(to) is registered; register it with `epki cvca register-foreign-cvca`")
                }
                return newest.chr
            }()
            let made = try wiring.dvca.request(to: target, initial: initial, authenticateWithNationalCVCA: true)
            let bytes = try made.request.encoded
            let (messageID, response, note) = try AsyncBridge.value { try await client.requestCertificate(bytes, to: to, documentVerifier: wiring) }
            if options.json {
                try IO.printJSON(["messageID": messageID, "chr": made.request.chr, "result": response.result.rawValue, "note": note ?? ""])
            } else {
                print("\(made.request.chr) → \(to) (\(target)), messageID \(messageID): \(response.result)\(note.map { "; \($0)" } ?? "")")
            }
            if !response.result.isSuccess { throw ExitCode(1) }
        }
    }

    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Foreign DV requests waiting for an operator.",
                                                        subcommands: [List.self, Approve.self, Refuse.self])

        struct List: ParsableCommand {
            @OptionGroup var options: SPOCOptions
            @Flag(help: "Decided entries too.") var all = false
            func run() throws {
                let entries = try options.spoc().queue(state: all ? nil : .queued)
                if options.json {
                    try IO.printJSON(entries.map { ["id": $0.id, "country": $0.country, "messageID": $0.messageID, "chr": $0.chr ?? "",
                                                    "state": $0.state.rawValue, "result": $0.result?.rawValue ?? ""] as [String: Any] })
                    return
                }
                for entry in entries {
                    print("\(entry.id)  \(entry.country)  \(entry.chr ?? "(unreadable)")  \(entry.state)\(entry.result.map { " \($0)" } ?? "")  messageID \(entry.messageID)  received \(Time.iso8601(entry.receivedAt))")
                }
            }
        }

        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Let the CVCA decide the request; the answer is pushed from the outbox.")
            @OptionGroup var options: SPOCOptions
            @Argument(help: "The queue entry.") var id: Int64
            func run() throws {
            try Governed.run(options.store, "spoc.queue.approve", options.officer) {
                    let (opened, keys) = try options.open()
                    let spoc = try SinglePointOfContact(store: opened, domain: options.store.domain)
                    let entry = try spoc.approve(id, authority: SPOCWiring(store: opened, domain: options.store.domain, keys: keys))
                    print("\(id): \(entry.statusInfo), \(entry.certificates.count) certificate(s) in outbox entry \(entry.id) for \(entry.country)")
                    if !entry.statusInfo.isSuccess { throw ExitCode(1) }
                }
        }
        }

        struct Refuse: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Refuse the request (failure_request_not_accepted, pushed from the outbox).")
            @OptionGroup var options: SPOCOptions
            @Argument(help: "The queue entry.") var id: Int64
            @Option(help: "Why, for the audit trail.") var reason: String
            func run() throws {
            try Governed.run(options.store, "spoc.queue.refuse", options.officer) {
                    let entry = try options.spoc().refuse(id, reason: reason)
                    print("\(id): refused; outbox entry \(entry.id) for \(entry.country)")
                }
        }
        }
    }

    struct Deliver: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Push the due outbox entries once (what `serve` does every few seconds).")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            let (client, _) = try options.client()
            for delivery in try AsyncBridge.value({ try await client.deliverDue() }) {
                print("\(delivery.entry.id) → \(delivery.entry.country): \(delivery.result?.rawValue ?? "not delivered: \(delivery.error ?? "")")")
            }
        }
    }

    struct Outbox: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the outbox.")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            let entries = try options.spoc().outbox()
            if options.json {
                try IO.printJSON(entries.map { ["id": $0.id, "country": $0.country, "messageID": $0.messageID ?? "", "statusInfo": $0.statusInfo.rawValue,
                                                "state": $0.state.rawValue, "attempts": $0.attempts, "result": $0.result?.rawValue ?? "",
                                                "lastError": $0.lastError ?? ""] as [String: Any] })
                return
            }
            for entry in entries {
                print("\(entry.id)  \(entry.country)  \(entry.statusInfo)  \(entry.state)  attempts \(entry.attempts)\(entry.result.map { "  \($0)" } ?? "")\(entry.lastError.map { "  last error: \($0)" } ?? "")")
            }
        }
    }

    struct Message: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a GeneralMessage (English, for operators) to one SPOC or all.")
        @OptionGroup var options: SPOCOptions
        @Option(help: "A country code, or all.") var to: String
        @Option(help: "Subject.") var subject: String
        @Option(help: "Body text.") var body: String?
        @Option(name: .customLong("body-file"), help: "Body text from a file.") var bodyFile: String?
        func run() throws {
            let text = try body ?? bodyFile.map { String(decoding: try IO.read($0, what: "body"), as: UTF8.self) } ?? {
                throw ValidationError("give --body or --body-file")
            }()
            let (client, _) = try options.client()
            let results = try AsyncBridge.value { try await client.sendMessage(subject: subject, body: text, to: to.lowercased() == "all" ? nil : to) }
            var failed = false
            for (country, result) in results {
                switch result {
                case .success(let code): print("\(country): \(code)"); failed = failed || !code.isSuccess
                case .failure(let error): print("\(country): not delivered: \(error.reason)"); failed = true
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Messages: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the GeneralMessages received and sent.")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            for message in try options.spoc().messages() {
                print("\(Time.iso8601(message.at))  \(message.direction == "in" ? "from" : "to") \(message.country)  \(message.subject)\n    \(message.body)")
            }
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The transaction log: every SPOC message both ways.")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            let entries = try options.spoc().log()
            if options.json {
                try IO.printJSON(entries.map { ["at": Time.iso8601($0.at), "direction": $0.direction.rawValue, "country": $0.country, "operation": $0.operation,
                                                "messageID": $0.messageID ?? "", "result": $0.result, "detail": $0.detail] })
                return
            }
            for entry in entries {
                print("\(Time.iso8601(entry.at))  \(entry.direction.rawValue == "in" ? "←" : "→") \(entry.country)  \(entry.operation)  \(entry.messageID ?? "-")  \(entry.result)  \(entry.detail)")
            }
        }
    }

    struct GetCA: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-ca", abstract: "Ask a foreign SPOC for its CVCA certificates.")
        @OptionGroup var options: SPOCOptions
        @Option(help: "The foreign SPOC's country.") var from: String
        @Option(name: .customLong("out-dir"), help: "Write each certificate here as <CHR>.cvcert.") var outDirectory: String?
        func run() throws {
            let (client, _) = try options.client()
            let response = try AsyncBridge.value { try await client.getCACertificates(from: from) }
            print("\(from): \(response.result), \(response.certificates.count) certificate(s)")
            for bytes in response.certificates {
                let certificate = try CVCertificate(encoded: bytes)
                print("  \(certificate.car) → \(certificate.chr)  \(certificate.body.effectiveDate)–\(certificate.body.expirationDate)")
                if let outDirectory { try IO.write(bytes, to: URL(fileURLWithPath: outDirectory).appendingPathComponent("\(certificate.chr).cvcert").path) }
            }
        }
    }

    struct Announce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push our current CVCA certificates to every registered SPOC (new_cert_available_notification); `cvca link` does it itself.")
        @OptionGroup var options: SPOCOptions
        func run() throws {
            let (opened, keys) = try options.open()
            let wiring = try SPOCWiring(store: opened, domain: options.store.domain, keys: keys)
            let entries = try SinglePointOfContact(store: opened, domain: options.store.domain).announce(certificates: try wiring.caCertificates())
            print("announced to \(entries.map(\.country).joined(separator: ", ")); `serve` or `deliver` pushes them")
        }
    }
}

extension SPOCCommand {
    struct NationalDVCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dv", abstract: "DV operators of this country that use the TR-03129 CVCA service (POST /tr03129/cvca).",
            subcommands: [Register.self, List.self])

        struct Register: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Register (or update) a national DV operator by its TLS client certificate.")
            @OptionGroup var options: SPOCOptions
            @Option(help: "Its holder name: country code and mnemonic (e.g. CZDVB).") var holder: String
            @Option(help: "Its TLS client certificate (PEM or DER), pinned by SHA-256.") var certificate: String
            @Option(help: "The CA certificate that issued it.") var root: String
            @Option(help: "Where answers from abroad are pushed (https URL of its TR-03129 DV service).") var callback: String?
            func run() throws {
                let leaf = try IO.decode(certificate, what: "certificate") { try Certificate(bytes: $0) }
                let anchor = try IO.decode(root, what: "certificate") { try Certificate(bytes: $0) }
                let dv = try options.spoc().registerNationalDV(holder: holder, certificate: leaf.derEncoded, root: anchor.derEncoded, callbackURL: callback)
                print("registered DV \(dv.holder): \(leaf.subject), SHA-256 \(dv.certificateFingerprint)\(callback.map { ", callbacks to \($0)" } ?? "")")
            }
        }

        struct List: ParsableCommand {
            @OptionGroup var options: SPOCOptions
            func run() throws {
                for dv in try options.spoc().nationalDVs() {
                    print("\(dv.holder)  SHA-256 \(dv.certificateFingerprint)  \(dv.callbackURL ?? "(no callback)")")
                }
            }
        }
    }
}
