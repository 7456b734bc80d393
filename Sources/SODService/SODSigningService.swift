import Foundation
import HTTPRoutes
import Hummingbird
import HummingbirdTLS
import NIOCore
import NIOPosix
import NIOSSL
import PKICore

/// The SOD signing service for personalization lines that do not hold a Document Signer key (Hummingbird 2, mutual
/// TLS). Routes (documented in `/openapi.json`):
///
/// ```
/// POST /v1/sod/sign        {"documentNumber", "ldsVersion", "hashAlgorithm", "dataGroupHashes": {"1": hex, ...}} → EF.SOD
/// POST /v1/sod/sign-batch  {"documents": [<the same object>, ... 1 to 256]} → {"results": [{"documentNumber", "sod"} or {"documentNumber", "error"}, ...]}
/// GET  /health  /metrics  /openapi.json
/// ```
/// Only registered lines get through the TLS handshake (`LineVerifier`); a request is checked field by field
/// (`SignRequest`), counted against its line's quota, signed with the others waiting through `SODBatchSigner`,
/// verified after signing, and recorded in the audit trail before the SOD is answered. Refusals are
/// `{"error": {"code", "field"?, "message", "status"}}` with 400, 403, 429 or 500.
public struct SODSigningService: Sendable {
    public let lines: SigningLines
    public let metrics: ServiceMetrics
    public let verifier: LineVerifier
    let signers: DocumentSigners
    let queue: SigningQueue

    /// The route patterns, as the router and the OpenAPI document name them.
    public static let routes: [(method: String, path: String)] = [
        ("POST", "/v1/sod/sign"), ("POST", "/v1/sod/sign-batch"), ("GET", "/health"), ("GET", "/metrics"), ("GET", "/openapi.json"),
    ]

    /// Largest request body accepted: 16 hashes of 64 bytes in hex fit in 3 KB.
    public static let maximumBody = 64 * 1024

    /// Largest body of `POST /v1/sod/sign-batch`: `SignBatchRequest.maximumDocuments` documents of up to 4 KB each
    /// (16 SHA-512 hashes in hex take about 2.3 KB).
    public static let maximumBatchBody = SignBatchRequest.maximumDocuments * 4 * 1024

    /// - Parameters:
    ///   - maximumBatch: the most documents one `SODBatchSigner` call signs.
    ///   - workers: the batch signer's concurrent signing tasks per batch (the core count by default; the token's
    ///     session count for an HSM that signs in parallel). Each event loop signs its connections' requests in
    ///     batches of its own, so with Swift concurrency on the event loops the loops sign in parallel.
    public init(lines: SigningLines, documentSigner: DocumentSignerConfiguration, lineCAs: [Certificate] = [], maximumBatch: Int = 64,
                workers: Int = ProcessInfo.processInfo.activeProcessorCount, metrics: ServiceMetrics = ServiceMetrics()) throws {
        self.lines = lines
        self.metrics = metrics
        verifier = LineVerifier(lines: lines, lineCAs: lineCAs)
        signers = try DocumentSigners(documentSigner, clock: lines.clock)
        queue = SigningQueue(signers: signers, lines: lines, quotas: QuotaGate(lines: lines), metrics: metrics,
                             maximumBatch: maximumBatch, workers: workers)
    }

    /// Makes SwiftNIO's event loops the executor of all Swift concurrency in this process (as the NPKD's service
    /// does; BENCHMARKS.md §6): a request is read, signed and answered without hopping between thread pools. Call it
    /// first thing, before any task exists, and only in a process that serves.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The router with every route and the error middleware.
    public func router() -> Router<LineRequestContext> {
        let router = Router(context: LineRequestContext.self)
        router.add(middleware: ErrorAndMetricsMiddleware(metrics: metrics))
        router.add(middleware: MethodNotAllowedMiddleware(routes: Self.routes))
        router.post("/v1/sod/sign") { request, context in try await sign(request, context: context) }
        router.post("/v1/sod/sign-batch") { request, context in try await signBatch(request, context: context) }
        router.get("/health") { _, _ in try health() }
        router.get("/metrics") { _, _ in
            Self.response(Array(metrics.render(lines: (try? lines.lines().count) ?? 0).utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in Self.response(Array(OpenAPIDocument.json.utf8), contentType: "application/json") }
        return router
    }

    /// The application on `host:port` with mutual TLS; `onRefusal` hears of every client certificate refused at
    /// the handshake (for the operator's log).
    public func application(host: String, port: Int, tls: TLSSettings, onRefusal: @escaping @Sendable (SODServiceError) -> Void = { _ in },
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "epki-sod")
        let metrics = self.metrics
        let channel = try tls.channelConfiguration(verifier: verifier) { error in
            metrics.recordRefusal(code: "handshakeRefused")
            onRefusal(error)
        }
        do {
            return Application(router: router(), server: try .tls(.http1(), configuration: channel), configuration: configuration,
                               onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
        } catch {
            throw SODServiceError(.serviceFailure, "TLS cannot be set up: \(error)")
        }
    }

    /// Serves until SIGINT or SIGTERM.
    public func run(host: String, port: Int, tls: TLSSettings, onRefusal: @escaping @Sendable (SODServiceError) -> Void = { _ in },
                    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(host: host, port: port, tls: tls, onRefusal: onRefusal, onServerRunning: onServerRunning).runService()
    }

    // MARK: - Handlers

    static let sodDigestHeader = HTTPFields.Element.Name("X-SOD-SHA256")!
    static let auditSequenceHeader = HTTPFields.Element.Name("X-Audit-Sequence")!

    /// The request's body, refused with 400 when it is over `limit` bytes or cannot be read.
    static func body(of request: inout Request, upTo limit: Int) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.collectBody(upTo: limit))
        } catch {
            throw SODServiceError(.badRequest, "the request body is larger than \(limit) bytes or unreadable")
        }
    }

    func sign(_ request: Request, context: LineRequestContext) async throws -> Response {
        let line = try await context.line(verifier)
        var request = request
        let input = try SignRequest(json: try await Self.body(of: &request, upTo: Self.maximumBody))
        let signed = try await queue.sign(input, line: line, eventLoop: context.channel.eventLoop)
        var headers = HTTPFields()
        headers.reserveCapacity(3)
        headers[Self.sodDigestHeader] = signed.sodDigest
        headers[Self.auditSequenceHeader] = String(signed.auditSequence)
        let wantsJSON = request.headers[.accept].map { $0.contains("application/json") } ?? false
        guard wantsJSON else {
            headers[.contentType] = "application/octet-stream"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: signed.sod)))
        }
        headers[.contentType] = "application/json"
        let facts = signers.facts
        let json = JSONValue.object([
            ("documentNumber", .string(signed.documentNumber)), ("sod", .string(Data(signed.sod).base64EncodedString())),
            ("sodSHA256", .string(signed.sodDigest)), ("auditSequence", .integer(Int(signed.auditSequence))),
            ("documentSigner", .object([("subject", .string(facts.subject)), ("serial", .string(facts.serial)), ("fingerprint", .string(facts.fingerprint))])),
        ])
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.encoded())))
    }

    /// `POST /v1/sod/sign-batch`: each document checked, counted against the quota, signed, re-checked (when the
    /// service does so) and recorded exactly as a request of its own; refused documents are answered in their place
    /// with the error a single request would get (its HTTP status in `status`), the others with their SODs. The answer
    /// is 200 whenever the body could be read; a body that cannot is 400, an unregistered line 403, as for
    /// `/v1/sod/sign`.
    func signBatch(_ request: Request, context: LineRequestContext) async throws -> Response {
        let line = try await context.line(verifier)
        var request = request
        let batch = try SignBatchRequest(json: try await Self.body(of: &request, upTo: Self.maximumBatchBody))
        var requests: [SignRequest] = []
        requests.reserveCapacity(batch.documents.count)
        for document in batch.documents {
            if case .success(let request) = document.request { requests.append(request) }
        }
        var signed: ArraySlice<Result<SignedDocument, SODServiceError>> = []
        if !requests.isEmpty { signed = await queue.sign(requests, line: line, eventLoop: context.channel.eventLoop)[...] }
        var results: [Result<SignedDocument, SODServiceError>] = []
        results.reserveCapacity(batch.documents.count)
        for document in batch.documents {
            switch document.request {
            case .success: results.append(signed.removeFirst())
            case .failure(let error): results.append(.failure(error))
            }
        }
        for case .failure(let error) in results { metrics.recordRefusal(code: error.code.name) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.batchAnswer(batch.documents, results, signer: signers.facts))))
    }

    /// `{"documentSigner": {...}, "results": [...]}`, keys in the order `JSONValue` writes them (sorted). A SOD's
    /// fields (a checked document number, base64, hex, an integer) are written as they are: `JSONValue` would escape
    /// every "/" of the base64 one character at a time. Refusals go through `JSONValue`.
    static func batchAnswer(_ documents: [SignBatchRequest.Document], _ results: [Result<SignedDocument, SODServiceError>],
                            signer facts: SigningLines.SignerFacts) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + results.count * 1_600)
        out.append(contentsOf: #"{"documentSigner":"#.utf8)
        out.append(contentsOf: JSONValue.object([("fingerprint", .string(facts.fingerprint)), ("serial", .string(facts.serial)),
                                                 ("subject", .string(facts.subject))]).encoded())
        out.append(contentsOf: #","results":["#.utf8)
        for (index, (document, result)) in zip(documents, results).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            switch result {
            case .success(let signed):
                out.append(contentsOf: #"{"auditSequence":"#.utf8)
                out.append(contentsOf: String(signed.auditSequence).utf8)
                out.append(contentsOf: #","documentNumber":""#.utf8)
                out.append(contentsOf: signed.documentNumber.utf8)
                out.append(contentsOf: #"","sod":""#.utf8)
                out.append(contentsOf: Data(signed.sod).base64EncodedData())
                out.append(contentsOf: #"","sodSHA256":""#.utf8)
                out.append(contentsOf: signed.sodDigest.utf8)
                out.append(contentsOf: #""}"#.utf8)
            case .failure(let error):
                var fields: [(String, JSONValue)] = [("code", .string(error.code.name)), ("message", .string(error.reason)),
                                                     ("status", .integer(ErrorAndMetricsMiddleware<LineRequestContext>.status(error.code).code))]
                if let field = error.field { fields.append(("field", .string(field))) }
                var item: [(String, JSONValue)] = [("error", .object(fields))]
                if let number = document.documentNumber { item.append(("documentNumber", .string(number))) }
                out.append(contentsOf: JSONValue.object(item).encoded())
            }
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    func health() throws -> Response {
        let facts = signers.facts
        let json = JSONValue.object([
            ("status", .string("ok")), ("domain", .string(lines.domain)), ("lines", .integer(try lines.lines().count)),
            ("signatures", .integer(metrics.signatures)), ("uptimeSeconds", .number(Date().timeIntervalSince(metrics.started))),
            ("documentSigner", .object([("subject", .string(facts.subject)), ("serial", .string(facts.serial)), ("fingerprint", .string(facts.fingerprint)),
                                        ("notAfter", .string(Time.iso8601(signers.configuration.certificate.notAfter)))])),
        ])
        return Self.response(json.encoded(), contentType: "application/json")
    }


    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The request context: Hummingbird's, plus the connection, whose TLS peer certificate names the line.
public struct LineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The line this connection's client certificate belongs to (the handshake already checked it): looked up once
    /// per connection and then kept with it, re-read from the store when older than the verifier's cache lifetime.
    func line(_ verifier: LineVerifier) async throws -> SigningLine {
        if let line = try verifier.connectionLine(channel) { return line }
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw SODServiceError(.unknownLine, "the connection has no client certificate")
        }
        let line = try verifier.line(certificate: try certificate.toDERBytes())
        verifier.remember(line, for: channel)
        return line
    }
}
