import Foundation
import PKICore

/// Where a CA's keys come from: software keys in the data directory, or keys in an HSM.
///
/// The store records only a key's reference (a file inside the data directory, or a PKCS#11 URI) and the CAs ask
/// the provider for a `Signer` when they need one, so an HSM key signs exactly like a software key. The CSCA, the
/// CVCA and the DVCA share this seam; the command line adds PKCS#11 tokens to it.
public protocol KeyProvider: Sendable {
    /// Creates a key and returns its reference and a signer for it.
    func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer)
    /// A signer for a key created earlier.
    func signer(for reference: String) throws -> any Signer
    /// A signer for a key of `domain`: a provider that knows where a domain's keys live refuses another domain's
    /// (one installation serves several authorities, and none may sign with another's key).
    func signer(for reference: String, domain: String) throws -> any Signer
    /// Removes a key that was generated for an operation that then failed (software keys only; an HSM key is
    /// left to the token's administrator).
    func discard(_ reference: String)
}

extension KeyProvider {
    public func discard(_ reference: String) {}

    public func signer(for reference: String, domain: String) throws -> any Signer {
        try signer(for: reference)
    }
}

/// Software keys as encrypted PKCS#8 files under `<data-dir>/keys/<domain>/`.
///
/// ```
/// reference   file:keys/<domain>/<name>.pem     (relative to the data directory)
/// file        PEM "ENCRYPTED PRIVATE KEY", mode 0600
/// ```
public struct SoftwareKeyProvider: KeyProvider {
    public let store: EPKIStore
    let passphrase: Passphrase?
    /// Keys decrypted once per provider: PBKDF2 for every certificate would cost more than the signature.
    private let cache = Cache()

    public init(store: EPKIStore, passphrase: Passphrase?) {
        self.store = store
        self.passphrase = passphrase
    }

    public func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        guard let passphrase else {
            throw StoreError(.keyUnavailable, "software keys need a passphrase (--passphrase-file or --passphrase-env)")
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
            throw StoreError(.keyUnavailable, "cannot write the key file \(file.path)")
        }
        let reference = "file:keys/\(domain)/\(file.lastPathComponent)"
        let signer = SoftwareSigner(key: key)
        cache[reference] = signer
        return (reference, signer)
    }

    public func signer(for reference: String) throws -> any Signer {
        if let cached = cache[reference] { return cached }
        guard let path = path(of: reference) else {
            throw StoreError(.keyUnavailable, "key \(reference) is not a software key; this operation needs the HSM it lives in")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.keyUnavailable, "the key file \(path) is missing")
        }
        let signer = SoftwareSigner(key: try PrivateKey(encoded: Array(data), passphrase: passphrase))
        cache[reference] = signer
        return signer
    }

    /// Software keys of a domain live under `keys/<domain>/`: a reference into another domain's folder is refused.
    public func signer(for reference: String, domain: String) throws -> any Signer {
        try Self.checkScope(reference, domain: domain)
        return try signer(for: reference)
    }

    static func checkScope(_ reference: String, domain: String) throws {
        guard reference.hasPrefix("file:keys/") else { return }
        let owner = reference.dropFirst("file:keys/".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard owner == domain else {
            throw StoreError(.keyUnavailable, "key \(reference) belongs to domain '\(owner)'; domain '\(domain)' may not use it")
        }
    }

    /// The private key itself, decrypted into memory: for the one consumer that cannot sign through a `Signer`,
    /// a TLS library that takes its key as bytes (the SPOC's TLS keys). Never written anywhere in plaintext.
    public func privateKey(for reference: String) throws -> PrivateKey {
        guard let path = path(of: reference) else {
            throw StoreError(.keyUnavailable, "key \(reference) is not a software key; a TLS key must be a software key here")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.keyUnavailable, "the key file \(path) is missing")
        }
        return try PrivateKey(encoded: Array(data), passphrase: passphrase)
    }

    public func discard(_ reference: String) {
        guard let path = path(of: reference) else { return }
        cache[reference] = nil
        try? FileManager.default.removeItem(atPath: path)
    }

    private func path(of reference: String) -> String? {
        guard reference.hasPrefix("file:") else { return nil }
        let relative = String(reference.dropFirst(5))
        return relative.hasPrefix("/") ? relative : store.directory.appendingPathComponent(relative).path
    }

    /// Signers by key reference, shared by copies of the provider.
    final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var signers: [String: any Signer] = [:]

        subscript(reference: String) -> (any Signer)? {
            get { lock.lock(); defer { lock.unlock() }; return signers[reference] }
            set { lock.lock(); signers[reference] = newValue; lock.unlock() }
        }
    }
}
