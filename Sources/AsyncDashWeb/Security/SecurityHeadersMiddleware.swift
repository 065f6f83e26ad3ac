import HTTPTypes
import Hummingbird

/// Sets the Content-Security-Policy (our own scripts and styles only, no inline code, no framing)
/// and the usual security headers on every response; gives a request without a CSRF cookie the
/// token its page will set (``CSRFSeed``).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Pages live under these paths; only their requests need a CSRF token.
    let pagePrefixes: [String]

    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            if pagePrefixes.contains(where: { request.uri.path.hasPrefix($0) }), request.cookies[DashboardAuth.csrfCookie] == nil {
                response = try await CSRFSeed.$current.withValue(DashboardAuth.randomToken()) { try await next(request, context) }
            } else {
                response = try await next(request, context)
            }
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        response.headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=()"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
