import AsyncDash
import Foundation
import Hummingbird
import Synchronization
import Logging

/// The web dashboard of one model-tracking manager: list and detail pages with live progress, the
/// progress polling endpoint, a JSON API with its OpenAPI document, admin actions, and metrics.
///
/// ```swift
/// let settings = try DashboardSettings.resolve(resolved.config.dashboard, model: manager.recordModel,
///                                              environment: ProcessInfo.processInfo.environment)
/// let dashboard = try await Dashboard(manager: manager, queue: queue, settings: settings, logger: logger)
/// let app = try dashboard.application()          // a swift-service-lifecycle Service
/// try await app.runService()
/// ```
///
/// Routes (`P` is ``DashboardSettings/pathPrefix``, `/async-dashboard` by default):
/// - `GET P/` the list; `GET P/{task}/` one task (`?fragment=modal` for the modal);
///   `GET P/-/stream` and `GET P/{task}/stream`: Server-Sent Events;
/// - `POST P/{task}/cancel|retry|cleanup`, `POST P/-/cleanup` (admin, CSRF-checked);
/// - `GET /async/progress/?task_name=` (powercrud's polling contract: 400, 404, 200, 286 when finished);
/// - `GET /api/tasks`, `GET /api/tasks/{task}`, `GET /api/openapi.json`; `GET /metrics`.
public struct Dashboard: Sendable {
    let data: DashboardData
    /// The settings it was built with.
    public let settings: DashboardSettings
    let queue: (any TaskQueue & TaskQueueInspector)?
    let audit: any AuditLog
    let auth: DashboardAuth
    let templates: Templates
    let staticFiles: StaticFiles
    let metrics: DashboardMetrics
    /// The outcome banners this dashboard issued (newest last, at most 256): a `?done=` text shows
    /// only when it is one of them, so a crafted link cannot put its own words in the banner.
    let issuedFlashes = IssuedFlashes()
    let logger: Logger
    /// The shortest time between two reads of one live stream: a stream re-reads when the store's
    /// change feed names its task (or anything, for the list), at most this often.
    let streamInterval: Duration
    let allowsActions: Bool

    /// Prepares the store for listing (indexes, counts) and loads the templates.
    ///
    /// - Parameters:
    ///   - queue: The queue actions cancel and retry through, and clean-up inspects; `nil` when
    ///     there is none in this process (cancel and retry are then refused).
    ///   - metrics: Where `/metrics` reads counters from; pass the one whose ``DashboardMetrics/observer``
    ///     is in the manager's observer chain to count events.
    ///   - allowsActions: Whether cancel, retry and clean-up run through `queue`. Turn it off when
    ///     the queue's workers run another manager's tasks: a relaunch would be recorded there, and
    ///     clean-up would take this manager's running tasks for lost ones.
    /// - Throws: ``TemplateError`` for a template that does not load; ``DashboardExposureError``
    ///   when bound beyond loopback without a token; store errors.
    public init(
        manager: ModelTrackingAsyncManager,
        queue: (any TaskQueue & TaskQueueInspector)?,
        settings: DashboardSettings,
        metrics: DashboardMetrics = DashboardMetrics(),
        allowsActions: Bool = true,
        logger: Logger = Logger(label: "asyncdash.web"),
        streamInterval: Duration = .milliseconds(250)
    ) async throws {
        self.allowsActions = allowsActions
        try settings.checkExposure()
        self.data = DashboardData(manager: manager, settings: settings)
        self.settings = settings
        self.queue = queue
        self.audit = manager.stores.audit
        self.auth = DashboardAuth(settings: settings)
        self.templates = try Templates(overrides: settings.templatesDirectory)
        self.staticFiles = try StaticFiles()
        self.metrics = metrics
        self.logger = logger
        self.streamInterval = streamInterval
        try await data.prepare()
    }

    /// Every route, with the security headers: this dashboard's pages, streams and actions, then
    /// those of `others` (dashboards of other managers, each under its own path prefix), then the
    /// routes only this one serves: the progress endpoint, the JSON API and `/metrics`.
    public func router(adding others: [Dashboard] = []) -> Router<BasicRequestContext> {
        // HEAD answers every GET route, without the body.
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: SecurityHeadersMiddleware(pagePrefixes: ([self] + others).map(\.settings.pathPrefix), loopbackHostsOnly: auth.open))
        let dashboards = [self] + others
        let routes = RouteTable()
        router.add(middleware: MethodNotAllowedMiddleware(table: routes))
        router.add(middleware: FailureMiddleware(logger: logger) { request, status, heading, message in
            let path = request.uri.path
            return dashboards.first { path.hasPrefix($0.settings.pathPrefix) }?.errorPage(request, status, heading, message)
        })
        for dashboard in [self] + others {
            dashboard.addPageRoutes(to: router, routes)
            dashboard.addStreamRoutes(to: router, routes)
            dashboard.addActionRoutes(to: router, routes)
        }
        addProgressEndpoint(to: router, routes)
        addAPIRoutes(to: router, routes)
        addMetricsRoute(to: router, routes)
        return router
    }

    /// The HTTP server on ``DashboardSettings/host``:``DashboardSettings/port``.
    ///
    /// - Parameters:
    ///   - others: Dashboards of other managers served with this one (see ``router(adding:)``).
    ///   - onServerRunning: Called with the bound port once it listens (useful with port 0).
    public func application(
        adding others: [Dashboard] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(adding: others),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "AsyncDash"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

/// The outcome banners a dashboard issued, newest last, at most 256 (see ``Dashboard``).
final class IssuedFlashes: Sendable {
    private let texts = Mutex<[String]>([])

    func issue(_ text: String) {
        texts.withLock { texts in
            texts.append(text)
            if texts.count > 256 { texts.removeFirst(texts.count - 256) }
        }
    }

    func contains(_ text: String) -> Bool {
        texts.withLock { $0.contains(text) }
    }
}
