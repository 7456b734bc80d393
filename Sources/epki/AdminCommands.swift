import Administration
import ArgumentParser
import Foundation
import PKICore
import Store

struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "The administration API (mutual TLS with officers' certificates).", subcommands: [Serve.self])

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the administration API: status, DS issuance, revocation, CRLs, proposals, audit; OpenAPI at /openapi.json.",
            discussion: """
                A client certificate is required; its public key must be an enrolled officer's of the domain in the path \
                (`epki officer add`), and each operation needs the officer's role, as on the command line. The TLS key is \
                an encrypted PKCS#8 file (P-256/P-384 or RSA), opened with the passphrase, which also opens the CA keys.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @Option(help: "Address to listen on, HOST:PORT (port 0: any free port, printed).") var listen: String = "127.0.0.1:8446"
        @Option(name: .customLong("tls-cert"), help: "The server's certificate chain (PEM).") var tlsCertificate: String
        @Option(name: .customLong("tls-key"), help: "The server's key: encrypted PKCS#8.") var tlsKey: String

        func run() throws {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8446")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let opened = try store.open(create: false)
            let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: opened, passphrase: try passphrase.passphrase(required: false)), pin: try pin.pin(), hsm: nil)
            let chain = try PEM.decodeAll(IO.read(tlsCertificate, what: "TLS certificate")).filter { $0.label == "CERTIFICATE" }.map(\.der)
            let key = try IO.loadPrivateKey(tlsKey, passphrase: passphrase).plainPKCS8ForSealing()
            let service = AdministrationService(store: opened, keys: keys)
            let app = try service.application(host: host, port: port, certificateChain: chain, privateKeyPKCS8: key) { bound in
                FileHandle.standardOutput.write(Data("epki admin: serving on https://\(host):\(bound); OpenAPI at /openapi.json\n".utf8))
            }
            try AsyncBridge.run { try await app.runService() }
        }
    }
}
