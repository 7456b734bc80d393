import ArgumentParser
import Foundation
import PKCS11
import PKICore

/// Where a command gets a token PIN: never as an argument.
struct PINOptions: ParsableArguments {
    @Option(name: .customLong("pin-file"), help: "File whose first line is the token's user PIN.")
    var file: String?

    @Option(name: .customLong("pin-env"), help: "Environment variable holding the token's user PIN.")
    var environment: String?

    func pin() throws -> PIN? {
        if let file { return try PIN.fromFile(file) }
        if let environment { return try PIN.fromEnvironment(environment) }
        if let value = ProcessInfo.processInfo.environment["EPKI_PKCS11_PIN"], !value.isEmpty { return PIN(value) }
        return nil
    }
}

extension IO {
    /// The signer a `--key` argument names: a PKCS#11 URI (`pkcs11:...`) or an encrypted PKCS#8 file.
    static func loadSigner(_ key: String, passphrase: PassphraseOptions, pin: PINOptions) throws -> any Signer {
        if PKCS11URI.isPKCS11URI(key) {
            return try PKCS11Token.signer(for: PKCS11URI(key), pin: pin.pin())
        }
        return SoftwareSigner(key: try loadPrivateKey(key, passphrase: passphrase))
    }
}

struct HSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsm", abstract: "PKCS#11 modules, slots and tokens.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List PKCS#11 modules (p11-kit's registry, or --module) with their slots and tokens.")

        @Option(help: "Load this module instead of p11-kit's registered ones.")
        var module: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let modules = try module.map { [try PKCS11Module.load(path: $0)] } ?? PKCS11Module.registered()
            var listing: [[String: Any]] = []
            for module in modules {
                let tokens: [[String: Any]]
                do {
                    tokens = try module.tokens().map { token in
                        ["slot": token.slotID, "slotDescription": token.slotDescription, "label": token.label,
                         "manufacturer": token.manufacturer, "model": token.model, "serial": token.serialNumber,
                         "initialized": token.isInitialized, "loginRequired": token.requiresLogin,
                         "uri": PKCS11URI(token: token.label).description]
                    }
                } catch {
                    tokens = [["error": "\(error)"]]
                }
                listing.append(["module": module.name, "path": module.path ?? "", "tokens": tokens])
            }
            if json { try IO.printJSON(listing); return }
            if listing.isEmpty { print("no PKCS#11 modules are registered with p11-kit") }
            for entry in listing {
                print("module \(entry["module"] ?? "") (\(entry["path"] ?? ""))")
                for token in entry["tokens"] as? [[String: Any]] ?? [] {
                    if let error = token["error"] { print("  error: \(error)"); continue }
                    print("  slot \(token["slot"] ?? ""): token '\(token["label"] ?? "")' \(token["manufacturer"] ?? "") \(token["model"] ?? "") serial \(token["serial"] ?? "")")
                }
            }
        }
    }
}
