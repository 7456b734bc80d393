import Foundation

/// A passphrase for an encrypted key file, read from a file or an environment variable — never from a
/// command-line argument, which other users can see in the process list.
///
/// Its description is redacted so it cannot reach a log by accident.
public struct Passphrase: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let bytes: [UInt8]

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// The first line of the file, without its line ending.
    public static func fromFile(_ path: String) throws -> Passphrase {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError(.fileError, "cannot read the passphrase file \(path)")
        }
        let firstLine = data.prefix { $0 != 0x0A && $0 != 0x0D }
        guard !firstLine.isEmpty else { throw PKIError(.missingInput, "the passphrase file \(path) is empty") }
        return Passphrase(bytes: Array(firstLine))
    }

    public static func fromEnvironment(_ name: String) throws -> Passphrase {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw PKIError(.missingInput, "the environment variable \(name) holds no passphrase")
        }
        return Passphrase(value)
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String { "Passphrase(redacted)" }
    public var debugDescription: String { description }
}
