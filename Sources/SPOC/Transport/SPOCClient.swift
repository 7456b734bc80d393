import CVC
import Foundation
import NIOHTTP1
import PKICore

/// Calls foreign SPOCs: our DVs' requests, GetCACertificates, GeneralMessages, and the outbox's SendCertificates,
/// always to the URL registered for the country, with our client certificate, after checking the server's.
public struct SPOCClient: Sendable {
    public let spoc: SinglePointOfContact
    public let material: SPOCTLSMaterial
    public let authenticator: SPOCPeerAuthenticator
    public var timeout: Int64 = 30

    public init(spoc: SinglePointOfContact, material: SPOCTLSMaterial, authenticator: SPOCPeerAuthenticator) {
        self.spoc = spoc
        self.material = material
        self.authenticator = authenticator
    }

    var country: String { material.identity.country }

    /// Sends one request to the registered SPOC of `country` and reads its answer; the exchange is logged.
    public func call(_ request: SPOCRequest, to country: String) async throws -> SPOCResponse {
        guard let peer = try spoc.peer(country) else { throw SPOCError(.notFound, "\(country) is not a registered SPOC") }
        guard let url = URL(string: peer.url), let host = url.host else { throw SPOCError(.invalidInput, "the registered URL '\(peer.url)' is unusable") }
        let authenticator = self.authenticator
        let tls = HTTPExchange.TLS(configuration: try material.clientConfiguration()) { chain in
            guard let leaf = chain.first else { return SPOCError(.peerRefused, "\(country)'s SPOC sent no certificate") }
            do {
                try await authenticator.authenticate(leaf, as: .server, country: country, peer: peer, host: host)
                return nil
            } catch let error as SPOCError {
                return SPOCError(.peerRefused, "\(country)'s SPOC server certificate: \(error.reason)")
            } catch {
                return SPOCError(.peerRefused, "\(country)'s SPOC server certificate: \(error)")
            }
        }
        let body = SPOCMessageCodec.encode(request, namespace: peer.namespace)
        do {
            let response = try await HTTPExchange.send(
                .POST, url: url, headers: [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "\"\(request.operation.rawValue)\"")],
                body: body, tls: tls, timeout: .seconds(timeout))
            guard response.status == 200 || response.status == 500 else {
                throw SPOCError(.deliveryFailed, "\(country)'s SPOC answered HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            }
            let answer = try SPOCMessageCodec.decodeResponse(response.body, operation: request.operation)
            try spoc.log(.outbound, country, request.operation.rawValue, request.messageID, answer.result.rawValue,
                         "\(answer.certificates.count) certificate(s) in the answer")
            return answer
        } catch let error as SPOCError {
            try? spoc.log(.outbound, country, request.operation.rawValue, request.messageID, "not delivered", error.reason)
            throw error
        }
    }

    /// Sends our DV's request (already countersigned by our CVCA when it is an initial one) to `country` under a new
    /// messageID, kept so that an asynchronous answer is matched; a synchronous certificate goes to the DVCA now.
    ///
    /// For a national DV's request (`forwardTo` its holder), the certificates are not handed to our DVCA: a
    /// synchronous answer returns them, an asynchronous one is passed on to the DV's callback from the outbox.
    public func requestCertificate(_ request: [UInt8], to country: String, documentVerifier: (any SPOCDocumentVerifier)?,
                                   forwardTo: String? = nil, forwardMessageID: String? = nil) async throws
        -> (messageID: String, response: SPOCResponse, note: String?)
    {
        let messageID = SinglePointOfContact.newMessageID(country: self.country)
        let chr = (try? CVCertificateRequest(encoded: request))?.chr
        try spoc.recordOutbound(SPOCOutboundRequest(messageID: messageID, country: country, operation: .requestCertificate, chr: chr, request: request,
                                                    state: .sent, result: nil, detail: nil, sentAt: spoc.clock.now(), answeredAt: nil,
                                                    forwardTo: forwardTo, forwardMessageID: forwardMessageID))
        let response: SPOCResponse
        do {
            response = try await call(.requestCertificate(callerID: self.country, messageID: messageID, certificateRequest: request), to: country)
        } catch {
            try spoc.updateOutbound(messageID, state: .failed, result: nil, detail: SinglePointOfContact.reason(error))
            throw error
        }
        switch response.result {
        case .okCertAvailable where documentVerifier == nil:
            try spoc.updateOutbound(messageID, state: .answered, result: response.result, detail: "returned to \(forwardTo ?? "the caller")")
        case .okCertAvailable:
            guard let documentVerifier else { break }
            do {
                let note = try documentVerifier.receive(certificates: response.certificates, request: request, from: country)
                try spoc.updateOutbound(messageID, state: .answered, result: response.result, detail: note)
                return (messageID, response, note)
            } catch {
                try spoc.updateOutbound(messageID, state: .failed, result: response.result, detail: "not accepted: \(SinglePointOfContact.reason(error))")
                throw error
            }
        case .okReceptionAck:
            try spoc.updateOutbound(messageID, state: .acknowledged, result: response.result, detail: "the answer will be pushed")
        default:
            try spoc.updateOutbound(messageID, state: .refused, result: response.result, detail: nil)
        }
        return (messageID, response, nil)
    }

    /// What one outbox delivery did.
    public struct Delivery: Sendable {
        public let entry: SPOCOutboxEntry
        public let result: SPOCResultCode?
        public let error: String?
    }

    /// Pushes up to `limit` due outbox entries, one at a time, each leased just before it is sent, so that another
    /// node does not push it meanwhile. An answer from the peer ends an entry (delivered, or rejected on a failure
    /// code); no answer reschedules it with back-off.
    ///
    /// One entry per lease: a lease taken for a whole round held every entry of a killed server for the full lease
    /// (crash injection: up to 168 entries at once), and a round of slow peers could outlast its own lease, letting
    /// another node push the round's last entries again. The default lease is twice the peer timeout.
    public func deliverDue(limit: Int = 20, lease: TimeInterval? = nil) async throws -> [Delivery] {
        let lease = lease ?? TimeInterval(2 * timeout)
        var deliveries: [Delivery] = []
        for _ in 0..<limit {
            guard let entry = try spoc.leaseDue(limit: 1, lease: lease).first else { break }
            deliveries.append(try await deliver(entry))
        }
        return deliveries
    }

    private func deliver(_ entry: SPOCOutboxEntry) async throws -> Delivery {
        switch entry.target {
        case .dv:
            do {
                let code = try await deliverToDV(entry)
                let accepted = code == "ok_received_correctly"
                try spoc.finishDelivery(entry, state: accepted ? .delivered : .rejected, result: SPOCResultCode(rawValue: code), error: nil, retry: false)
                return Delivery(entry: entry, result: SPOCResultCode(rawValue: code), error: nil)
            } catch {
                let reason = SinglePointOfContact.reason(error)
                try spoc.finishDelivery(entry, state: .pending, result: nil, error: reason, retry: true)
                return Delivery(entry: entry, result: nil, error: reason)
            }
        case .spoc:
            let request = SPOCRequest.sendCertificates(callerID: country, messageID: entry.messageID, certificates: entry.certificates,
                                                       statusInfo: entry.statusInfo)
            do {
                let response = try await call(request, to: entry.country)
                let retry = response.result == .failureInternalError
                try spoc.finishDelivery(entry, state: response.result == .okReceivedCorrectly ? .delivered : retry ? .pending : .rejected,
                                        result: response.result, error: nil, retry: retry)
                return Delivery(entry: entry, result: response.result, error: nil)
            } catch {
                let reason = SinglePointOfContact.reason(error)
                try spoc.finishDelivery(entry, state: .pending, result: nil, error: reason, retry: true)
                return Delivery(entry: entry, result: nil, error: reason)
            }
        }
    }
}

extension SPOCClient {
    /// Sends a GeneralMessage to one registered SPOC, or to all (`country` nil); returns each country's result.
    public func sendMessage(subject: String, body: String, to country: String?) async throws -> [(country: String, result: Result<SPOCResultCode, SPOCError>)] {
        let targets = try country.map { [$0] } ?? spoc.peers().map(\.country)
        guard !targets.isEmpty else { throw SPOCError(.notFound, "no SPOC is registered") }
        var results: [(String, Result<SPOCResultCode, SPOCError>)] = []
        for target in targets {
            let messageID = SinglePointOfContact.newMessageID(country: self.country)
            do {
                let response = try await call(.generalMessage(callerID: self.country, messageID: messageID, subject: subject, body: body), to: target)
                try spoc.recordSentMessage(country: target, messageID: messageID, subject: subject, body: body)
                results.append((target, .success(response.result)))
            } catch let error as SPOCError {
                results.append((target, .failure(error)))
            }
        }
        return results
    }

    /// Asks a foreign SPOC for its CVCA certificates.
    public func getCACertificates(from country: String) async throws -> SPOCResponse {
        try await call(.getCACertificates(callerID: self.country, messageID: SinglePointOfContact.newMessageID(country: self.country)), to: country)
    }
}

extension SPOCClient {
    /// TR-03129 SendCertificates to a national DV's registered callback URL, checking that its server certificate
    /// chains to the root registered for it and names the host.
    func deliverToDV(_ entry: SPOCOutboxEntry) async throws -> String {
        guard let dv = try spoc.nationalDVs().first(where: { $0.holder == entry.country }) else {
            throw SPOCError(.notFound, "\(entry.country) is no longer a registered DV")
        }
        guard let callback = dv.callbackURL, let url = URL(string: callback), let host = url.host else {
            throw SPOCError(.notFound, "\(dv.holder) has no callback URL; it must collect the answer otherwise")
        }
        let clock = spoc.clock
        let tls = HTTPExchange.TLS(configuration: try material.clientConfiguration()) { chain in
            guard let first = chain.first, let leaf = try? Certificate(bytes: first), let root = try? Certificate(bytes: dv.root) else {
                return SPOCError(.peerRefused, "\(dv.holder)'s callback sent no readable certificate")
            }
            let now = clock.now()
            guard leaf.notBefore <= now, now <= leaf.notAfter, (try? leaf.isSignatureValid(issuerKey: root.publicKey)) == true else {
                return SPOCError(.peerRefused, "\(dv.holder)'s callback certificate \(leaf.subject) is not valid now under its registered root")
            }
            let names: [String] = ((try? leaf.extensions.value(SubjectAlternativeName.self)) ?? nil)?.names.compactMap {
                if case .dnsName(let name) = $0 { return name.lowercased() } else { return nil }
            } ?? []
            return names.contains(host.lowercased()) ? nil : SPOCError(.peerRefused, "\(dv.holder)'s callback certificate does not name \(host)")
        }
        let body = TR03129Codec.encodeSendCertificates(messageID: entry.messageID, statusInfo: entry.statusInfo.rawValue, certificates: entry.certificates)
        let response = try await HTTPExchange.send(.POST, url: url, headers: [("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "\"\"")],
                                                   body: body, tls: tls, timeout: .seconds(timeout))
        let code = try TR03129Codec.decodeSendCertificatesResponse(response.body)
        try spoc.log(.outbound, dv.holder, "TR-03129 SendCertificates", entry.messageID, code, "\(entry.certificates.count) certificate(s), \(entry.statusInfo)")
        return code
    }
}
