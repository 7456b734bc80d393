import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import HummingbirdTLS
import NIOCore
import NIOPosix
import NIOSSL
import PKICore

/// The SPOC web service (Hummingbird 2, mutual TLS 1.2+):
///
/// ```
/// POST /spoc                         a SOAP 1.1 (or 1.2) envelope with one of the four requests, either namespace
/// GET  /spoc?wsdl[&namespace=csn]    the WSDL, with this server's address
/// POST /tr03129/cvca                 the national CVCA service for registered DV operators (TR-03129 v1.1)
/// GET  /tr03129/cvca?wsdl            its WSDL
/// ```
/// Every TLS client with a certificate completes the handshake; whether it speaks for the `callerID` of its
/// message is decided per request by `SPOCPeerAuthenticator` against the registry as it is at that moment, and a
/// refusal is HTTP 401 with a SOAP fault. A body that is not a SPOC message is HTTP 400 (413 when too large), also
/// with a fault; application refusals are result codes in a 200 answer. An outbox task pushes due SendCertificates.
public struct SPOCServer: Sendable {
    public let spoc: SinglePointOfContact
    public let material: SPOCTLSMaterial
    public let authenticator: SPOCPeerAuthenticator
    public let authority: any SPOCCertificateAuthority
    public let documentVerifier: any SPOCDocumentVerifier
    public let reader: SafeXMLReader
    /// Seconds between outbox rounds; nil runs no outbox task (another node delivers).
    public var outboxInterval: Double?

    public init(spoc: SinglePointOfContact, material: SPOCTLSMaterial, authenticator: SPOCPeerAuthenticator, authority: any SPOCCertificateAuthority,
                documentVerifier: any SPOCDocumentVerifier, reader: SafeXMLReader = SafeXMLReader(), outboxInterval: Double? = 2) {
        self.spoc = spoc
        self.material = material
        self.authenticator = authenticator
        self.authority = authority
        self.documentVerifier = documentVerifier
        self.reader = reader
        self.outboxInterval = outboxInterval
    }

    public var client: SPOCClient { SPOCClient(spoc: spoc, material: material, authenticator: authenticator) }

    public func router() -> Router<SPOCRequestContext> {
        let router = Router(context: SPOCRequestContext.self)
        router.get("/spoc") { request, context in try wsdl(request, context: context) }
        router.post("/spoc") { request, context in await soap(request, context: context) }
        router.get("/tr03129/cvca") { request, _ in
            Self.response(Array(TR03129WSDL.document(address: "https://\(request.head.authority ?? "localhost")/tr03129/cvca").utf8),
                          contentType: "text/xml; charset=utf-8")
        }
        router.post("/tr03129/cvca") { request, context in await national(request, context: context) }
        router.get("/health") { _, _ in Self.response(Array("{\"status\":\"ok\"}".utf8), contentType: "application/json") }
        return router
    }

    public func application(host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "epki-spoc")
        // The handshake only proves the client holds the key of a certificate; the SPOC checks decide per message.
        let channel = TLSChannelConfiguration(tlsConfiguration: try material.serverConfiguration()) { _, promise in
            promise.succeed(.certificateVerified)
        }
        do {
            return Application(router: router(), server: try .tls(.http1(), configuration: channel), configuration: configuration,
                               onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
        } catch {
            throw SPOCError(.serviceFailure, "TLS cannot be set up: \(error)")
        }
    }

    /// Serves until cancelled, with the outbox pushed from a thread of its own beside it.
    ///
    /// The outbox waits with a plain sleep on its own thread, not with `Task.sleep`: Dispatch timers are deadlines on
    /// the wall clock's timerfd, which a wall clock moved by an operator (or by libfaketime in the tests) can leave
    /// unfired, and a SPOC that stops delivering answers must not depend on that.
    public func run(host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try application(host: host, port: port, onServerRunning: onServerRunning)
        let stopped = NIOLockedValueBox(false)
        if let interval = outboxInterval {
            let client = self.client
            let thread = Thread {
                while !stopped.withLockedValue({ $0 }) {
                    let round = DispatchSemaphore(value: 0)
                    Task {
                        _ = try? await client.deliverDue()
                        round.signal()
                    }
                    round.wait()
                    Thread.sleep(forTimeInterval: interval)
                }
            }
            thread.name = "epki-spoc-outbox"
            thread.start()
        }
        defer { stopped.withLockedValue { $0 = true } }
        try await app.runService()
    }

    // MARK: - Handlers

    func wsdl(_ request: Request, context: SPOCRequestContext) throws -> Response {
        guard request.uri.queryParameters.has("wsdl") || request.uri.query?.lowercased().hasPrefix("wsdl") == true else {
            return Self.response(Array("GET /spoc?wsdl gives the WSDL; SPOC messages are POSTed here\n".utf8), status: .notFound, contentType: "text/plain")
        }
        let namespace = request.uri.queryParameters.get("namespace").flatMap(SPOCNamespace.init(rawValue:)) ?? .icao
        let host = request.head.authority ?? "localhost"
        let document = SPOCWSDL.document(namespace: namespace, address: "https://\(host)/spoc")
        return Self.response(Array(document.utf8), contentType: "text/xml; charset=utf-8")
    }

    func soap(_ request: Request, context: SPOCRequestContext) async -> Response {
        var request = request
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.collectBody(upTo: reader.maximumBytes))
        } catch {
            try? spoc.logRefusal(country: "??", operation: "?", messageID: nil, reason: "a body over \(reader.maximumBytes) bytes")
            return fault("the body is larger than \(reader.maximumBytes) bytes", status: .contentTooLarge, version: .soap11)
        }
        let decoded: SPOCMessageCodec.DecodedRequest
        do {
            decoded = try SPOCMessageCodec.decodeRequest(bytes, reader: reader)
        } catch {
            let reason = SinglePointOfContact.reason(error)
            try? spoc.logRefusal(country: "??", operation: "?", messageID: nil, reason: reason)
            return fault(reason, status: (error as? SPOCError)?.code == .tooLarge ? .contentTooLarge : .badRequest, version: .soap11)
        }
        let caller = decoded.request.callerID
        do {
            guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
                throw SPOCError(.unauthorized, "the connection has no client certificate")
            }
            try await authenticator.authenticate(try certificate.toDERBytes(), as: .client, country: caller, peer: try spoc.peer(caller))
        } catch {
            let reason = SinglePointOfContact.reason(error)
            try? spoc.logRefusal(country: caller, operation: decoded.request.operation.rawValue, messageID: decoded.request.messageID, reason: reason)
            return fault("unauthorized: \(reason)", status: .unauthorized, version: decoded.soapVersion)
        }
        do {
            let answer = try spoc.handle(decoded, authority: authority, documentVerifier: documentVerifier)
            return Self.response(SPOCMessageCodec.encode(answer, namespace: decoded.namespace, version: decoded.soapVersion),
                                 contentType: decoded.soapVersion.contentType)
        } catch {
            return fault("the SPOC failed: \(SinglePointOfContact.reason(error))", status: .internalServerError, version: decoded.soapVersion, client: false)
        }
    }

    /// A national DV's request: its TLS client certificate must be a registered DV's (401 otherwise).
    func national(_ request: Request, context: SPOCRequestContext) async -> Response {
        var request = request
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.collectBody(upTo: reader.maximumBytes))
        } catch {
            return fault("the body is larger than \(reader.maximumBytes) bytes", status: .contentTooLarge, version: .soap11)
        }
        let decoded: TR03129Request
        do {
            decoded = try TR03129Codec.decodeRequest(bytes, reader: reader)
        } catch {
            let reason = SinglePointOfContact.reason(error)
            try? spoc.logRefusal(country: "DV?", operation: "TR-03129", messageID: nil, reason: reason)
            return fault(reason, status: (error as? SPOCError)?.code == .tooLarge ? .contentTooLarge : .badRequest, version: .soap11)
        }
        let dv: NationalDV
        do {
            guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
                throw SPOCError(.unauthorized, "the connection has no client certificate")
            }
            dv = try spoc.authenticateNationalDV(try certificate.toDERBytes())
        } catch {
            let reason = SinglePointOfContact.reason(error)
            try? spoc.logRefusal(country: "DV?", operation: "TR-03129 \(decoded.operation)", messageID: decoded.messageID, reason: reason)
            return fault("unauthorized: \(reason)", status: .unauthorized, version: .soap11)
        }
        guard let national = authority as? any NationalCertificateAuthority else {
            return fault("this SPOC serves no CVCA for national DVs", status: .notFound, version: .soap11, client: false)
        }
        let answer = await spoc.handleNational(decoded, from: dv, authority: national, client: client)
        return Self.response(TR03129Codec.encode(answer), contentType: SOAPVersion.soap11.contentType)
    }

    func fault(_ reason: String, status: HTTPResponse.Status, version: SOAPVersion, client: Bool = true) -> Response {
        Self.response(SOAPEnvelope.fault(reason, client: client, version: version), status: status, contentType: version.contentType)
    }

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Hummingbird's request context plus the connection, whose TLS peer certificate the SPOC checks.
public struct SPOCRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
