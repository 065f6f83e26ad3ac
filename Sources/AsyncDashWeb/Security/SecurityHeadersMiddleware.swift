import HTTPTypes
import Hummingbird

/// Sets the Content-Security-Policy (our own scripts and styles only, no inline code, no framing)
/// and the usual security headers on every response; gives a request without a CSRF cookie the
/// token its page will set (``CSRFSeed``).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Pages live under these paths; only their requests need a CSRF token.
    let pagePrefixes: [String]
    /// With no token configured, requests must name a loopback host (`Host: 127.0.0.1:8000`,
    /// `localhost`, `[::1]`): a web page whose own name a DNS server rebinds to 127.0.0.1 would
    /// otherwise be "same origin" with the dashboard and act as its local admin.
    let loopbackHostsOnly: Bool

    static var policy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            if loopbackHostsOnly, request.head.authority == nil || !request.uri.string.hasPrefix("/") {
                // No Host header: nothing says which name was used.
                response = Reply.jsonError(
                    .badRequest,
                    "this dashboard has no token and answers only to requests naming a loopback host in a Host header, with a path target")
            } else if loopbackHostsOnly, let authority = request.head.authority, !DashboardSettings.isLoopbackAuthority(authority) {
                response = Reply.jsonError(
                    .forbidden,
                    "this dashboard has no token and answers only to a loopback host name (127.0.0.1, localhost, [::1]), not '\(authority)'; "
                        + "configure DASHBOARD.auth_token_env / admin_token_env to serve it under other names")
            } else if pagePrefixes.contains(where: { request.uri.path.hasPrefix($0) }),
                (request.cookies[DashboardAuth.csrfCookie]?.value.utf8.count ?? 0) < 32
            {
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
