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

    /// Creates a key that stays *provisional* until `settle(_:)` or `discard(_:)`: for an operation that records the
    /// key's reference in a store transaction after the key exists (a signer certificate). Until then the process
    /// holds the key file locked, so that `removeAbandonedKeys` of another process leaves it alone; a process killed
    /// in between loses the lock with its life, and the file it leaves can be told from a live one.
    func generateProvisional(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer)
    /// Ends a provisional key's provisional state: its reference is now recorded (committed) by the caller.
    func settle(_ reference: String)
    /// Removes the software key files named `name.pem` or `name-N.pem` of `domain` that no live process holds
    /// provisional and that `isClaimed` (asked after the file is locked) says nothing refers to: the keys of
    /// operations killed between generating the key and committing it. Returns the references removed.
    func removeAbandonedKeys(domain: String, name: String, isClaimed: (String) throws -> Bool) throws -> [String]
}

extension KeyProvider {
    public func discard(_ reference: String) {}

    public func generateProvisional(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        try generate(specification, name: name, domain: domain)
    }

    public func settle(_ reference: String) {}

    public func removeAbandonedKeys(domain: String, name: String, isClaimed: (String) throws -> Bool) throws -> [String] { [] }

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
        try create(specification, name: name, domain: domain, provisional: false)
    }

    public func generateProvisional(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        try create(specification, name: name, domain: domain, provisional: true)
    }

    public func settle(_ reference: String) {
        cache.release(reference)
    }

    /// Writes the encrypted key under a temporary name, locked, synced, then links it to the first free
    /// `name.pem`, `name-2.pem`, …: `link` never replaces a file, so two processes generating at once cannot
    /// write the same name (an existence check followed by a write could), and the final name only ever shows a
    /// whole key. A provisional key's lock is kept (the file descriptor stays open) until `settle` or `discard`.
    private func create(_ specification: KeySpecification, name: String, domain: String, provisional: Bool) throws -> (reference: String, signer: any Signer) {
        guard let passphrase else {
            throw StoreError(.keyUnavailable, "software keys need a passphrase (--passphrase-file or --passphrase-env)")
        }
        let key = try PrivateKey.generate(specification)
        let encrypted = try key.encryptedPKCS8(passphrase: passphrase)
        let directory = try store.keyDirectory(domain: domain)
        let temporary = directory.appendingPathComponent(".\(name).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp").path
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.keyUnavailable, "cannot create the key file \(temporary): \(String(cString: strerror(errno)))")
        }
        var keepOpen = false
        defer {
            if !keepOpen { close(descriptor) }
            unlink(temporary)
        }
        guard flock(descriptor, LOCK_EX) == 0, KeyFile.writeAll(descriptor, encrypted), fsync(descriptor) == 0 else {
            throw StoreError(.keyUnavailable, "cannot write the key file \(temporary): \(String(cString: strerror(errno)))")
        }
        var fileName = "\(name).pem"
        var counter = 1
        while link(temporary, directory.appendingPathComponent(fileName).path) != 0 {
            guard errno == EEXIST, counter < 1_000_000 else {
                throw StoreError(.keyUnavailable, "cannot name the key file \(fileName) in \(directory.path): \(String(cString: strerror(errno)))")
            }
            counter += 1
            fileName = "\(name)-\(counter).pem"
        }
        KeyFile.syncDirectory(directory.path)
        let reference = "file:keys/\(domain)/\(fileName)"
        let signer = SoftwareSigner(key: key)
        cache[reference] = signer
        if provisional {
            cache.hold(reference, descriptor: descriptor)
            keepOpen = true
        }
        return (reference, signer)
    }

    /// Looks once per provider (and its copies) and name: keys are abandoned only by processes that died, so one
    /// look when a process starts issuing is enough, and a service's every request must not list the directory.
    public func removeAbandonedKeys(domain: String, name: String, isClaimed: (String) throws -> Bool) throws -> [String] {
        guard cache.firstSweep(of: "\(domain)/\(name)") else { return [] }
        let directory = try store.keyDirectory(domain: domain)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed: [String] = []
        for file in files {
            let path = directory.appendingPathComponent(file).path
            let abandonedTemporary = file.hasPrefix(".\(name).") && file.hasSuffix(".tmp")
            guard abandonedTemporary || KeyFile.isNumbered(file, name: name) else { continue }
            let reference = "file:keys/\(domain)/\(file)"
            if cache.isHeld(reference) { continue }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            // Locked: a live process generated it and has not settled it yet. Unlocked: its operation either
            // committed (then the store names it) or died.
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            if try abandonedTemporary || !isClaimed(reference) {
                unlink(path)
                removed.append(reference)
            }
        }
        if !removed.isEmpty { KeyFile.syncDirectory(directory.path) }
        return removed
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
        cache.release(reference)
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
        /// Provisional keys' open, locked file descriptors.
        private var held: [String: Int32] = [:]
        /// The domain/name pairs `removeAbandonedKeys` has looked at.
        private var swept: Set<String> = []

        func firstSweep(of key: String) -> Bool {
            lock.lock(); defer { lock.unlock() }
            return swept.insert(key).inserted
        }

        func hold(_ reference: String, descriptor: Int32) {
            lock.lock(); held[reference] = descriptor; lock.unlock()
        }

        func isHeld(_ reference: String) -> Bool {
            lock.lock(); defer { lock.unlock() }; return held[reference] != nil
        }

        func release(_ reference: String) {
            lock.lock(); let descriptor = held.removeValue(forKey: reference); lock.unlock()
            if let descriptor { close(descriptor) }
        }

        subscript(reference: String) -> (any Signer)? {
            get { lock.lock(); defer { lock.unlock() }; return signers[reference] }
            set { lock.lock(); signers[reference] = newValue; lock.unlock() }
        }
    }
}

/// The file operations of software keys.
enum KeyFile {
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Makes a new or removed name in `path` durable (the file's own data is synced before it is linked).
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// `name.pem` or `name-N.pem` with N a number: the names `create` gives.
    static func isNumbered(_ file: String, name: String) -> Bool {
        guard file.hasSuffix(".pem") else { return false }
        let stem = file.dropLast(4)
        if stem == Substring(name) { return true }
        guard stem.hasPrefix(name + "-") else { return false }
        let number = stem.dropFirst(name.count + 1)
        return !number.isEmpty && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber)
    }
}
