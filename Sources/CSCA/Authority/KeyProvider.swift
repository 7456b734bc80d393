import Foundation
import PKICore
import Store

/// Where a CA's keys come from: software keys in the data directory, or keys in an HSM.
///
/// The CSCA records only a key's reference (a file path inside the data directory, or a PKCS#11 URI) and asks
/// the provider for a `Signer` when it needs one, so an HSM key is used exactly like a software key.
public protocol KeyProvider: Sendable {
    /// Creates a key and returns its reference and a signer for it.
    func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer)
    /// A signer for a key created earlier.
    func signer(for reference: String) throws -> any Signer
}

/// Software keys, stored as encrypted PKCS#8 under `<data-dir>/keys/<domain>/`.
public struct SoftwareKeyProvider: KeyProvider {
    public let store: EPKIStore
    let passphrase: Passphrase?
    /// Keys decrypted once per provider: PBKDF2 on every issuance would be half of its cost.
    private let cache = SignerCache()

    public init(store: EPKIStore, passphrase: Passphrase?) {
        self.store = store
        self.passphrase = passphrase
    }

    public func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        guard let passphrase else {
            throw CSCAError(.policyViolation, "software keys need a passphrase (--passphrase-file or --passphrase-env)")
        }
        let key = try PrivateKey.generate(specification)
        let directory = try store.keyDirectory(domain: domain)
        var file = directory.appendingPathComponent("\(name).pem")
        var counter = 1
        while FileManager.default.fileExists(atPath: file.path) {
            counter += 1
            file = directory.appendingPathComponent("\(name)-\(counter).pem")
        }
        guard FileManager.default.createFile(atPath: file.path, contents: Data(try key.encryptedPKCS8(passphrase: passphrase)),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CSCAError(.policyViolation, "cannot write the key file \(file.path)")
        }
        let reference = "file:keys/\(domain)/\(file.lastPathComponent)"
        let signer = SoftwareSigner(key: key)
        cache[reference] = signer
        return (reference, signer)
    }

    public func signer(for reference: String) throws -> any Signer {
        if let cached = cache[reference] { return cached }
        let signer = try loadSigner(reference)
        cache[reference] = signer
        return signer
    }

    private func loadSigner(_ reference: String) throws -> any Signer {
        guard reference.hasPrefix("file:") else {
            throw CSCAError(.policyViolation, "key \(reference) is not a software key; this operation needs the HSM it lives in")
        }
        let relative = String(reference.dropFirst(5))
        let path = relative.hasPrefix("/") ? relative : store.directory.appendingPathComponent(relative).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSCAError(.policyViolation, "the key file \(path) is missing")
        }
        return SoftwareSigner(key: try PrivateKey(encoded: Array(data), passphrase: passphrase))
    }
}

/// Signers by key reference, shared by copies of a provider.
final class SignerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var signers: [String: any Signer] = [:]

    subscript(reference: String) -> (any Signer)? {
        get { lock.lock(); defer { lock.unlock() }; return signers[reference] }
        set { lock.lock(); signers[reference] = newValue; lock.unlock() }
    }
}
