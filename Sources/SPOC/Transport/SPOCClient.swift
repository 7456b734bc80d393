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
    public func requestCertificate(_ request: [UInt8], to country: String, documentVerifier: any SPOCDocumentVerifier) async throws
        -> (messageID: String, response: SPOCResponse, note: String?)
    {
        let messageID = SinglePointOfContact.newMessageID(country: self.country)
        let chr = (try? CVCertificateRequest(encoded: request))?.chr
        try spoc.recordOutbound(SPOCOutboundRequest(messageID: messageID, country: country, operation: .requestCertificate, chr: chr, request: request,
                                                    state: .sent, result: nil, detail: nil, sentAt: spoc.clock.now(), answeredAt: nil))
        let response: SPOCResponse
        do {
            response = try await call(.requestCertificate(callerID: self.country, messageID: messageID, certificateRequest: request), to: country)
        } catch {
            try spoc.updateOutbound(messageID, state: .failed, result: nil, detail: SinglePointOfContact.reason(error))
            throw error
        }
        switch response.result {
        case .okCertAvailable:
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

    /// Pushes the due outbox entries (leased, so another node does not push them meanwhile). An answer from the
    /// peer ends an entry (delivered, or rejected on a failure code); no answer reschedules it with back-off.
    public func deliverDue(limit: Int = 20, lease: TimeInterval = 120) async throws -> [Delivery] {
        let due = try spoc.leaseDue(limit: limit, lease: lease)
        var deliveries: [Delivery] = []
        for entry in due {
            let request = SPOCRequest.sendCertificates(callerID: country, messageID: entry.messageID, certificates: entry.certificates,
                                                       statusInfo: entry.statusInfo)
            do {
                let response = try await call(request, to: entry.country)
                let retry = response.result == .failureInternalError
                try spoc.finishDelivery(entry, state: response.result == .okReceivedCorrectly ? .delivered : retry ? .pending : .rejected,
                                        result: response.result, error: nil, retry: retry)
                deliveries.append(Delivery(entry: entry, result: response.result, error: nil))
            } catch {
                let reason = SinglePointOfContact.reason(error)
                try spoc.finishDelivery(entry, state: .pending, result: nil, error: reason, retry: true)
                deliveries.append(Delivery(entry: entry, result: nil, error: reason))
            }
        }
        return deliveries
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
