import CSCA
import Foundation
import HTTPRoutes
import Hummingbird
import HummingbirdTLS
import NIOCore
import NIOSSL
import PKICore
import SPOC
import Store

/// The administration API (Hummingbird 2, mutual TLS with officers' certificates). Routes, per domain:
///
/// ```
/// GET  /v1/domains/{domain}/status         the CSCA's state, CRL due date, certificates expiring, pending proposals and SPOC requests
/// POST /v1/domains/{domain}/ds             a PKCS#10 request (DER or PEM) → the DS certificate (PEM), 201   ra-officer
///        ?documentTypes=P,ID
/// POST /v1/domains/{domain}/revocations    {"serial": "hex"}                                                 ca-admin
/// POST /v1/domains/{domain}/crls           issue the CRLs now                                                ca-admin
/// GET  /v1/domains/{domain}/proposals      the proposals of dual-control operations                          any officer
/// GET  /v1/domains/{domain}/proposals/{id} one proposal, its approvals, and the statement that approves it     any officer
/// POST /v1/domains/{domain}/proposals/{id}/approvals   approve (signed statement); the last approval runs it  the role
/// POST /v1/domains/{domain}/proposals/{id}/rejections  reject (signed statement)                              the role
/// GET  /v1/domains/{domain}/audit?from=&to=  audit entries                                                   auditor
/// GET  /openapi.json
/// ```
/// The client certificate names the officer by its key: its SubjectPublicKeyInfo must be an enrolled officer's
/// of the domain (the handshake proved the key). Each operation goes through the same `Governance` checks as the
/// CLI and the same CA methods; errors are `{"error": {"code", "message", "field"?, "status"}}`.
///
/// An operation the domain's policy puts under dual control (revoking a CSCA or link certificate, by default) is
/// proposed with the officer's signature, as on the CLI: asked without one, the answer is 403 `statementRequired`
/// with the statement to sign (`"statement"`); the client signs those exact bytes with the officer's key
/// (`openssl dgst -sha256 -sign officer.key`) and sends the same request again with `Epki-Officer-Statement-Time`
/// (the statement's `time:`) and `Epki-Officer-Signature` (base64). The answer is 202 with the proposal. Approvals
/// go the same way; the last one runs the proposed request, body and all, once.
public struct AdministrationService: Sendable {
    public let store: EPKIStore
    public let keys: any KeyProvider
    public let clock: any PKIClock
    public static let maximumBody = 64 * 1024
    // Constant, valid header names (HTTP tokens).
    static let proposalHeader = HTTPFields.Element.Name("Epki-Proposal")!
    static let statementTimeHeader = HTTPFields.Element.Name("Epki-Officer-Statement-Time")!
    static let signatureHeader = HTTPFields.Element.Name("Epki-Officer-Signature")!

    public init(store: EPKIStore, keys: any KeyProvider, clock: any PKIClock = SystemClock()) {
        self.store = store
        self.keys = keys
        self.clock = clock
    }

    /// The routes, as the router and the OpenAPI document name them.
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/openapi.json"), ("GET", "/v1/domains/{domain}/status"), ("POST", "/v1/domains/{domain}/ds"), ("POST", "/v1/domains/{domain}/revocations"),
        ("POST", "/v1/domains/{domain}/crls"), ("GET", "/v1/domains/{domain}/proposals"), ("GET", "/v1/domains/{domain}/proposals/{id}"),
        ("POST", "/v1/domains/{domain}/proposals/{id}/approvals"), ("POST", "/v1/domains/{domain}/proposals/{id}/rejections"),
        ("GET", "/v1/domains/{domain}/audit"),
    ]

    public func router() -> Router<AdministrationContext> {
        let router = Router(context: AdministrationContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: Self.routes))
        router.get("/openapi.json") { _, _ in Self.json(Self.openAPI) }
        router.get("/v1/domains/:domain/status") { request, context in try await status(request, context) }
        router.post("/v1/domains/:domain/ds") { request, context in try await issueDocumentSigner(request, context) }
        router.post("/v1/domains/:domain/revocations") { request, context in try await revoke(request, context) }
        router.post("/v1/domains/:domain/crls") { request, context in try await issueCRLs(request, context) }
        router.get("/v1/domains/:domain/proposals") { request, context in try await proposals(request, context) }
        router.get("/v1/domains/:domain/proposals/:id") { request, context in try await proposal(request, context) }
        router.post("/v1/domains/:domain/proposals/:id/approvals") { request, context in try await decide(request, context, approve: true) }
        router.post("/v1/domains/:domain/proposals/:id/rejections") { request, context in try await decide(request, context, approve: false) }
        router.get("/v1/domains/:domain/audit") { request, context in try await audit(request, context) }
        return router
    }

    /// Serves with TLS 1.2+ and a client certificate required; which one passes is decided per request.
    public func application(host: String, port: Int, certificateChain: [[UInt8]], privateKeyPKCS8: [UInt8],
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        var tls: TLSConfiguration
        do {
            tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try certificateChain.map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: privateKeyPKCS8, format: .der)))
        } catch {
            throw AdministrationError(.internalError, "the TLS certificate or key is not usable (P-256/P-384 or RSA): \(error)")
        }
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .noHostnameVerification
        let channel = TLSChannelConfiguration(tlsConfiguration: tls) { _, promise in promise.succeed(.certificateVerified) }
        return Application(router: router(), server: try .tls(.http1(), configuration: channel),
                           configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "epki-admin"),
                           onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
    }

    // MARK: - Routes

    func status(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let (domain, officer) = try await officer(request, context)
        let ca = try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock)
        var object: [String: Any] = ["domain": domain, "officer": officer.name, "roles": officer.roles.map(\.rawValue).sorted()]
        if let status = try? ca.status() {
            let soon = clock.now().addingTimeInterval(90 * 86_400)
            let expiring = try ca.certificates().filter { $0.revokedAt == nil && $0.certificate.notAfter < soon && $0.certificate.notAfter > clock.now() }
            object["csca"] = ["subject": status.csca, "serial": status.cscaSerial, "notAfter": Time.iso8601(status.cscaNotAfter),
                              "revoked": status.revoked, "nextCRLDue": Time.iso8601(status.nextCRLDue), "nextCRLReason": status.nextCRLReason,
                              "expiringWithin90Days": expiring.map { ["kind": $0.kind, "serial": $0.certificate.serialNumberHex, "notAfter": Time.iso8601($0.certificate.notAfter)] }]
        }
        object["pendingProposals"] = try Governance.proposals(store: store, domain: domain).filter { $0.state == .pending }.count
        object["pendingSPOCRequests"] = (try? SinglePointOfContact(store: store, domain: domain).queue(state: .queued).count) ?? 0
        return Self.json(object)
    }

    func issueDocumentSigner(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let body = try await Self.body(request)
        return try await governed(request, context, "csca.issue-ds", body: body) { domain in
            try performIssueDocumentSigner(domain: domain, query: request.uri.query ?? "", body: body)
        }
    }

    func performIssueDocumentSigner(domain: String, query: String, body: [UInt8]) throws -> Response {
        guard !body.isEmpty else { throw AdministrationError(.badRequest, "the body must be a PKCS#10 request (DER or PEM)", field: "body") }
        let csr: CertificationRequest
        do { csr = try CertificationRequest(bytes: body) } catch {
            throw AdministrationError(.badRequest, "the body is not a PKCS#10 request: \((error as? any OperatorFacingError)?.reason ?? "\(error)")", field: "body")
        }
        let types = Self.queryValue(query, "documentTypes").map { $0.split(separator: ",").map(String.init) }
        let ca = try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock)
        do {
            let issued = try ca.issueDocumentSigner(subject: nil, key: .request(csr), documentTypes: types)
            var headers = HTTPFields()
            headers[.contentType] = "application/pem-certificate-chain"
            return Response(status: .created, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: issued.certificate.pemEncoded)))
        } catch let error as CSCAError {
            throw AdministrationError(.refused, error.reason, field: "body")
        }
    }

    func revoke(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let body = try await Self.body(request)
        let (domain, _) = try await officer(request, context)
        // Which operation this is depends on what the serial names: a CSCA or link certificate is the CA's own.
        let serial = (try? Self.revocationSerial(body)) ?? ""
        let kind = (try? CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock).certificates())?
            .first { $0.certificate.serialNumberHex.caseInsensitiveCompare(serial) == .orderedSame }?.kind
        let operation = kind == "csca" || kind == "link" ? "csca.revoke-ca" : "csca.revoke"
        return try await governed(request, context, operation, body: body) { domain in try performRevoke(domain: domain, body: body) }
    }

    static func revocationSerial(_ body: [UInt8]) throws -> String {
        let fields = try jsonObject(body, allowed: ["serial"])
        guard let serial = fields["serial"] as? String, !serial.isEmpty, serial.count <= 64, serial.allSatisfy(\.isHexDigit) else {
            throw AdministrationError(.badRequest, "serial must be the certificate's serial number in hex", field: "serial")
        }
        return serial
    }

    func performRevoke(domain: String, body: [UInt8]) throws -> Response {
        let serial = try Self.revocationSerial(body)
        do {
            try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock).revoke(serial: serial)
        } catch let error as CSCAError {
            throw AdministrationError(error.code == .notFound ? .notFound : .refused, error.reason, field: "serial")
        }
        return Self.json(["revoked": serial.uppercased()])
    }

    func issueCRLs(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let body = try await Self.body(request)
        return try await governed(request, context, "csca.crl", body: body) { domain in try performIssueCRLs(domain: domain) }
    }

    func performIssueCRLs(domain: String) throws -> Response {
        let crls = try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock).issueCRLs()
        return Self.json(["crls": crls.map { ["issuer": $0.issuer.description, "number": $0.crlNumber.map { $0.value.map(String.init) ?? $0.bytes.hexString } ?? "",
                                               "nextUpdate": $0.nextUpdate.map { Time.iso8601($0.date) } ?? "", "der": Data($0.derEncoded).base64EncodedString()] }])
    }

    /// Runs an approved API proposal: the request as it was proposed, body and all.
    func perform(_ proposal: Proposal, domain: String) throws -> Response {
        let parameters = proposal.parameters
        guard parameters.count == 5, parameters[0] == "api" else {
            throw AdministrationError(.conflict, "proposal \(proposal.id) was proposed with the CLI; `epki proposal approve \(proposal.id)` runs it")
        }
        let body = proposal.payload ?? []
        guard try HashAlgorithm.sha256.hash(body).hexString == parameters[4] else {
            throw AdministrationError(.conflict, "proposal \(proposal.id)'s request body is not the one proposed")
        }
        switch proposal.operation {
        case "csca.issue-ds": return try performIssueDocumentSigner(domain: domain, query: parameters[3], body: body)
        case "csca.revoke", "csca.revoke-ca": return try performRevoke(domain: domain, body: body)
        case "csca.crl": return try performIssueCRLs(domain: domain)
        default: throw AdministrationError(.conflict, "\(proposal.operation) is not an operation of this API")
        }
    }

    func proposals(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let (domain, _) = try await officer(request, context)
        return Self.json(try Governance.proposals(store: store, domain: domain).map(Self.summary))
    }

    static func summary(_ proposal: Proposal) -> [String: Any] {
        ["id": proposal.id, "operation": proposal.operation, "parameters": proposal.parameters, "parametersHash": proposal.parametersHash,
         "proposer": proposal.proposer, "state": proposal.state.rawValue, "expiresAt": Time.iso8601(proposal.expiresAt),
         "approvalsRequired": proposal.approvalsRequired,
         "approvals": proposal.approvals.map { ["officer": $0.officer, "time": Time.iso8601($0.time), "proof": $0.proof] }]
    }

    func proposal(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let (domain, _) = try await officer(request, context)
        let proposal = try Self.proposal(store, domain, context)
        var object = Self.summary(proposal)
        if proposal.state == .pending {
            let statement = OfficerStatement(domain: domain, operation: proposal.operation, parametersHash: proposal.parametersHash,
                                             act: "approve \(proposal.id)", time: clock.now())
            object["approvalStatement"] = String(decoding: statement.bytes, as: UTF8.self)
        }
        return Self.json(object)
    }

    static func proposal(_ store: EPKIStore, _ domain: String, _ context: AdministrationContext) throws -> Proposal {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdministrationError(.badRequest, "the proposal id must be a positive number", field: "id")
        }
        guard let proposal = try Governance.proposals(store: store, domain: domain).first(where: { $0.id == id }) else {
            throw AdministrationError(.notFound, "no proposal \(id) in '\(domain)'", field: "id")
        }
        return proposal
    }

    /// An approval or a rejection, proven by the officer's signed statement; the approval that completes the
    /// quorum of an API proposal runs it and answers with its result.
    func decide(_ request: Request, _ context: AdministrationContext, approve: Bool) async throws -> Response {
        let body = try await Self.body(request)
        guard body.isEmpty || (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] != nil && Self.jsonObjectIsEmpty(body) else {
            throw AdministrationError(.badRequest, "this route takes no body: the signature goes in Epki-Officer-Signature", field: "body")
        }
        let (domain, officer) = try await officer(request, context)
        let proposal = try Self.proposal(store, domain, context)
        let act = "\(approve ? "approve" : "reject") \(proposal.id)"
        guard let proof = try Self.signedStatement(request, fingerprint: officer.fingerprint) else {
            let statement = OfficerStatement(domain: domain, operation: proposal.operation, parametersHash: proposal.parametersHash, act: act, time: clock.now())
            throw AdministrationError(.statementRequired, "sign the statement with \(officer.name)'s key and send it again with Epki-Officer-Statement-Time and Epki-Officer-Signature",
                                      statement: String(decoding: statement.bytes, as: UTF8.self))
        }
        guard approve else {
            try mapped(domain, officer.fingerprint) { try Governance.reject(store: store, domain: domain, id: proposal.id, proof: proof, now: clock.now()) }
            return Self.json(Self.summary(try Self.proposal(store, domain, context)))
        }
        if proposal.parameters.first != "api", proposal.state == .pending, proposal.approvals.count + 1 >= proposal.approvalsRequired {
            throw AdministrationError(.conflict, "the last approval of proposal \(proposal.id), a CLI operation, is given with `epki proposal approve \(proposal.id)`, which runs it with its secrets")
        }
        let approved = try mapped(domain, officer.fingerprint) { try Governance.approve(store: store, domain: domain, id: proposal.id, proof: proof, now: clock.now()) }
        guard approved.state == .executing else { return Self.json(Self.summary(approved)) }
        let decision = try Governance.authorize(store: store, domain: domain, operation: approved.operation, parameters: approved.parameters, proof: nil,
                                                approved: approved.id, now: clock.now())
        guard case .authorized(let approver) = decision else { throw AdministrationError(.conflict, "proposal \(approved.id) is not approved to run") }
        do {
            var response = try AuditTrail.$requestActor.withValue("officer:\(approver.name)") { try perform(approved, domain: domain) }
            try Governance.finish(store: store, domain: domain, id: approved.id, succeeded: true, detail: "ran through the administration API", now: clock.now())
            response.headers[Self.proposalHeader] = "\(approved.id)"
            return response
        } catch {
            try? Governance.finish(store: store, domain: domain, id: approved.id, succeeded: false, detail: "\((error as? any OperatorFacingError)?.reason ?? "\(error)")", now: clock.now())
            throw error
        }
    }

    static func jsonObjectIsEmpty(_ body: [UInt8]) -> Bool {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?.isEmpty == true
    }

    func audit(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let domain = try Self.domain(context)
        let fingerprint = try await context.clientKeyFingerprint()
        _ = try mapped(domain, fingerprint) {
            try Governance.authorize(store: store, domain: domain, operation: "audit.read", parameters: try Self.parameters(request, body: []),
                                     authenticatedKey: fingerprint, now: clock.now())
        }
        func number(_ name: String) throws -> Int64? {
            guard let text = request.uri.queryParameters.get(name) else { return nil }
            guard let value = Int64(text), value >= 1 else { throw AdministrationError(.badRequest, "\(name) must be a positive entry number", field: name) }
            return value
        }
        let export = try AuditExport.make(store: store, domain: domain, from: try number("from") ?? 1, to: try number("to"))
        return Self.json(["domain": domain, "entries": export.entries.map { ["sequence": $0.sequence, "hash": $0.hash, "entry": $0.summary] as [String: Any] }])
    }

    // MARK: - Officers

    /// The domain in the path and the officer the client certificate's key belongs to there.
    func officer(_ request: Request, _ context: AdministrationContext) async throws -> (String, Officer) {
        let domain = try Self.domain(context)
        let fingerprint = try await context.clientKeyFingerprint()
        guard let officer = try Governance.officer(store: store, domain: domain, fingerprint: fingerprint) else {
            let reason = "the client key \(fingerprint.prefix(16))… is no officer's of '\(domain)'"
            try Governance.recordRefusal(store: store, domain: domain, operation: "api \(request.method.rawValue) \(request.uri.path)", reason: reason)
            throw AdministrationError(.unauthenticated, reason)
        }
        return (domain, officer)
    }

    /// The canonical parameters of an API request, as officers sign them: method, path, query and the body's SHA-256.
    static func parameters(_ request: Request, body: [UInt8]) throws -> [String] {
        ["api", request.method.rawValue, request.uri.path, request.uri.query ?? "", try HashAlgorithm.sha256.hash(body).hexString]
    }

    /// Runs `operation` for the officer of the client certificate: at once when the domain's policy lets one officer
    /// do it; as a proposal (202) when it needs more, given the officer's signed statement; when that is missing,
    /// 403 `statementRequired` with the statement to sign.
    func governed(_ request: Request, _ context: AdministrationContext, _ operation: String, body: [UInt8],
                  perform: (String) throws -> Response) async throws -> Response {
        let domain = try Self.domain(context)
        let fingerprint = try await context.clientKeyFingerprint()
        let parameters = try Self.parameters(request, body: body)
        // Statement headers are read (and a malformed one refused) whether or not this operation needs them.
        let givenProof = try Self.signedStatement(request, fingerprint: fingerprint)
        let policy = try Governance.policy(store: store, domain: domain, operation: operation)
        guard policy.dualControl, let officer = try Governance.officer(store: store, domain: domain, fingerprint: fingerprint),
              officer.holds(policy.operation.role) else {
            let officer = try mapped(domain, fingerprint) {
                try Governance.authorize(store: store, domain: domain, operation: operation, parameters: parameters, authenticatedKey: fingerprint, now: clock.now())
            }
            // The operation's own audit entries name the officer, as the CLI's do.
            return try AuditTrail.$requestActor.withValue("officer:\(officer.name)") { try perform(domain) }
        }
        guard let proof = givenProof else {
            let statement = try Governance.statement(domain: domain, operation: operation, parameters: parameters, act: "propose", time: clock.now())
            throw AdministrationError(.statementRequired, "\(operation) needs \(policy.approvals) approval(s) besides \(officer.name)'s: sign the statement with "
                                      + "\(officer.name)'s key and send the request again with Epki-Officer-Statement-Time and Epki-Officer-Signature",
                                      statement: String(decoding: statement.bytes, as: UTF8.self))
        }
        let decision = try mapped(domain, fingerprint) {
            try Governance.authorize(store: store, domain: domain, operation: operation, parameters: parameters, proof: proof, payload: body, now: clock.now())
        }
        switch decision {
        case .proposed(let proposal):
            var response = Self.json(Self.summary(proposal), status: .accepted)
            response.headers[Self.proposalHeader] = "\(proposal.id)"
            return response
        case .authorized(let officer):
            return try AuditTrail.$requestActor.withValue("officer:\(officer.name)") { try perform(domain) }
        case .ungoverned:
            return try perform(domain)
        }
    }

    /// The officer's signed statement from the request's headers, if it sent one.
    static func signedStatement(_ request: Request, fingerprint: String) throws -> OfficerProof? {
        let timeField = request.headers[Self.statementTimeHeader]
        let signatureField = request.headers[Self.signatureHeader]
        // A malformed value is refused; a proof needs both headers, and one alone is no proof (a dual-control
        // operation then answers with the statement to sign).
        let time = try timeField.map { field -> Date in
            guard let time = Time.parseISO8601(field) else {
                throw AdministrationError(.badRequest, "Epki-Officer-Statement-Time must be the statement's time: line (RFC 3339, UTC)", field: "Epki-Officer-Statement-Time")
            }
            return time
        }
        let signature = try signatureField.map { field -> [UInt8] in
            guard let signature = Data(base64Encoded: field), !signature.isEmpty, signature.count <= 1_024 else {
                throw AdministrationError(.badRequest, "Epki-Officer-Signature must be the base64 signature of the statement", field: "Epki-Officer-Signature")
            }
            return Array(signature)
        }
        guard let time, let signature else { return nil }
        return .signedStatement(keyFingerprint: fingerprint, time: time, signature: signature)
    }

    /// Governance's refusals as HTTP answers: 403 for an officer of the domain, 401 for anyone else.
    func mapped<T>(_ domain: String, _ fingerprint: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError where error.code == .unauthorized {
            let known = try Governance.officer(store: store, domain: domain, fingerprint: fingerprint) != nil
            throw AdministrationError(known ? .forbidden : .unauthenticated, error.reason)
        } catch let error as StoreError where error.code == .unknownDomain || error.code == .notFound {
            throw AdministrationError(.notFound, error.reason)
        }
    }

    static func queryValue(_ query: String, _ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]).removingPercentEncoding : "" }
        }
        return nil
    }

    static func domain(_ context: AdministrationContext) throws -> String {
        guard let domain = context.parameters.get("domain") else { throw AdministrationError(.badRequest, "no domain in the path") }
        do { try Domain.validate(domain) } catch { throw AdministrationError(.badRequest, "'\(domain)' is not a domain name", field: "domain") }
        return domain
    }

    // MARK: - Bodies

    static func body(_ request: Request) async throws -> [UInt8] {
        var request = request
        do {
            return Array(buffer: try await request.collectBody(upTo: maximumBody))
        } catch {
            throw AdministrationError(.tooLarge, "the body is larger than \(maximumBody) bytes")
        }
    }

    /// A JSON object with only the allowed fields (an unknown one is named, not ignored).
    static func jsonObject(_ bytes: [UInt8], allowed: Set<String>) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw AdministrationError(.badRequest, "the body is not a JSON object", field: "body")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AdministrationError(.badRequest, "unknown field '\(unknown)' (this route takes \(allowed.sorted().joined(separator: ", ")))", field: unknown)
        }
        return object
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}

/// Hummingbird's request context and the connection, whose client certificate names the officer.
public struct AdministrationContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// SHA-256 of the client certificate's SubjectPublicKeyInfo, as officers are enrolled.
    func clientKeyFingerprint() async throws -> String {
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw AdministrationError(.unauthenticated, "no client certificate")
        }
        do {
            let parsed = try Certificate(bytes: try certificate.toDERBytes())
            return try HashAlgorithm.sha256.hash(parsed.publicKey.derEncoded).hexString.lowercased()
        } catch {
            throw AdministrationError(.unauthenticated, "the client certificate cannot be read: \(error)")
        }
    }
}

/// Every error as `{"error": {"code", "message", "field"?, "status"}}`.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AdministrationError {
            return Self.response(status: error.code.status, code: error.code.name, message: error.reason, field: error.field, statement: error.statement)
        } catch let error as HTTPError {
            return Self.response(status: Int(error.status.code), code: error.status == .notFound ? "notFound" : "httpError",
                                 message: error.body ?? "\(request.method) \(request.uri.path): \(error.status.reasonPhrase)", field: nil)
        } catch let error as any OperatorFacingError {
            return Self.response(status: 500, code: "internalError", message: error.reason, field: nil)
        } catch {
            return Self.response(status: 500, code: "internalError", message: "\(error)", field: nil)
        }
    }

    static func response(status: Int, code: String, message: String, field: String?, statement: String? = nil) -> Response {
        var inner: [String: Any] = ["code": code, "message": message, "status": status]
        if let field { inner["field"] = field }
        var outer: [String: Any] = ["error": inner]
        if let statement { outer["statement"] = statement }
        return AdministrationService.json(outer, status: HTTPResponse.Status(code: status))
    }
}
