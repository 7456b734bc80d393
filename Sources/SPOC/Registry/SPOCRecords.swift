import Foundation

/// Who we are to the other SPOCs: our country code (our `callerID`), the URL we registered with them, and our SPOC
/// TLS certificates with the references of their keys in the key provider (never the keys themselves).
public struct SPOCIdentity: Sendable, Hashable {
    public let country: String
    public let url: String
    public let serverCertificate: [UInt8]
    public let serverKey: String
    public let clientCertificate: [UInt8]
    public let clientKey: String
    /// CA certificates sent after ours in the TLS handshake (usually none: peers hold our root).
    public let chain: [[UInt8]]

    public init(country: String, url: String, serverCertificate: [UInt8], serverKey: String, clientCertificate: [UInt8], clientKey: String,
                chain: [[UInt8]] = []) {
        self.country = country
        self.url = url
        self.serverCertificate = serverCertificate
        self.serverKey = serverKey
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.chain = chain
    }
}

/// A foreign DV's request waiting for (or decided by) an operator.
public struct SPOCQueueEntry: Sendable, Hashable {
    public enum State: String, Sendable, Codable { case queued, approved, refused }
    public let id: Int64
    public let country: String
    public let messageID: String
    /// The request's CHR, when it could be read.
    public let chr: String?
    public let request: [UInt8]
    public let state: State
    public let result: SPOCResultCode?
    public let detail: String?
    public let receivedAt: Date
    public let decidedAt: Date?
    public let decidedBy: String?
}

/// A SendCertificates waiting to be pushed to a registered SPOC, or pushed.
public struct SPOCOutboxEntry: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case pending
        /// The peer answered ok_received_correctly.
        case delivered
        /// The peer answered with a failure code; it is not sent again.
        case rejected
    }
    public let id: Int64
    public let country: String
    public let messageID: String?
    public let statusInfo: SPOCResultCode
    public let certificates: [[UInt8]]
    public let state: State
    public let attempts: Int
    public let nextAttemptAt: Date
    public let lastError: String?
    public let result: SPOCResultCode?
    public let createdAt: Date
    public let deliveredAt: Date?
    /// Where it goes: a foreign SPOC (SendCertificates of the SPOC protocol), or a national DV (TR-03129
    /// SendCertificates to its callback URL; `country` then holds the DV's holder name).
    public let target: Target

    public enum Target: String, Sendable, Codable {
        case spoc
        case dv
    }
}

/// A DV operator of our country that runs apart from the CVCA and uses the TR-03129 CVCA service: it is known by
/// its TLS client certificate (pinned by SHA-256, chaining to `root`), and answers from abroad are pushed to its
/// registered callback URL.
public struct NationalDV: Sendable, Hashable {
    /// Country code and holder mnemonic, the part of its CHRs that stays (e.g. CZDVB).
    public let holder: String
    public let certificateFingerprint: String
    public let root: [UInt8]
    public let callbackURL: String?
    public let registeredAt: Date

    public init(holder: String, certificateFingerprint: String, root: [UInt8], callbackURL: String?, registeredAt: Date) {
        self.holder = holder
        self.certificateFingerprint = certificateFingerprint
        self.root = root
        self.callbackURL = callbackURL
        self.registeredAt = registeredAt
    }
}

/// A request we sent to a foreign SPOC, kept by its messageID until the answer comes.
public struct SPOCOutboundRequest: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case sent
        /// ok_reception_ack: the answer will be pushed.
        case acknowledged
        case answered
        case refused
        /// No SPOC answer came back (transport); the request may be sent again with a new messageID.
        case failed
    }
    public let messageID: String
    public let country: String
    public let operation: SPOCOperation
    /// Our DV's CHR, for RequestCertificate.
    public let chr: String?
    public let request: [UInt8]?
    public let state: State
    public let result: SPOCResultCode?
    public let detail: String?
    public let sentAt: Date
    public let answeredAt: Date?
    /// For a national DV's request forwarded abroad: its holder and its own messageID, to pass the answer on.
    public var forwardTo: String? = nil
    public var forwardMessageID: String? = nil
}

public struct SPOCGeneralMessage: Sendable, Hashable {
    /// "in" or "out".
    public let direction: String
    public let country: String
    public let messageID: String
    public let subject: String
    public let body: String
    public let at: Date
}

/// One line of the transaction log: every SPOC message both ways, with its result.
public struct SPOCLogEntry: Sendable, Hashable {
    public enum Direction: String, Sendable, Codable {
        case inbound = "in"
        case outbound = "out"
    }
    public let at: Date
    public let direction: Direction
    public let country: String
    public let operation: String
    public let messageID: String?
    public let result: String
    public let detail: String

    public init(at: Date, direction: Direction, country: String, operation: String, messageID: String?, result: String, detail: String) {
        self.at = at
        self.direction = direction
        self.country = country
        self.operation = operation
        self.messageID = messageID
        self.result = result
        self.detail = detail
    }
}
