import Foundation
import Hummingbird

/// Turns every error into a JSON body with a 4xx or 5xx status, and counts every answer by route pattern.
///
/// ```
/// {"error": {"code": "badRequest", "message": "'ZZZ' is not a two-letter country code", "status": 400}}
/// ```
struct ErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as NPKDError {
            response = Self.errorResponse(status: Self.status(error.code), code: error.code.name, message: error.reason)
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

    static func status(_ code: NPKDError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest, .malformedLDIF, .malformedObject, .unknownFormat, .signatureInvalid: return .badRequest
        case .notFound: return .notFound
        case .staleDelta: return .conflict
        default: return .internalServerError
        }
    }

    static func errorResponse(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let object: [String: Any] = ["error": ["code": code, "message": message, "status": status.code]]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
