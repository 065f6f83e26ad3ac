import AsyncDash
import HTTPTypes
import Hummingbird
import Logging

/// Turns an error no route answered into a response that says what failed, and logs it.
///
/// Without it Hummingbird answers such an error with an empty `500` and logs nothing at the
/// default level, so a damaged store (a removed `-wal` file, corrupt pages) would be invisible.
/// Here every one is logged at `error` with the route and the task it concerns, and answered:
///
/// - ``StoreBusyError`` (a long read stopped at its time limit, or too many waiting): `503` with
///   `Retry-After: 2` — the server is healthy, the request may be tried again;
/// - anything else: `500`;
///
/// as JSON `{"error": "…", "route": "GET /…"}` for API and progress requests (and any request
/// that asks for JSON), or as the dashboard's error page for its pages.
struct FailureMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    /// The dashboard's error page for a request under one of its path prefixes, else `nil`.
    let errorPage: @Sendable (Request, HTTPResponse.Status, String, String) -> Response?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let route = "\(request.method) \(request.uri.path)"
            var metadata: Logger.Metadata = ["route": "\(route)", "error": "\(error)"]
            if let task = request.uri.queryParameters["task_name"] { metadata["task"] = "\(task)" }
            let status: HTTPResponse.Status
            let heading: String
            if error is StoreBusyError {
                status = .serviceUnavailable
                heading = "Busy"
                logger.warning("request answered 503: the store is busy", metadata: metadata)
            } else {
                status = .internalServerError
                heading = "Something failed"
                logger.error("request failed with 500", metadata: metadata)
            }
            let message = "\(route) failed: \(error)"
            let page = request.wantsJSON ? nil : errorPage(request, status, heading, message)
            var response = page ?? Reply.jsonError(status, message, ["route": .string(route)])
            if status == .serviceUnavailable { response.headers[.retryAfter] = "2" }
            return response
        }
    }
}
