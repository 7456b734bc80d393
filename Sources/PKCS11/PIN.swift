import Foundation

/// A token PIN, read from a file or an environment variable — never from an argument — and never printed.
public struct PIN: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let bytes: [UInt8]

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    public static func fromFile(_ path: String) throws -> PIN {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKCS11Error(.missingPIN, "cannot read the PIN file \(path)")
        }
        let line = data.prefix { $0 != 0x0A && $0 != 0x0D }
        guard !line.isEmpty else { throw PKCS11Error(.missingPIN, "the PIN file \(path) is empty") }
        return PIN(String(decoding: line, as: UTF8.self))
    }

    public static func fromEnvironment(_ name: String) throws -> PIN {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw PKCS11Error(.missingPIN, "the environment variable \(name) holds no PIN")
        }
        return PIN(value)
    }

    /// RFC 7512 `pin-source`: `file:/path` or a plain path.
    public static func fromSource(_ source: String) throws -> PIN {
        if source.hasPrefix("file:") { return try fromFile(String(source.dropFirst(5))) }
        if source.hasPrefix("env:") { return try fromEnvironment(String(source.dropFirst(4))) }
        return try fromFile(source)
    }

    public var description: String { "PIN(redacted)" }
    public var debugDescription: String { description }
}
