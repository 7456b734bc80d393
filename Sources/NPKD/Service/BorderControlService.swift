import Foundation
import HTTPRoutes
import Hummingbird
import HummingbirdTLS
import LDS
import NIOCore
import NIOPosix
import PKICore

/// The NPKD's HTTP service for inspection systems (Hummingbird 2): passive authentication with the store's trust, and
/// the CSCAs, Document Signers, CRLs and revocation states it holds. Routes (documented in `/openapi.json`):
///
/// ```
/// POST /v1/pa/verify              {"sod": b64, "dataGroups": {"1": b64, ...}, "efCOM": b64?, "documentSigner": b64?}
/// GET  /v1/csca?country=XX        CSCA and link certificates, with state
/// GET  /v1/ds/{ski}               DS certificates by subject key identifier
/// GET  /v1/crl/{country}          CRLs held for a country; /v1/crl/{country}/{id} the DER of one
/// GET  /v1/revocation?issuer=AKI&serial=HEX
/// GET  /v1/pa/statistics          counts of the verification history by country and verdict (when it is on)
/// GET  /health  /metrics  /openapi.json
/// ```
/// Reads go to the store through SQLite's WAL, so they are answered while an import (another process) writes.
/// Bad requests get a 4xx with `{"error": {"code", "message", "status"}}`.
public struct BorderControlService: Sendable {
    public let pkd: NationalPKD
    public let metrics: ServiceMetrics
    let verifier: VerifierHolder
    /// Whether each passive authentication is kept in the verification history (off by default, for privacy).
    public let recordsVerifications: Bool

    /// The route patterns, as the router and the OpenAPI document name them.
    public static let routes: [(method: String, path: String)] = [
        ("POST", "/v1/pa/verify"), ("GET", "/v1/csca"), ("GET", "/v1/ds/{ski}"), ("GET", "/v1/crl/{country}"),
        ("GET", "/v1/crl/{country}/{id}"), ("GET", "/v1/revocation"), ("GET", "/v1/pa/statistics"), ("GET", "/health"), ("GET", "/metrics"), ("GET", "/openapi.json"),
    ]

    /// Largest request body accepted (EF.SOD and data groups with a face image fit easily).
    public static let maximumBody = 4 * 1024 * 1024

    public init(pkd: NationalPKD, metrics: ServiceMetrics = ServiceMetrics(), chainCacheLifetime: TimeInterval = 60,
                recordVerifications: Bool = false) {
        self.pkd = pkd
        self.metrics = metrics
        self.recordsVerifications = recordVerifications
        self.verifier = VerifierHolder(trustSource: pkd.trustSource, clock: pkd.clock, lifetime: chainCacheLifetime)
    }

    /// Makes SwiftNIO's event loops the executor of all Swift concurrency in this process, so that a request is
    /// read, verified and answered on one thread instead of hopping between NIO's threads and the concurrency
    /// pool (the hops cost more CPU than the HTTP parsing; BENCHMARKS.md §6). Call it first thing in `main`,
    /// before any task exists, and only in a process that serves: long blocking work on an event loop would stall
    /// its connections. Returns false when it is too late or not supported.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The router with every route and the error middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorAndMetricsMiddleware(metrics: metrics))
        router.add(middleware: MethodNotAllowedMiddleware(routes: Self.routes))
        router.post("/v1/pa/verify") { request, _ in try await verify(request) }
        router.get("/v1/csca") { request, _ in try csca(request) }
        router.get("/v1/ds/{ski}") { _, context in try documentSigners(context.parameters.get("ski") ?? "") }
        router.get("/v1/crl/{country}") { _, context in try crls(country: context.parameters.get("country") ?? "") }
        router.get("/v1/crl/{country}/{id}") { _, context in
            try crl(country: context.parameters.get("country") ?? "", id: context.parameters.get("id") ?? "")
        }
        router.get("/v1/revocation") { request, _ in try revocation(request) }
        router.get("/v1/pa/statistics") { _, _ in try statistics() }
        router.get("/health") { _, _ in try health() }
        router.get("/metrics") { _, _ in try metricsResponse() }
        router.get("/openapi.json") { _, _ in Self.response(Array(OpenAPIDocument.json.utf8), contentType: "application/json") }
        return router
    }

    /// Builds the application: plain HTTP, TLS, or mutual TLS when the settings name client CAs.
    public func application(host: String, port: Int, tls: TLSSettings? = nil,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "epki-npkd")
        guard let tls else {
            return Application(router: router(), server: .http1(), configuration: configuration,
                               onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
        }
        let tlsConfiguration = try tls.configuration()
        do {
            return Application(router: router(), server: try .tls(.http1(), tlsConfiguration: tlsConfiguration), configuration: configuration,
                               onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
        } catch {
            throw NPKDError(.serviceFailure, "TLS cannot be set up: \(error)")
        }
    }

    /// Serves until SIGINT or SIGTERM; states are re-evaluated every ten minutes (validity periods pass).
    public func run(host: String, port: Int, tls: TLSSettings? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        _ = try? pkd.refreshTrust()
        let app = try application(host: host, port: port, tls: tls, onServerRunning: onServerRunning)
        let refresher = Task.detached { [pkd] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(600))
                // On a Dispatch thread: with `runConcurrencyOnEventLoops` tasks run on the event loops, and a
                // re-evaluation of every certificate would hold up the connections of one of them meanwhile.
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global(qos: .utility).async {
                        _ = try? pkd.refreshTrust()
                        done.resume()
                    }
                }
            }
        }
        defer { refresher.cancel() }
        try await app.runService()
    }

    // MARK: - Handlers

    func verify(_ request: Request) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maximumBody)
        } catch {
            throw NPKDError(.badRequest, "the request body is larger than \(Self.maximumBody) bytes or unreadable")
        }
        let input = try VerifyRequest(json: Array(buffer: body))
        let result = verifier.current().verify(sod: input.sod, dataGroups: input.dataGroups, efCOM: input.efCOM,
                                               documentSigner: input.documentSigner)
        let country = Self.issuingCountry(result.documentSigner)
        metrics.recordVerification(genuine: result.isGenuine, country: country)
        if recordsVerifications {
            // Only what identifies the verdict and the signer: never the MRZ, a data group or an image.
            let fingerprint = result.documentSigner.flatMap { try? HashAlgorithm.sha256.hash($0.derEncoded).hexString }
            let record = VerificationRecord(verifiedAt: pkd.clock.now(), genuine: result.isGenuine, country: country,
                                            documentSignerFingerprint: fingerprint, documentSignerSerial: result.documentSigner?.serialNumberHex,
                                            failedChecks: result.failures.map(\.name))
            do {
                try pkd.recordVerification(record)
            } catch {
                metrics.recordHistoryFailure()
            }
        }
        return Self.response(result.jsonValue.encoded(), status: result.isGenuine ? .ok : .unprocessableContent)
    }

    func csca(_ request: Request) throws -> Response {
        let country = try request.uri.queryParameters.get("country").map { try Self.country(String($0)) }
        let certificates = try pkd.certificates(country: country, kinds: ["csca", "link"])
        return try Self.json(certificates.map { certificate in
            var summary = certificate.summary
            summary["pem"] = PEM.encode(certificate.der, label: "CERTIFICATE")
            return summary
        })
    }

    func documentSigners(_ ski: String) throws -> Response {
        guard let bytes = [UInt8](hex: ski), !bytes.isEmpty else {
            throw NPKDError(.badRequest, "'\(ski)' is not a hex subject key identifier")
        }
        let found = try pkd.certificates(subjectKeyIdentifier: bytes.hexString).filter { $0.kind == "ds" }
        guard !found.isEmpty else { throw NPKDError(.notFound, "no Document Signer with subject key identifier \(bytes.hexString) is held") }
        return try Self.json(found.map { certificate in
            var summary = certificate.summary
            summary["pem"] = PEM.encode(certificate.der, label: "CERTIFICATE")
            return summary
        })
    }

    func crls(country: String) throws -> Response {
        let code = try Self.country(country)
        return try Self.json(try pkd.crls(country: code).map { crl in
            var summary = crl.summary
            if crl.status != "superseded" { summary["href"] = "/v1/crl/\(code)/\(crl.id)" }
            return summary
        })
    }

    func crl(country: String, id: String) throws -> Response {
        let code = try Self.country(country)
        guard let number = Int64(id) else { throw NPKDError(.badRequest, "CRL id '\(id)' is not a number") }
        guard let crl = try pkd.crls(country: code).first(where: { $0.id == number }), let der = try pkd.crlDER(id: number) else {
            throw NPKDError(.notFound, "CRL \(id) of \(code) is not held (or was superseded)")
        }
        _ = crl
        return Self.response(der, contentType: "application/pkix-crl")
    }

    func revocation(_ request: Request) throws -> Response {
        guard let issuer = request.uri.queryParameters.get("issuer"), !issuer.isEmpty else {
            throw NPKDError(.badRequest, "the query parameter issuer (the CRL's authority key identifier, hex) is missing")
        }
        guard let serial = request.uri.queryParameters.get("serial"), !serial.isEmpty else {
            throw NPKDError(.badRequest, "the query parameter serial (hex) is missing")
        }
        return try Self.json(try pkd.revocation(issuer: String(issuer), serial: String(serial)).summary)
    }

    /// Counts of the verification history by issuing country and verdict; 404 while the history is off.
    func statistics() throws -> Response {
        guard recordsVerifications else {
            throw NPKDError(.notFound, "the verification history is off (epki npkd serve --record-verifications turns it on)")
        }
        return try Self.json(try pkd.verificationStatistics().jsonObject)
    }

    /// The DS issuer's country as two upper-case letters, XX when there is none: a label value, so it must stay bounded
    /// whatever a request carries.
    static func issuingCountry(_ documentSigner: Certificate?) -> String {
        let code = (documentSigner?.issuer.countryName ?? "").uppercased()
        return code.count == 2 && code.allSatisfy({ $0.isASCII && $0.isLetter }) ? code : "XX"
    }

    func health() throws -> Response {
        let status = try pkd.status()
        let total = status.certificates.values.flatMap(\.values).reduce(0, +)
        return try Self.json(["status": "ok", "domain": pkd.domain, "certificates": total,
                              "uptimeSeconds": Date().timeIntervalSince(metrics.started)] as [String: Any])
    }

    func metricsResponse() throws -> Response {
        let status = try pkd.status()
        var certificateSamples: [(labels: String, value: Double)] = []
        for (kind, states) in status.certificates.sorted(by: { $0.key < $1.key }) {
            for (state, count) in states.sorted(by: { $0.key < $1.key }) {
                certificateSamples.append(("kind=\"\(kind)\",state=\"\(state)\"", Double(count)))
            }
        }
        let text = metrics.render(gauges: [
            ("npkd_certificates", "Certificates held, by kind and trust state.", certificateSamples),
            ("npkd_crls", "CRLs held, by status.", [("status=\"current\"", Double(status.currentCRLs)),
                                                   ("status=\"unverified\"", Double(status.unverifiedCRLs)),
                                                   ("status=\"superseded\"", Double(status.crls - status.currentCRLs - status.unverifiedCRLs))]),
            ("npkd_crl_entries", "Entries of the current CRLs.", [("", Double(status.crlEntries))]),
            ("npkd_master_lists", "Master lists held.", [("", Double(status.masterLists))]),
            ("npkd_deviation_lists", "Deviation lists held.", [("", Double(status.deviationLists))]),
        ])
        return Self.response(Array(text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: - Helpers

    static func country(_ text: String) throws -> String {
        guard text.count == 2, text.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw NPKDError(.badRequest, "'\(text)' is not a two-letter country code")
        }
        return text.uppercased()
    }

    static func json(_ object: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return response(Array(data), contentType: "application/json")
    }

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
