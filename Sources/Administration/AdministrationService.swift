import CSCA
import Foundation
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
/// GET  /v1/domains/{domain}/proposals      the proposals waiting for a second officer                        any officer
/// GET  /v1/domains/{domain}/audit?from=&to=  audit entries                                                   auditor
/// GET  /openapi.json
/// ```
/// The client certificate names the officer by its key: its SubjectPublicKeyInfo must be an enrolled officer's
/// of the domain (the handshake proved the key). Each operation goes through the same `Governance` checks as the
/// CLI and the same CA methods; errors are `{"error": {"code", "message", "field"?, "status"}}`.
public struct AdministrationService: Sendable {
    public let store: EPKIStore
    public let keys: any KeyProvider
    public let clock: any PKIClock
    public static let maximumBody = 64 * 1024

    public init(store: EPKIStore, keys: any KeyProvider, clock: any PKIClock = SystemClock()) {
        self.store = store
        self.keys = keys
        self.clock = clock
    }

    public func router() -> Router<AdministrationContext> {
        let router = Router(context: AdministrationContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.get("/openapi.json") { _, _ in Self.json(Self.openAPI) }
        router.get("/v1/domains/:domain/status") { request, context in try await status(request, context) }
        router.post("/v1/domains/:domain/ds") { request, context in try await issueDocumentSigner(request, context) }
        router.post("/v1/domains/:domain/revocations") { request, context in try await revoke(request, context) }
        router.post("/v1/domains/:domain/crls") { request, context in try await issueCRLs(request, context) }
        router.get("/v1/domains/:domain/proposals") { request, context in try await proposals(request, context) }
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
        let (domain, _) = try await authorize(request, context, "csca.issue-ds", body: body)
        guard !body.isEmpty else { throw AdministrationError(.badRequest, "the body must be a PKCS#10 request (DER or PEM)", field: "body") }
        let csr: CertificationRequest
        do { csr = try CertificationRequest(bytes: body) } catch {
            throw AdministrationError(.badRequest, "the body is not a PKCS#10 request: \((error as? any OperatorFacingError)?.reason ?? "\(error)")", field: "body")
        }
        let types = request.uri.queryParameters.get("documentTypes").map { $0.split(separator: ",").map(String.init) }
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
        let (domain, _) = try await authorize(request, context, "csca.revoke", body: body)
        let fields = try Self.jsonObject(body, allowed: ["serial"])
        guard let serial = fields["serial"] as? String, !serial.isEmpty, serial.allSatisfy(\.isHexDigit) else {
            throw AdministrationError(.badRequest, "serial must be the certificate's serial number in hex", field: "serial")
        }
        do {
            try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock).revoke(serial: serial)
        } catch let error as CSCAError {
            throw AdministrationError(error.code == .notFound ? .notFound : .refused, error.reason, field: "serial")
        }
        return Self.json(["revoked": serial.uppercased()])
    }

    func issueCRLs(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let body = try await Self.body(request)
        let (domain, _) = try await authorize(request, context, "csca.crl", body: body)
        let crls = try CountrySigningCA(store: store, domain: domain, keys: keys, clock: clock).issueCRLs()
        return Self.json(["crls": crls.map { ["issuer": $0.issuer.description, "number": $0.crlNumber.map { "\($0)" } ?? "",
                                               "nextUpdate": $0.nextUpdate.map { Time.iso8601($0.date) } ?? "", "der": Data($0.derEncoded).base64EncodedString()] }])
    }

    func proposals(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let (domain, _) = try await officer(request, context)
        return Self.json(try Governance.proposals(store: store, domain: domain).map {
            ["id": $0.id, "operation": $0.operation, "parameters": $0.parameters, "parametersHash": $0.parametersHash, "proposer": $0.proposer,
             "state": $0.state.rawValue, "expiresAt": Time.iso8601($0.expiresAt)] as [String: Any]
        })
    }

    func audit(_ request: Request, _ context: AdministrationContext) async throws -> Response {
        let (domain, _) = try await authorize(request, context, "audit.read", body: [])
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
            throw AdministrationError(.unauthenticated, "the client certificate's key is no officer's of '\(domain)'")
        }
        return (domain, officer)
    }

    func authorize(_ request: Request, _ context: AdministrationContext, _ operation: String, body: [UInt8]) async throws -> (String, Officer) {
        let domain = try Self.domain(context)
        let fingerprint = try await context.clientKeyFingerprint()
        let parameters = ["api", request.method.rawValue, request.uri.path, request.uri.query ?? "", try HashAlgorithm.sha256.hash(body).hexString]
        do {
            return (domain, try Governance.authorize(store: store, domain: domain, operation: operation, parameters: parameters, authenticatedKey: fingerprint,
                                                     now: clock.now()))
        } catch let error as StoreError where error.code == .unauthorized {
            let known = try Governance.officer(store: store, domain: domain, fingerprint: fingerprint) != nil
            throw AdministrationError(known ? .forbidden : .unauthenticated, error.reason)
        } catch let error as StoreError where error.code == .unknownDomain {
            throw AdministrationError(.notFound, error.reason)
        }
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
            return Self.response(status: error.code.status, code: error.code.name, message: error.reason, field: error.field)
        } catch let error as HTTPError {
            return Self.response(status: Int(error.status.code), code: error.status == .notFound ? "notFound" : "httpError",
                                 message: error.body ?? "\(request.method) \(request.uri.path): \(error.status.reasonPhrase)", field: nil)
        } catch let error as any OperatorFacingError {
            return Self.response(status: 500, code: "internalError", message: error.reason, field: nil)
        } catch {
            return Self.response(status: 500, code: "internalError", message: "\(error)", field: nil)
        }
    }

    static func response(status: Int, code: String, message: String, field: String?) -> Response {
        var inner: [String: Any] = ["code": code, "message": message, "status": status]
        if let field { inner["field"] = field }
        return AdministrationService.json(["error": inner], status: HTTPResponse.Status(code: status))
    }
}
