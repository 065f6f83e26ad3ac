import AsyncDash
import AsyncDashSQLite
import AsyncDashWeb
import Foundation
import Sample
import Hummingbird
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// The code of README.md "Embedding the dashboard in your server", run over a real socket.
// When the snippet changes, change it here too (and back).

@Suite("README: embedding the dashboard")
struct EmbeddingExampleTests {
    @Test("the README's embedding code serves the list page on a free port, with events counted by its metrics")
    func embeddingSnippetServes() async throws {
        var registry = Registry.standard
        registry.registerSQLite()
        registry.registerSample()
        let directory = WebTestFiles.runDirectory.appendingPathComponent(UUID().uuidString)
        let resolved = try ConfigResolver.parse("""
            STORE: sqlite://\(directory.appendingPathComponent("embed.sqlite").path)
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config: { record_model_path: sample.AsyncTaskRecord }
            DASHBOARD: { fields: [task_name, status, message] }
            """, file: "config.yaml", registry: registry, environment: [:])
        let stores = try await resolved.makeStores()
        let metricsForChain = DashboardMetrics()
        let manager = try #require(try await resolved.makeManager(stores: stores, additionalObservers: [metricsForChain.observerRegistration]) as? ModelTrackingAsyncManager)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)

        // --- README snippet ---
        let metrics = metricsForChain                           // put metrics.observerRegistration in the manager's chain
        var settings = try DashboardSettings.resolve(resolved.config.dashboard, model: manager.recordModel,
                                                     environment: ProcessInfo.processInfo.environment)
        settings.port = 0                                       // any free port
        let dashboard = try await Dashboard(manager: manager, queue: queue, settings: settings, metrics: metrics)
        let ports = AsyncStream.makeStream(of: Int.self)
        let app = dashboard.application { port in ports.continuation.yield(port) }
        // --- end of snippet (it then runs `app.runService()`; here: in a task, stopped below) ---

        let server = Task { try await app.runService() }
        defer { server.cancel() }
        var iterator = ports.stream.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 2, "delay_ms": 5], taskName: "embedded-1", queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))

        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/async-dashboard/")))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let page = String(decoding: data, as: UTF8.self)
        #expect(page.contains("embedded-1") && page.contains(#"<th scope="col">Message</th>"#))
        let (metricsData, _) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/metrics")))
        let text = String(decoding: metricsData, as: UTF8.self)
        #expect(text.contains(#"asyncdash_events_total{kind="complete"} 1"#), "\(text)")
        #expect(text.contains(#"asyncdash_tasks{status="success"} 1"#), "\(text)")
    }
}
