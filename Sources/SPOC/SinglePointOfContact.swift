import CVC
import Foundation
import PKICore
import Store

/// The SPOC of one domain on the persistent store: the registry of foreign SPOCs, what arrives from them and what
/// we send them (ICAO Doc 9303-12 §8, CSN 36 9791), without the transport (see `SPOCServer` and `SPOCClient`).
///
/// ```
/// foreign SPOC ──RequestCertificate──▶ handle ──sync──▶ CVCA decides ──▶ ok_cert_available + certificates
///                                              └async─▶ queue ──operator approves/refuses──▶ outbox ──SendCertificates──▶ its registered URL
/// our DV ──request──▶ SPOCClient ──RequestCertificate (new messageID)──▶ foreign SPOC; its SendCertificates(messageID) ──▶ handle ──▶ DVCA
/// ```
/// Every step writes the transaction log; registrations and operator decisions write the audit trail. Background
/// work (the outbox) is leased row by row, so any number of nodes can share one store.
public struct SinglePointOfContact: Sendable {
    public let store: EPKIStore
    public let domain: String
    public let clock: any PKIClock

    public static let migrations = SPOCRepository.migrations

    public init(store: EPKIStore, domain: String, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.clock = clock
    }

    // MARK: identity and registry

    /// Sets who we are to the other SPOCs (audited).
    public func setIdentity(_ identity: SPOCIdentity) throws {
        try Self.checkCountry(identity.country)
        for (what, der) in [("server", identity.serverCertificate), ("client", identity.clientCertificate)] {
            let certificate: Certificate
            do { certificate = try Certificate(bytes: der) } catch { throw SPOCError(.invalidInput, "the SPOC TLS \(what) certificate cannot be read: \(error)") }
            guard certificate.subject.countryName == identity.country else {
                throw SPOCError(.invalidInput, "the SPOC TLS \(what) certificate is for \(certificate.subject.countryName ?? "no country"), not \(identity.country)")
            }
            let role: SPOCTLSRole = what == "server" ? .server : .client
            guard SPOCTLSProfile.carries(certificate, role: role) else {
                throw SPOCError(.invalidInput, "the \(what) certificate \(certificate.subject) carries no SPOC \(what) extended key usage")
            }
        }
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            try SPOCRepository.setIdentity(db, domain: domain, identity, now: now)
            try AuditTrail.append(db, domain: domain, action: "spoc.identity", subject: identity.country, details: [
                "url": identity.url, "serverKey": identity.serverKey, "clientKey": identity.clientKey,
                "serverCertificate": try HashAlgorithm.sha256.hash(identity.serverCertificate).hexString,
                "clientCertificate": try HashAlgorithm.sha256.hash(identity.clientCertificate).hexString,
            ], now: now)
        }
    }

    public func identity() throws -> SPOCIdentity {
        guard let identity = try store.read({ db in try SPOCRepository.identity(db, domain: domain) }) else {
            throw SPOCError(.notFound, "domain '\(domain)' has no SPOC identity yet; run `epki spoc setup`")
        }
        return identity
    }

    /// Registers (or replaces) a foreign SPOC: its root must be a readable CA certificate of that country.
    @discardableResult
    public func register(_ peer: ForeignSPOC) throws -> ForeignSPOC {
        try Self.checkCountry(peer.country)
        guard let url = URL(string: peer.url), url.scheme?.lowercased() == "https", url.host != nil else {
            throw SPOCError(.invalidInput, "the SPOC URL '\(peer.url)' is not an https URL; SPOCs speak only over TLS")
        }
        let root: Certificate
        do { root = try Certificate(bytes: peer.root) } catch { throw SPOCError(.invalidInput, "the SPOC root of \(peer.country) cannot be read: \(error)") }
        guard root.subject.countryName == peer.country else {
            throw SPOCError(.invalidInput, "the root \(root.subject) is not of \(peer.country); a SPOC root has the State in its subject C")
        }
        guard root.basicConstraints?.isCertificateAuthority == true else {
            throw SPOCError(.invalidInput, "\(root.subject) is not a CA certificate (BasicConstraints cA)")
        }
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            let previous = try SPOCRepository.peer(db, domain: domain, country: peer.country)
            try SPOCRepository.upsertPeer(db, domain: domain, peer)
            var details = ["url": peer.url, "rootSHA256": peer.rootFingerprint, "root": root.subject.description, "namespace": peer.namespace.rawValue,
                           "ekuFamily": peer.ekuFamily.rawValue, "mode": peer.mode.rawValue]
            if let previous { details["previousURL"] = previous.url; details["previousRootSHA256"] = previous.rootFingerprint }
            try AuditTrail.append(db, domain: domain, action: previous == nil ? "spoc.register" : "spoc.update", subject: peer.country, details: details, now: now)
        }
        return peer
    }

    public func remove(country: String) throws {
        let now = clock.now()
        try store.write { db in
            guard try SPOCRepository.deletePeer(db, domain: domain, country: country) else {
                throw SPOCError(.notFound, "\(country) is not a registered SPOC")
            }
            try AuditTrail.append(db, domain: domain, action: "spoc.remove", subject: country, details: [:], now: now)
        }
    }

    public func peers() throws -> [ForeignSPOC] {
        try store.read { db in try SPOCRepository.peers(db, domain: domain) }
    }

    public func peer(_ country: String) throws -> ForeignSPOC? {
        try store.read { db in try SPOCRepository.peer(db, domain: domain, country: country) }
    }

    // MARK: what arrives

    /// Answers a request from `decoded.request.callerID`, whose TLS certificate was already authenticated.
    public func handle(_ decoded: SPOCMessageCodec.DecodedRequest, authority: any SPOCCertificateAuthority,
                       documentVerifier: any SPOCDocumentVerifier) throws -> SPOCResponse {
        let request = decoded.request
        let caller = request.callerID
        let now = clock.now()
        func answer(_ response: SPOCResponse, _ detail: String) throws -> SPOCResponse {
            try log(.inbound, caller, request.operation.rawValue, request.messageID, response.result.rawValue, detail)
            return response
        }
        if !decoded.syntaxProblems.isEmpty {
            let result: SPOCResultCode = .failureSyntax
            return try answer(SPOCResponse(request.operation, result: result), decoded.syntaxProblems.joined(separator: "; "))
        }
        guard let peer = try peer(caller) else {
            return try answer(SPOCResponse(request.operation, result: .failureRequestNotAccepted), "\(caller) is not registered")
        }
        let namespaceNote = decoded.namespace == peer.namespace ? "" : " (sent in the \(decoded.namespace) namespace; \(caller) is registered with \(peer.namespace))"
        switch request {
        case .requestCertificate(_, let messageID, let bytes):
            let chr = (try? CVCertificateRequest(encoded: bytes))?.chr
            let fresh = try store.write { db -> Bool in
                let fresh = try SPOCRepository.recordInbound(db, domain: domain, country: caller, operation: .requestCertificate, messageID: messageID, now: now)
                if fresh, peer.mode == .async {
                    let id = try SPOCRepository.enqueue(db, domain: domain, country: caller, messageID: messageID, chr: chr, request: bytes, now: now)
                    try AuditTrail.append(db, domain: domain, action: "spoc.queue", subject: chr ?? "(unreadable request)",
                                          details: ["country": caller, "messageID": messageID, "queue": "\(id)"], now: now)
                }
                return fresh
            }
            guard fresh else {
                return try answer(SPOCResponse(.requestCertificate, result: .failureRequestNotAccepted),
                                  "messageID \(messageID) was used by \(caller) before; a replayed request is not processed again")
            }
            if peer.mode == .async {
                return try answer(SPOCResponse(.requestCertificate, result: .okReceptionAck), "queued for an operator: \(chr ?? "unreadable request")" + namespaceNote)
            }
            let decision = authority.certify(bytes, callerID: caller)
            return try answer(SPOCResponse(.requestCertificate, result: decision.result, certificates: decision.certificates),
                              "\(decision.chr ?? chr ?? "unreadable request"): \(decision.detail)" + namespaceNote)

        case .getCACertificates:
            do {
                let certificates = try authority.caCertificates()
                return try answer(SPOCResponse(.getCACertificates, result: .okCertAvailable, certificates: certificates),
                                  "\(certificates.count) CVCA certificate(s)" + namespaceNote)
            } catch {
                return try answer(SPOCResponse(.getCACertificates, result: .failureInternalError), "\(error)")
            }

        case .generalMessage(_, let messageID, let subject, let body):
            let fresh = try store.write { db -> Bool in
                let fresh = try SPOCRepository.recordInbound(db, domain: domain, country: caller, operation: .generalMessage, messageID: messageID, now: now)
                if fresh {
                    try SPOCRepository.insertMessage(db, domain: domain, direction: "in", country: caller, messageID: messageID, subject: subject, body: body, now: now)
                }
                return fresh
            }
            return try answer(SPOCResponse(.generalMessage, result: .ok), fresh ? "stored: \(subject)" : "already received; stored once")

        case .sendCertificates(_, let messageID, let certificates, let statusInfo):
            if statusInfo.isNewCertificateNotification {
                do {
                    let note = try documentVerifier.receive(certificates: certificates, request: nil, from: caller)
                    return try answer(SPOCResponse(.sendCertificates, result: .okReceivedCorrectly), "new CVCA certificate(s): \(note)")
                } catch {
                    return try answer(SPOCResponse(.sendCertificates, result: .failureSyntax), "the announced certificates were not accepted: \(Self.reason(error))")
                }
            }
            guard let messageID, let outbound = try store.read({ db in try SPOCRepository.outbound(db, domain: domain, messageID: messageID) }),
                  outbound.country == caller else {
                return try answer(SPOCResponse(.sendCertificates, result: .failureMessageIDUnknown),
                                  "no request of ours to \(caller) has messageID \(messageID ?? "(none)")")
            }
            if outbound.state == .answered || outbound.state == .refused {
                return try answer(SPOCResponse(.sendCertificates, result: .okReceivedCorrectly), "\(messageID) was answered before; nothing handed on twice")
            }
            if let holder = outbound.forwardTo {
                // A national DV's request: the answer is passed on to its callback, not to our DVCA.
                try store.write { db in
                    _ = try SPOCRepository.addToOutbox(db, domain: domain, country: holder, messageID: outbound.forwardMessageID, statusInfo: statusInfo,
                                                       certificates: certificates, now: now, target: .dv)
                    try SPOCRepository.updateOutbound(db, domain: domain, messageID: messageID, state: statusInfo == .okCertAvailable ? .answered : .refused,
                                                      result: statusInfo, detail: "passed on to \(holder)", answeredAt: now)
                }
                return try answer(SPOCResponse(.sendCertificates, result: .okReceivedCorrectly), "\(statusInfo) for \(holder), passed on to its callback")
            }
            guard statusInfo == .okCertAvailable else {
                try store.write { db in
                    try SPOCRepository.updateOutbound(db, domain: domain, messageID: messageID, state: .refused, result: statusInfo,
                                                      detail: "refused by \(caller)", answeredAt: now)
                }
                return try answer(SPOCResponse(.sendCertificates, result: .okReceivedCorrectly), "\(caller) refused \(outbound.chr ?? messageID): \(statusInfo)")
            }
            do {
                let note = try documentVerifier.receive(certificates: certificates, request: outbound.request, from: caller)
                try store.write { db in
                    try SPOCRepository.updateOutbound(db, domain: domain, messageID: messageID, state: .answered, result: statusInfo, detail: note, answeredAt: now)
                }
                return try answer(SPOCResponse(.sendCertificates, result: .okReceivedCorrectly), note)
            } catch {
                return try answer(SPOCResponse(.sendCertificates, result: .failureSyntax), "the certificates for \(messageID) were not accepted: \(Self.reason(error))")
            }
        }
    }

    /// Logs a request that never reached `handle` (refused by the transport checks).
    public func logRefusal(country: String, operation: String, messageID: String?, reason: String) throws {
        try log(.inbound, country, operation, messageID, "refused", reason)
    }

    // MARK: the operator's queue

    public func queue(state: SPOCQueueEntry.State? = nil) throws -> [SPOCQueueEntry] {
        try store.read { db in try SPOCRepository.queue(db, domain: domain, state: state) }
    }

    /// Approves a queued request: the CVCA decides it with all its checks, and the result (certificates or the
    /// refusal code) goes into the outbox for the requester's registered URL, in one transaction with the decision.
    @discardableResult
    public func approve(_ id: Int64, authority: any SPOCCertificateAuthority) throws -> SPOCOutboxEntry {
        guard let entry = try store.read({ db in try SPOCRepository.queueEntry(db, domain: domain, id: id) }) else {
            throw SPOCError(.notFound, "no queue entry \(id)")
        }
        guard entry.state == .queued else { throw SPOCError(.conflict, "queue entry \(id) was \(entry.state) already") }
        let decision = authority.certify(entry.request, callerID: entry.country)
        return try decide(entry, state: decision.result == .okCertAvailable ? .approved : .refused, statusInfo: decision.result,
                          certificates: decision.certificates, detail: decision.detail, action: "spoc.approve")
    }

    /// Refuses a queued request (failure_request_not_accepted), pushed back like an approval.
    @discardableResult
    public func refuse(_ id: Int64, reason: String) throws -> SPOCOutboxEntry {
        guard let entry = try store.read({ db in try SPOCRepository.queueEntry(db, domain: domain, id: id) }) else {
            throw SPOCError(.notFound, "no queue entry \(id)")
        }
        guard entry.state == .queued else { throw SPOCError(.conflict, "queue entry \(id) was \(entry.state) already") }
        return try decide(entry, state: .refused, statusInfo: .failureRequestNotAccepted, certificates: [], detail: reason, action: "spoc.refuse")
    }

    private func decide(_ entry: SPOCQueueEntry, state: SPOCQueueEntry.State, statusInfo: SPOCResultCode, certificates: [[UInt8]], detail: String,
                        action: String) throws -> SPOCOutboxEntry {
        let now = clock.now()
        return try store.write { db in
            guard try SPOCRepository.decide(db, domain: domain, id: entry.id, state: state, result: statusInfo, detail: detail,
                                            by: AuditTrail.defaultActor, now: now) else {
                throw SPOCError(.conflict, "queue entry \(entry.id) was decided meanwhile")
            }
            let outbox = try SPOCRepository.addToOutbox(db, domain: domain, country: entry.country, messageID: entry.messageID, statusInfo: statusInfo,
                                                        certificates: certificates, now: now)
            try AuditTrail.append(db, domain: domain, action: action, subject: entry.chr ?? "(unreadable request)", details: [
                "queue": "\(entry.id)", "country": entry.country, "messageID": entry.messageID, "result": statusInfo.rawValue, "detail": detail,
                "outbox": "\(outbox)",
            ], now: now)
            guard let row = try SPOCRepository.outbox(db, domain: domain).first(where: { $0.id == outbox }) else {
                throw SPOCError(.notFound, "outbox entry \(outbox) vanished")
            }
            return row
        }
    }

    // MARK: outbox, outbound, messages, log

    public func outbox() throws -> [SPOCOutboxEntry] {
        try store.read { db in try SPOCRepository.outbox(db, domain: domain) }
    }

    /// Puts new CVCA certificates in the outbox of every registered SPOC (new_cert_available_notification).
    public func announce(certificates: [[UInt8]]) throws -> [SPOCOutboxEntry] {
        let now = clock.now()
        return try store.write { db in
            let peers = try SPOCRepository.peers(db, domain: domain)
            var ids: [Int64] = []
            for peer in peers {
                ids.append(try SPOCRepository.addToOutbox(db, domain: domain, country: peer.country, messageID: nil,
                                                          statusInfo: .newCertAvailableNotification, certificates: certificates, now: now))
            }
            try AuditTrail.append(db, domain: domain, action: "spoc.announce", subject: "\(certificates.count) CVCA certificate(s)",
                                  details: ["to": peers.map(\.country).joined(separator: ",")], now: now)
            return try SPOCRepository.outbox(db, domain: domain).filter { ids.contains($0.id) }
        }
    }

    /// Back-off between delivery attempts: 30 s, doubling, at most an hour.
    public static func backoff(attempts: Int) -> TimeInterval {
        min(30 * pow(2, Double(max(0, attempts - 1))), 3_600)
    }

    func leaseDue(limit: Int, lease: TimeInterval) throws -> [SPOCOutboxEntry] {
        let now = clock.now()
        return try store.write { db in try SPOCRepository.leaseDue(db, domain: domain, now: now, lease: lease, limit: limit) }
    }

    func finishDelivery(_ entry: SPOCOutboxEntry, state: SPOCOutboxEntry.State, result: SPOCResultCode?, error: String?, retry: Bool) throws {
        let now = clock.now()
        let next = retry ? now.addingTimeInterval(Self.backoff(attempts: entry.attempts + 1)) : nil
        try store.write { db in
            try SPOCRepository.finishDelivery(db, id: entry.id, state: state, result: result, error: error, nextAttempt: next, now: now)
        }
    }

    func recordOutbound(_ request: SPOCOutboundRequest) throws {
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            try SPOCRepository.insertOutbound(db, domain: domain, request)
            try AuditTrail.append(db, domain: domain, action: "spoc.send-request", subject: request.chr ?? request.messageID,
                                  details: ["country": request.country, "messageID": request.messageID, "operation": request.operation.rawValue], now: now)
        }
    }

    func updateOutbound(_ messageID: String, state: SPOCOutboundRequest.State, result: SPOCResultCode?, detail: String?) throws {
        let now = clock.now()
        try store.write { db in
            try SPOCRepository.updateOutbound(db, domain: domain, messageID: messageID, state: state, result: result, detail: detail,
                                              answeredAt: state == .sent ? nil : now)
        }
    }

    /// Records a GeneralMessage we sent.
    func recordSentMessage(country: String, messageID: String, subject: String, body: String) throws {
        let now = clock.now()
        try store.write { db in
            try SPOCRepository.insertMessage(db, domain: domain, direction: "out", country: country, messageID: messageID, subject: subject, body: body, now: now)
        }
    }

    public func outboundRequests() throws -> [SPOCOutboundRequest] {
        try store.read { db in try SPOCRepository.outbound(db, domain: domain) }
    }

    public func messages() throws -> [SPOCGeneralMessage] {
        try store.read { db in try SPOCRepository.messages(db, domain: domain) }
    }

    public func log() throws -> [SPOCLogEntry] {
        try store.read { db in try SPOCRepository.log(db, domain: domain) }
    }

    func log(_ direction: SPOCLogEntry.Direction, _ country: String, _ operation: String, _ messageID: String?, _ result: String, _ detail: String) throws {
        let now = clock.now()
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            try SPOCRepository.log(db, domain: domain, SPOCLogEntry(at: now, direction: direction, country: country, operation: operation,
                                                                    messageID: messageID, result: result, detail: detail))
        }
    }

    /// A new messageID: unique among ours, and telling where it came from (`<country>-<UUID>`).
    public static func newMessageID(country: String) -> String {
        "\(country)-\(UUID().uuidString.lowercased())"
    }

    static func checkCountry(_ country: String) throws {
        guard country.count == 2 || country.count == 3, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw SPOCError(.invalidInput, "'\(country)' is not a Doc 9303-3 country code (two or three capital letters)")
        }
    }

    static func reason(_ error: any Error) -> String {
        (error as? any OperatorFacingError)?.reason ?? "\(error)"
    }
}
