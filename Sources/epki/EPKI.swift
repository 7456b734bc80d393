import ArgumentParser
import CSCA
import CVC
import CVCA
import Foundation
import NPKD
import PKCS11
import PKICore
import Store
import SwiftASN1

@main
struct EPKI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epki",
        abstract: "The open ePassport and eID PKI suite: CSCA, CVCA/DVCA, NPKD and SPOC.",
        subcommands: [Demo.self, CSCACommand.self, CVCACommand.self, DVCACommand.self, NPKDCommand.self, AuditCommand.self, Lint.self, HSMCommand.self, KeyCommand.self, Sign.self, Verify.self, CertCommand.self, CRLCommand.self, CMSCommand.self, LDSCommand.self, SODCommand.self, PACommand.self, CVCCommand.self, CardCommand.self, ChipCommand.self, InspectCommand.self, PersoCommand.self, SPOCCommand.self, OfficerCommand.self, ProposalCommand.self, AdminCommand.self, StoreCommand.self]
    )

    /// Runs a command and turns every error into one line on stderr and exit status 1 (2 for usage errors,
    /// which ArgumentParser reports itself).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as any OperatorFacingError {
            // Every module's error names what is wrong; one line on stderr and a non-zero exit.
            FileHandle.standardError.write(Data("epki: error: \(error.reason)\n".utf8))
            Foundation.exit(1)
        } catch let error as CLIFailure {
            FileHandle.standardError.write(Data("epki: \(error.message)\n".utf8))
            Foundation.exit(error.status)
        } catch let error as ASN1Error {
            FileHandle.standardError.write(Data("epki: error: malformed input: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// A failure the CLI reports as such (e.g. "signature invalid" with exit 1), not as a crash.
struct CLIFailure: Error {
    let message: String
    var status: Int32 = 1
}

/// How a command gets a key passphrase: never as an argument, where `ps` shows it.
struct PassphraseOptions: ParsableArguments {
    @Option(name: .customLong("passphrase-file"), help: "File whose first line is the key passphrase.")
    var file: String?

    @Option(name: .customLong("passphrase-env"), help: "Environment variable holding the key passphrase.")
    var environment: String?

    func passphrase(required: Bool) throws -> Passphrase? {
        if let file { return try Passphrase.fromFile(file) }
        if let environment { return try Passphrase.fromEnvironment(environment) }
        if let value = ProcessInfo.processInfo.environment["EPKI_PASSPHRASE"], !value.isEmpty {
            return try Passphrase.fromEnvironment("EPKI_PASSPHRASE")
        }
        if required {
            throw PKIError(.missingInput, "a passphrase is needed: give --passphrase-file FILE or --passphrase-env VAR (or set EPKI_PASSPHRASE)")
        }
        return nil
    }
}

enum IO {
    static func read(_ path: String, what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError(.fileError, "cannot read \(what) '\(path)'")
        }
        return Array(data)
    }

    /// Reads `path` and decodes it as `what`; a file that is not one says so with its name, e.g. "'notes.txt' is not a
    /// readable certificate: X.509 certificate: not DER or PEM: the input is text ("hello")…".
    static func decode<T>(_ path: String, what: String, _ decode: ([UInt8]) throws -> T) throws -> T {
        let bytes = try read(path, what: what)
        do {
            return try decode(bytes)
        } catch let error as any OperatorFacingError {
            throw CLIFailure(message: "error: '\(path)' is not a readable \(what): \(error.reason)")
        }
    }

    /// Writes through a temporary file and a rename, so a failed run never leaves half a file behind.
    static func write(_ bytes: [UInt8], to path: String, privateFile: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let attributes: [FileAttributeKey: Any]? = privateFile ? [.posixPermissions: 0o600] : nil
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(bytes), attributes: attributes) else {
            throw PKIError(.fileError, "cannot write '\(path)'")
        }
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw PKIError(.fileError, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func loadPrivateKey(_ path: String, passphrase: PassphraseOptions) throws -> PrivateKey {
        let bytes = try read(path, what: "key file")
        let secret = PrivateKey.isEncrypted(bytes) ? try passphrase.passphrase(required: true) : nil
        return try PrivateKey(encoded: bytes, passphrase: secret)
    }

    /// A public key from a certificate, a SubjectPublicKeyInfo (PEM "PUBLIC KEY" or DER).
    static func loadPublicKey(certificate: String?, publicKey: String?) throws -> PublicKey {
        if let certificate { return try Certificate(bytes: read(certificate, what: "certificate")).publicKey }
        if let publicKey {
            return try PublicKey(derEncoded: PEM.decodeIfPEM(read(publicKey, what: "public key"), label: "PUBLIC KEY"))
        }
        throw PKIError(.missingInput, "give --cert FILE or --pubkey FILE")
    }
}
