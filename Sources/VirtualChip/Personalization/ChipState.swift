import ChipAccess
import CVC
import Foundation
import PKICore

/// What a chip keeps in its persistent memory: everything personalization writes and Terminal Authentication
/// updates, nothing of a session. A `ChipStateFile` stores it sealed under a passphrase.
///
/// ```
/// lifecycle            personalization (the default of a blank chip) → operational (PUT DATA DE AD), never back
/// files                the master file's and the LDS1 application's elementary files
/// mrz                  document number, date of birth, date of expiry: the BAC key seed and PACE's MRZ password
/// can, pin, puk        PACE passwords
/// chipAuthentication   the static Chip Authentication key: curve and private scalar (DG14 holds its public key)
/// activeAuthentication the Active Authentication key as PKCS#8 (DG15 holds its public key) and, for ECDSA, the hash
/// trustPoints          CVCA certificates (or bodies), newest first, at most two
/// currentDate          the chip's approximate date (TR-03110-3 §2.5), advanced by Terminal Authentication
/// ```
public struct ChipState: Codable, Sendable, Equatable {
    public enum Lifecycle: String, Codable, Sendable {
        case personalization
        case operational
    }

    public struct MRZSecret: Codable, Sendable, Equatable {
        public var documentNumber: String
        public var dateOfBirth: String
        public var dateOfExpiry: String

        public init(documentNumber: String, dateOfBirth: String, dateOfExpiry: String) {
            self.documentNumber = documentNumber
            self.dateOfBirth = dateOfBirth
            self.dateOfExpiry = dateOfExpiry
        }

        public var bacKey: BACKey {
            get throws { try BACKey(documentNumber: documentNumber, dateOfBirth: dateOfBirth, dateOfExpiry: dateOfExpiry) }
        }
    }

    public struct StaticKey: Codable, Sendable, Equatable {
        public var curve: String
        public var privateKey: [UInt8]

        public init(curve: ECCurve, privateKey: [UInt8]) {
            self.curve = curve.rawValue
            self.privateKey = privateKey
        }
    }

    public var lifecycle: Lifecycle
    public var files: ChipFileSystem
    public var mrz: MRZSecret?
    public var can: String?
    public var pin: String?
    public var puk: String?
    public var chipAuthentication: StaticKey?
    public var activeAuthenticationKey: [UInt8]?
    public var activeAuthenticationHash: String?
    public var trustPoints: [[UInt8]]
    public var currentDate: String?

    /// A blank chip, as it leaves the fab: no file, no key, open for personalization.
    public init() {
        lifecycle = .personalization
        files = ChipFileSystem()
        trustPoints = []
    }
}

/// A chip's state on disk: JSON holding the state sealed under a passphrase (`PassphraseSealedData`), written to a
/// temporary file and renamed over the old one, so a process killed mid-write leaves the previous state whole and
/// every command answered 9000 is in the file. There is no fsync: a personalization line saves after every
/// command, and syncing each one made a 40 KB DG2 take seconds; a power cut may lose the last commands (the line
/// then starts that chip again, as it would with a real one).
///
/// ```
/// { "format": "epki-virtual-chip-state-1", "sealed": { "salt": …, "iterations": …, "iv": …, "ciphertext": …, "mac": … } }
/// ```
public final class ChipStateFile: @unchecked Sendable {
    public static let format = "epki-virtual-chip-state-1"
    public let path: String
    private let passphrase: Passphrase
    /// PBKDF2 iterations for a new file; tests lower it.
    public var iterations: UInt32 = PassphraseSealedData.defaultIterations
    /// Derived once, on the first load or save: a chip being personalized is saved after every command.
    private var key: PassphraseSealedData.SealingKey?
    private let lock = NSLock()

    public init(path: String, passphrase: Passphrase) {
        self.path = path
        self.passphrase = passphrase
    }

    struct Envelope: Codable {
        var format: String
        var sealed: PassphraseSealedData
    }

    public func load() throws -> ChipState {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VirtualChipError(.invalidFile, "cannot read the chip state file '\(path)'")
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch {
            throw VirtualChipError(.invalidFile, "'\(path)' is not a chip state file: \(error)")
        }
        guard envelope.format == Self.format else {
            throw VirtualChipError(.invalidFile, "'\(path)': format '\(envelope.format)', expected '\(Self.format)'")
        }
        let plaintext: [UInt8]
        do {
            let sealed = envelope.sealed
            let key = try lock.withLock {
                if let key = self.key, key.salt == sealed.salt, key.iterations == sealed.iterations { return key }
                let derived = try PassphraseSealedData.SealingKey(passphrase: passphrase, salt: sealed.salt, iterations: sealed.iterations)
                return derived
            }
            plaintext = try sealed.open(with: key)
            lock.withLock { self.key = key }
        } catch let error as PKIError {
            throw VirtualChipError(.invalidFile, "'\(path)': \(error.reason)")
        }
        do {
            return try JSONDecoder().decode(ChipState.self, from: Data(plaintext))
        } catch {
            throw VirtualChipError(.invalidFile, "'\(path)': the sealed state does not decode: \(error)")
        }
    }

    public func save(_ state: ChipState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plaintext = try encoder.encode(state)
        let key = try lock.withLock {
            if let key = self.key { return key }
            let fresh = try PassphraseSealedData.SealingKey(passphrase: passphrase, iterations: iterations)
            self.key = fresh
            return fresh
        }
        let envelope = Envelope(format: Self.format, sealed: try key.seal(Array(plaintext)))
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let bytes = try encoder.encode(envelope)
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw VirtualChipError(.invalidFile, "cannot write '\(temporary)'")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VirtualChipError(.invalidFile, "cannot replace '\(path)': \(reason)")
        }
    }
}
