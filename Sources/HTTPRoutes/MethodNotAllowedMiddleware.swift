import Foundation
import Hummingbird

/// Answers 405 Method Not Allowed, with an `Allow` header, for a request whose path a service serves under other
/// methods (RFC 9110 §15.5.6), where Hummingbird's router answers 404 for any request it has no route for. An
/// OpenAPI document lists each path's methods; a client that tries another one (TRACE, DELETE) learns that the path
/// exists and which methods it takes, as the contract tests (schemathesis) expect.
///
/// Add it after the service's error middleware, so that it runs closer to the router: it returns its answer rather
/// than throwing, and the error middleware passes it on. The answer's body has the shape of the services' errors:
/// `{"error": {"code": "methodNotAllowed", "message", "status": 405}}`.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route as the router names it: a method and a path whose parameter segments are `{name}` or `:name`.
    let routes: [(method: String, segments: [Substring])]

    public init(routes: [(method: String, path: String)]) {
        self.routes = routes.map { ($0.method.uppercased(), $0.path.split(separator: "/")) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(path: request.uri.path)
            // A route that exists for this very method threw 404 itself (an unknown key, say): that answer stands.
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            return Self.response(method: request.method.rawValue, path: request.uri.path, allowed: allowed)
        }
    }

    /// The methods the service takes on `path`, sorted; empty when it serves no such path.
    public func allowedMethods(path: String) -> [String] {
        let segments = path.split(separator: "/")
        var methods = Set<String>()
        for route in routes where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { pattern, segment in
                pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == segment
            }
            if matches {
                methods.insert(route.method)
                if route.method == "GET" { methods.insert("HEAD") }
            }
        }
        return methods.sorted()
    }

    static func response(method: String, path: String, allowed: [String]) -> Response {
        var headers = HTTPFields()
        headers[.allow] = allowed.joined(separator: ", ")
        headers[.contentType] = "application/json"
        let error: [String: Any] = ["code": "methodNotAllowed", "status": 405,
                                    "message": "\(method) is not a method of \(path) (it takes \(allowed.joined(separator: ", ")))"]
        // The path comes from the client: JSONSerialization escapes whatever it holds.
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        return Response(status: .methodNotAllowed, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(body))))
    }
}
