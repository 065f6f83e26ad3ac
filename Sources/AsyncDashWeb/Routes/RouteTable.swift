import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route path answers, recorded as the dashboard adds its routes, so a request
/// with another method gets `405 Method Not Allowed` with an `Allow` header instead of a 404
/// (Hummingbird's router keeps its table to itself).
///
/// Routes are added with `get(_:_:use:)` and
/// `post(_:_:use:)` of this module (below), which record into the table;
/// `MethodNotAllowedMiddleware` reads it.
final class RouteTable: Sendable {
    private struct Route: Hashable {
        var segments: [Substring]
        var method: HTTPRequest.Method
    }

    private let routes = Mutex<[Route]>([])

    func add(_ method: HTTPRequest.Method, _ path: String) {
        let route = Route(segments: path.split(separator: "/"), method: method)
        routes.withLock { $0.append(route) }
    }

    /// The methods the routes matching `path` answer (with HEAD for GET), sorted; empty when no
    /// route matches. A `{name}` segment matches any one segment.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        var methods = Set<String>()
        for route in routes.withLock({ $0 }) where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { pattern, segment in
                (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == segment
            }
            guard matches else { continue }
            methods.insert(route.method.rawValue)
            if route.method == .get { methods.insert(HTTPRequest.Method.head.rawValue) }
        }
        return methods.sorted()
    }
}

extension Router {
    /// `router.get(path)`, recorded in `table`.
    @discardableResult
    func get<Output: ResponseGenerator>(
        _ table: RouteTable, _ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) -> Self {
        on(table, .get, path, use: handler)
    }

    /// `router.post(path)`, recorded in `table`.
    @discardableResult
    func post<Output: ResponseGenerator>(
        _ table: RouteTable, _ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) -> Self {
        on(table, .post, path, use: handler)
    }

    private func on<Output: ResponseGenerator>(
        _ table: RouteTable, _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) -> Self {
        table.add(method, path)
        return on(RouterPath(path), method: method, use: handler)
    }
}

/// Answers a request whose path has routes, but none for its method, with `405 Method Not
/// Allowed`, an `Allow` header listing the methods that path answers, and a JSON error.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            var response = Reply.jsonError(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); it answers \(allowed.joined(separator: ", "))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }
}
