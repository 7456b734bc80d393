import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request and its answer over a fresh connection: how the SPOC calls a foreign SPOC (mutual TLS,
/// with our own check of the server's certificate in NIOSSL's verification callback) and fetches a CRL (plain
/// HTTP). SPOC traffic is a few messages a day, so a connection per message is simpler than a pool and never
/// reuses a connection whose peer certificate was checked for another country.
public enum HTTPExchange {
    public struct Response: Sendable {
        public let status: Int
        public let contentType: String?
        public let body: [UInt8]
    }

    /// TLS for the call: our client certificate and key, and the decision on the server's certificate chain (leaf
    /// first, as the server sent it). BoringSSL's own chain building is replaced by `verify`, which is where the
    /// registered root, EKU, country, validity and revocation are checked.
    public struct TLS: Sendable {
        public let configuration: TLSConfiguration
        public let verify: @Sendable ([[UInt8]]) async -> SPOCError?

        public init(configuration: TLSConfiguration, verify: @escaping @Sendable ([[UInt8]]) async -> SPOCError?) {
            self.configuration = configuration
            self.verify = verify
        }
    }

    public static func send(
        _ method: HTTPMethod, url: URL, headers: [(String, String)] = [], body: [UInt8] = [], tls: TLS? = nil,
        maximumBytes: Int = 4 << 20, timeout: TimeAmount = .seconds(30), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Response {
        guard let host = url.host, !host.isEmpty else { throw SPOCError(.invalidInput, "'\(url.absoluteString)' names no host") }
        let secure = url.scheme?.lowercased() == "https"
        guard secure || url.scheme?.lowercased() == "http" else { throw SPOCError(.invalidInput, "'\(url.absoluteString)' is neither http nor https") }
        if secure, tls == nil { throw SPOCError(.invalidInput, "\(url.absoluteString): https needs TLS settings") }
        let port = url.port ?? (secure ? 443 : 80)
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }

        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Response.self)
        let refusal = NIOLockedValueBox<SPOCError?>(nil)
        let sslContext: NIOSSLContext?
        if secure, let tls {
            do { sslContext = try NIOSSLContext(configuration: tls.configuration) } catch {
                throw SPOCError(.serviceFailure, "the TLS client cannot be set up: \(error)")
            }
        } else {
            sslContext = nil
        }
        let isAddress = host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
        let verify = tls?.verify
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext, let verify {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : host) { certificates, verdict in
                            let chain = certificates.compactMap { try? $0.toDERBytes() }
                            Task {
                                if let error = await verify(chain) {
                                    refusal.withLockedValue { $0 = error }
                                    verdict.succeed(.failed)
                                } else {
                                    verdict.succeed(.certificateVerified)
                                }
                            }
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, maximumBytes: maximumBytes))
                }
            }
        let channel: any Channel
        do {
            // "localhost" and names under it are the loopback address (RFC 6761 §6.3), whatever the resolver knows.
            let lowered = host.lowercased()
            let address = lowered == "localhost" || lowered.hasSuffix(".localhost") ? "127.0.0.1" : host
            channel = try await bootstrap.connect(host: address, port: port).get()
        } catch {
            promise.fail(error)
            throw SPOCError(.deliveryFailed, "cannot connect to \(host):\(port): \(error)")
        }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(SPOCError(.deliveryFailed, "\(url.absoluteString): no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            let response = try await promise.futureResult.get()
            deadline.cancel()
            channel.close(promise: nil)
            return response
        } catch {
            deadline.cancel()
            channel.close(promise: nil)
            if let refused = refusal.withLockedValue({ $0 }) { throw refused }
            if let error = error as? SPOCError { throw error }
            throw SPOCError(.deliveryFailed, "\(url.absoluteString): \(error)")
        }
    }
}

/// Collects one HTTP response, refusing a body over the limit.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<HTTPExchange.Response>
    let maximumBytes: Int
    var head: HTTPResponseHead?
    var body: [UInt8] = []
    var done = false

    init(promise: EventLoopPromise<HTTPExchange.Response>, maximumBytes: Int) {
        self.promise = promise
        self.maximumBytes = maximumBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let value):
            head = value
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= maximumBytes else {
                finish(.failure(SPOCError(.deliveryFailed, "the answer is larger than \(maximumBytes) bytes")))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return finish(.failure(SPOCError(.deliveryFailed, "an HTTP answer without a status line"))) }
            finish(.success(HTTPExchange.Response(status: Int(head.status.code), contentType: head.headers.first(name: "Content-Type"), body: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(SPOCError(.deliveryFailed, "the connection closed before a complete answer")))
    }

    private func finish(_ result: Result<HTTPExchange.Response, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
