import AsyncDash
import AsyncDashSQLite
import AsyncDashWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Sample
import Testing

/// A dashboard over a real manager: SQLite stores in a fresh temp directory, the sample app, an
/// in-process queue.
struct WebFixture: Sendable {
    let manager: SampleAsyncManager
    let queue: InProcessTaskQueue
    let dashboard: Dashboard

    /// - Parameters:
    ///   - configure: Changes to the default settings (tokens, page size, …).
    ///   - metrics: Passed to the dashboard; its observer is put in the manager's chain.
    ///   - wrapStores: Replaces roles of the SQLite store set (e.g. with a failing store).
    init(
        metrics: DashboardMetrics? = nil,
        logger: Logger = Logger(label: "asyncdash.web"),
        configure: (inout DashboardSettings) -> Void = { _ in },
        wrapStores: (StoreSet) -> StoreSet = { $0 }
    ) async throws {
        let directory = WebTestFiles.runDirectory.appendingPathComponent(UUID().uuidString)
        let stores = await wrapStores(try StoreSet.sqlite(path: directory.appendingPathComponent("web.sqlite").path))
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        let observers = ObserverChain(metrics.map { [$0.observerRegistration] } ?? [])
        let context = ManagerContext(name: SampleAsyncManager.registeredName, stores: stores, observers: observers, registry: registry)
        manager = try SampleAsyncManager(context: context)
        try await stores.records.prepare(manager.recordModel)
        queue = InProcessTaskQueue(runner: manager, concurrency: 4)
        var settings = DashboardSettings()
        configure(&settings)
        dashboard = try await Dashboard(manager: manager, queue: queue, settings: settings, metrics: metrics ?? DashboardMetrics(), logger: logger)
    }

    /// The application under test (in-memory router transport).
    func application() -> some ApplicationProtocol {
        Application(router: dashboard.router())
    }

    /// Runs `body` with a client of the router.
    func test<Value: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await application().test(.router) { client in try await body(client) }
    }

    /// Writes a record through a lifecycle event, as a running task would.
    func emit(_ event: LifecycleEvent, sourceLocation: Testing.SourceLocation = #_sourceLocation) async {
        let outcome = await manager.emit(event)
        #expect(outcome.succeeded, "emit \(event.kind) \(event.taskName): \(String(describing: outcome.hookError))", sourceLocation: sourceLocation)
    }

    /// Launches `sample.tasks.update_items` and waits for the queue to drain.
    func launchAndFinish(_ name: String, count: Int = 3) async throws {
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": .int(count), "delay_ms": 5], taskName: name, queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        // The metrics observer counts off the emitting path.
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
    }

    /// Six tasks in every state but cancelled:
    /// `alibaba-sync` (bob, success), `report-q3` (alice, pending), `import-books` (carol, failed),
    /// `export-users` (dave, failed), `nightly` (no user, pending), `reindex` (erin, in progress 2/4).
    func seedMixedTasks() async {
        await emit(LifecycleEvent(.create, task: "alibaba-sync", status: .pending, message: "Task queued", user: "bob"))
        await emit(LifecycleEvent(.complete, task: "alibaba-sync", status: .success, message: "Synced 5 rows", result: ["rows": 5, "source": "erp"]))
        await emit(LifecycleEvent(.create, task: "report-q3", status: .pending, message: "Task queued", user: "alice"))
        await emit(LifecycleEvent(.create, task: "import-books", status: .pending, message: "Task queued", user: "carol"))
        await emit(LifecycleEvent(.fail, task: "import-books", status: .failed, message: "disk full", result: ["error": "disk full"]))
        await emit(LifecycleEvent(.create, task: "export-users", status: .pending, message: "Task queued", user: "dave"))
        await emit(LifecycleEvent(.fail, task: "export-users", status: .failed, message: "timeout"))
        await emit(LifecycleEvent(.create, task: "nightly", status: .pending, message: "Task queued"))
        await emit(LifecycleEvent(.create, task: "reindex", status: .pending, message: "Task queued", user: "erin"))
        await emit(LifecycleEvent(.progress, task: "reindex", status: .inProgress, message: "Reindexing",
                                  progress: .structured(StructuredProgress(done: 2, total: 4, unit: "shards"))))
    }
}

/// Temporary files of this test run, one directory per process.
enum WebTestFiles {
    static let runDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-webtest-run-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()
}

/// Header names the tests read that HTTPTypes does not predefine.
enum TestHeader {
    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
}

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(buffer: body) }

    /// The body parsed as JSON.
    func json(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> JSONValue {
        try JSONValue(parsing: text)
    }

    /// The value of cookie `name` in the `Set-Cookie` headers.
    func setCookie(_ name: String) -> String? {
        for header in headers[values: .setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name { return String(parts[1]) }
        }
        return nil
    }
}

/// Small readers of the dashboard's HTML.
enum HTML {
    /// Every capture of group 1 of `pattern` in `text`.
    static func captures(_ pattern: String, in text: String) throws -> [String] {
        let regex = try Regex(pattern)
        return text.matches(of: regex).compactMap { match in match.output[1].substring.map(String.init) }
    }

    /// Task names of the list's rows, in order (`data-task` of `<tr>`), unescaped.
    static func rowNames(_ page: String) throws -> [String] {
        try captures(#"<tr class="row [^"]*" data-task="([^"]*)""#, in: page).map(unescape)
    }

    /// The count shown next to a status filter link.
    static func count(_ status: String, in page: String) throws -> Int? {
        let pattern = #"<span class="badge status-"# + status + #""><span aria-hidden="true">[^<]*</span> [^<]*</span> <b>(\d+)</b>"#
        return try captures(pattern, in: page).first.flatMap { Int($0) }
    }

    /// The `href` of the link with `rel`, unescaped.
    static func link(rel: String, in page: String) throws -> String? {
        try captures(#"<a href="([^"]*)" rel=""# + rel + #"""#, in: page).first.map(unescape)
    }

    /// The hidden CSRF field's value.
    static func csrfField(_ page: String) throws -> String? {
        try captures(#"name="csrf" value="([^"]*)""#, in: page).first
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&#x27;", with: "'").replacingOccurrences(of: "&#x2F;", with: "/")
            .replacingOccurrences(of: "&#x3D;", with: "=").replacingOccurrences(of: "&#x60;", with: "`")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Percent-encodes a path segment or query value.
func encoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// Headers with `Authorization: Bearer token`.
func bearer(_ token: String) -> HTTPFields {
    [.authorization: "Bearer \(token)"]
}

/// The tokens the secured fixtures use.
enum Tokens {
    static let read = String(repeating: "r", count: 20)
    static let admin = String(repeating: "a", count: 20)
}
