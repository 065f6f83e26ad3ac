import AsyncDash
import CoreMetrics
import Prometheus
import Synchronization

/// The numbers `/metrics` serves in Prometheus text format, through swift-metrics with a
/// Prometheus factory of our own (nothing is bootstrapped globally, so several dashboards and tests
/// can live in one process).
///
/// Counted as they happen: `asyncdash_events_total{kind}` — put ``observer`` in the manager's
/// observer chain. Read at each scrape: `asyncdash_tasks{status}`, `asyncdash_active_tasks`,
/// `asyncdash_queue_depth` (tasks waiting to start), `asyncdash_conflict_locks`,
/// `asyncdash_dead_letters`, `asyncdash_observer_failures{observer}`, `asyncdash_hook_failures`.
///
/// ```swift
/// let metrics = DashboardMetrics()
/// let observers = ObserverChain([metrics.observerRegistration] + others)
/// ```
public final class DashboardMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// Live streams (Server-Sent Events) being written now.
    let openStreams = Mutex(0)

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// The swift-metrics factory whose metrics `/metrics` serves (for other observers, such as
    /// `asyncdash.observers.metrics`, to count into).
    public var metricsFactory: any MetricsFactory { factory }

    /// Counts every event it sees by kind.
    public var observer: any LifecycleObserver { EventCounter(metrics: self) }

    /// ``observer`` as a registration named `asyncdash.web.metrics`.
    public var observerRegistration: ObserverRegistration {
        ObserverRegistration(name: "asyncdash.web.metrics", observer: observer)
    }

    func countEvent(_ kind: LifecycleEventKind) {
        CoreMetrics.Counter(label: "asyncdash_events_total", dimensions: [("kind", kind.rawValue)], factory: factory).increment()
    }

    /// Reads the current state into gauges and returns the text exposition.
    func scrape(_ data: DashboardData) async throws -> [UInt8] {
        let counts = try await data.statusCounts()
        for status in Set(TaskStatus.allCases.map(\.rawValue)).union(counts.keys) {
            gauge("asyncdash_tasks", [("status", status)]).record(counts[status] ?? 0)
        }
        gauge("asyncdash_queue_depth").record(counts[TaskStatus.pending.rawValue] ?? 0)
        let coordination = data.manager.stores.coordination
        gauge("asyncdash_active_tasks").record(try await coordination.activeTasks().count)
        gauge("asyncdash_conflict_locks").record(try await coordination.locks().count)
        gauge("asyncdash_dead_letters").record(try await coordination.deadLetters().count)
        let diagnostics = await data.manager.diagnostics.snapshot
        gauge("asyncdash_hook_failures").record(diagnostics.hookFailures)
        gauge("asyncdash_streams_open").record(openStreams.withLock { $0 })
        for (observer, failures) in diagnostics.observerFailures {
            gauge("asyncdash_observer_failures", [("observer", observer)]).record(failures)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory)
    }
}

/// The observer behind ``DashboardMetrics/observer``.
struct EventCounter: LifecycleObserver {
    let metrics: DashboardMetrics
    func observe(_ event: LifecycleEvent) async throws {
        metrics.countEvent(event.kind)
    }
}
