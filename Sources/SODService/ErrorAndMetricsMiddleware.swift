import Foundation
import Hummingbird
import PKICore

/// Turns every error into a JSON body with a 4xx or 5xx status, and counts every answer by route pattern.
///
/// ```
/// {"error": {"code": "badRequest", "field": "dataGroupHashes.3", "message": "dataGroupHashes.3: 31 bytes, but sha256 gives 32", "status": 400}}
/// ```
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as SODServiceError {
            metrics.recordRefusal(code: error.code.name)
            response = Self.errorResponse(status: Self.status(error.code), code: error.code.name, message: error.reason, field: error.field)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            response = Self.errorResponse(status: error.status, code: error.status == .notFound ? "notFound" : "httpError", message: message)
        } catch {
            response = Self.errorResponse(status: .internalServerError, code: "internal", message: "\(error)")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(route: context.endpointPath ?? "unmatched", status: response.status.code, seconds: seconds)
        return response
    }

    static func status(_ code: SODServiceError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest, .invalidInput: return .badRequest
        case .unknownLine: return .forbidden
        case .quotaExceeded: return .tooManyRequests
        case .notFound: return .notFound
        default: return .internalServerError
        }
    }

    static func errorResponse(status: HTTPResponse.Status, code: String, message: String, field: String? = nil) -> Response {
        var error: [(String, JSONValue)] = [("code", .string(code)), ("message", .string(message)), ("status", .integer(status.code))]
        if let field { error.append(("field", .string(field))) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .tooManyRequests { headers[.retryAfter] = "60" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object([("error", .object(error))]).encoded())))
    }
}
