import Foundation
import NIOCore
import PKICore

/// Decides which client certificates get through the TLS handshake, and which line a connection speaks for.
///
/// A client certificate is accepted when its SHA-256 fingerprint is a registered line's (read from the store at
/// every handshake, so a line added or removed counts for the next connection), it is valid at the service's
/// clock, and, when the operator named line CAs, one of them issued it. Anything else ends the handshake with a
/// TLS alert, before a byte of HTTP is read.
public final class LineVerifier: Sendable {
    public let lines: SigningLines
    /// CAs that must have issued every line certificate; empty when the registered fingerprints are the only rule.
    public let lineCAs: [Certificate]
    private let cache = Locked<[String: (line: SigningLine?, loaded: TimeInterval)]>([:])
    /// The line of each open connection, so that a request does not re-encode and re-hash its peer's certificate.
    /// Keyed by the channel's identity and holding the channel weakly: an entry is used only while it names the very
    /// channel asking (an address reused by a later connection finds a dead reference), and is dropped when the
    /// connection closes.
    private let connections = Locked<[ObjectIdentifier: ConnectionEntry]>([:])

    private struct ConnectionEntry {
        weak var channel: (any Channel)?
        var line: SigningLine
        var loaded: TimeInterval
    }
    /// How long a request's look-up of its line may be reused (the commit re-reads the line anyway).
    let cacheLifetime: TimeInterval

    public init(lines: SigningLines, lineCAs: [Certificate] = [], cacheLifetime: TimeInterval = 2) {
        self.lines = lines
        self.lineCAs = lineCAs
        self.cacheLifetime = cacheLifetime
    }

    /// The handshake's decision: the line, or why the certificate is refused. `chain` is the peer's chain as sent,
    /// leaf first, in DER.
    public func verifyHandshake(chain: [[UInt8]]) -> Result<SigningLine, SODServiceError> {
        Result {
            guard let leaf = chain.first else { throw SODServiceError(.unknownLine, "the client sent no certificate") }
            let fingerprint = try SigningLines.fingerprint(leaf)
            guard let line = try lines.line(fingerprint: fingerprint) else {
                throw SODServiceError(.unknownLine, "the client certificate (SHA-256 \(fingerprint)) is not a registered line's")
            }
            try check(line, leaf: leaf)
            cache.withLock { $0[fingerprint] = (line, ProcessInfo.processInfo.systemUptime) }
            return line
        }.mapError { error in
            (error as? SODServiceError) ?? SODServiceError(.unknownLine, "the client certificate cannot be checked: \((error as? any OperatorFacingError)?.reason ?? "\(error)")")
        }
    }

    /// The line of a connection whose handshake passed, from its certificate's DER.
    func line(certificate der: [UInt8]) throws -> SigningLine {
        let fingerprint = try SigningLines.fingerprint(der)
        let now = ProcessInfo.processInfo.systemUptime
        if let cached = cache.withLock({ $0[fingerprint] }), now - cached.loaded < cacheLifetime {
            guard let line = cached.line else { throw Self.removed(fingerprint) }
            return line
        }
        let line = try lines.line(fingerprint: fingerprint)
        cache.withLock { $0[fingerprint] = (line, now) }
        guard let line else { throw Self.removed(fingerprint) }
        return line
    }

    /// The line of a connection seen before, if any; refreshed from the store (a line removed since gives
    /// `unknownLine`) when older than `cacheLifetime`.
    func connectionLine(_ channel: any Channel) throws -> SigningLine? {
        let key = ObjectIdentifier(channel)
        guard let entry = connections.withLock({ $0[key] }), let known = entry.channel, known === channel else { return nil }
        let now = ProcessInfo.processInfo.systemUptime
        if now - entry.loaded < cacheLifetime { return entry.line }
        guard let line = try lines.line(fingerprint: entry.line.fingerprint) else {
            connections.withLock { _ = $0.removeValue(forKey: key) }
            throw Self.removed(entry.line.fingerprint)
        }
        connections.withLock { table in
            if table[key]?.channel === channel { table[key] = ConnectionEntry(channel: channel, line: line, loaded: now) }
        }
        return line
    }

    /// Keeps a connection's line until the connection closes.
    func remember(_ line: SigningLine, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let inserted = connections.withLock { table -> Bool in
            let fresh = table[key]?.channel !== channel
            table[key] = ConnectionEntry(channel: channel, line: line, loaded: ProcessInfo.processInfo.systemUptime)
            return fresh
        }
        guard inserted else { return }
        channel.closeFuture.whenComplete { [weak self, weak channel] _ in
            self?.connections.withLock { table in
                if let entry = table[key], entry.channel == nil || entry.channel === channel { table.removeValue(forKey: key) }
            }
        }
    }

    private func check(_ line: SigningLine, leaf: [UInt8]) throws {
        let now = lines.clock.now()
        guard line.notBefore <= now, now <= line.notAfter else {
            throw SODServiceError(.unknownLine, "the certificate of line '\(line.name)' is not valid now (\(Time.iso8601(line.notBefore)) to \(Time.iso8601(line.notAfter)))")
        }
        guard !lineCAs.isEmpty else { return }
        let certificate = try Certificate(bytes: leaf)
        for ca in lineCAs where certificate.mayBeIssued(by: ca) && ca.notBefore <= now && now <= ca.notAfter {
            if (try? certificate.isSignatureValid(issuerKey: ca.publicKey)) == true { return }
        }
        throw SODServiceError(.unknownLine, "the certificate of line '\(line.name)' was not issued by a line CA")
    }

    static func removed(_ fingerprint: String) -> SODServiceError {
        SODServiceError(.unknownLine, "the client certificate (SHA-256 \(fingerprint)) is no longer a registered line's")
    }
}
