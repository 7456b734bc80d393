import SmartCard

/// A `CardTransport` that protects every command and checks every response with secure messaging, over another
/// transport. Once a check fails the session is closed: every later command is refused without reaching the
/// card, as a replayed or forged response means the channel can no longer be trusted.
public final class SecureMessagingTransport: CardTransport {
    public let underlying: any CardTransport
    public private(set) var session: SecureMessaging
    public private(set) var isClosed = false

    public init(_ underlying: any CardTransport, session: SecureMessaging) {
        self.underlying = underlying
        self.session = session
    }

    public func transmit(_ command: [UInt8]) throws -> [UInt8] {
        try protectedExchange { try CommandAPDU(bytes: command) }.encoded
    }

    /// What `send` calls: the command protected and the response checked as values, without encoding the plain
    /// command and parsing it back, and the same for the plain response.
    public func exchange(_ command: CommandAPDU) throws -> ResponseAPDU {
        try protectedExchange { command }
    }

    /// Protects the command `plain` gives, sends it below and checks the response; any failure closes the session.
    private func protectedExchange(_ plain: () throws -> CommandAPDU) throws -> ResponseAPDU {
        guard !isClosed else {
            throw ChipAccessError(.secureMessaging, "the secure messaging session was closed by an earlier failure; open a new one")
        }
        do {
            let command = try plain()
            let protected = try session.protect(command)
            let response = try underlying.send(protected)
            return try session.unprotect(response, command: command)
        } catch {
            isClosed = true
            throw error
        }
    }

    /// Replaces the session keys (after Chip Authentication or PACE-CAM the chip switches to new keys).
    public func switchSession(to session: SecureMessaging) {
        self.session = session
    }
}
