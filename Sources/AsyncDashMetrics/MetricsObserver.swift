import AsyncDash
import CoreMetrics
import Synchronization

/// Counts lifecycle events and times finished tasks through swift-metrics
/// (`asyncdash.observers.metrics` in config), for any metrics backend — Prometheus, StatsD, OTel.
///
/// - `asyncdash_task_events_total` (counter), dimensions `kind` (create, progress, complete, fail,
///   cleanup), `status` (the event's task status, or empty) and `function` (the task function,
///   known on `create`, `complete` and `fail` events; else empty).
/// - `asyncdash_task_duration_seconds` (timer), dimensions `function` and `status`: how long the
///   finished attempt of a task ran, from the `duration_ms` of its `complete` or `fail` event.
///
/// At most ``functionLimit`` distinct function names get series of their own; later ones are
/// counted under `function="other"`, so events from outside (`asyncdash emit`) cannot grow the
/// series without bound.
///
/// The metrics go to ``MetricsDestination/current`` when set (`asyncdash serve` sets it to its
/// dashboard's `/metrics`), else to the process's `MetricsSystem` (what your application
/// bootstrapped; nothing otherwise).
///
/// ```swift
/// import AsyncDashMetrics
/// import MetricsTestKit
///
/// let metrics = TestMetrics()
/// let observer = MetricsObserver(factory: metrics)
/// try await observer.observe(LifecycleEvent(.create, task: "t1", status: .pending, message: "Task queued",
///                                           extra: ["function": "sample.tasks.update_items"]))
/// ```
public struct MetricsObserver: LifecycleObserver {
    public static let eventsLabel = "asyncdash_task_events_total"
    public static let durationLabel = "asyncdash_task_duration_seconds"
    /// The most distinct task function names with series of their own.
    public static let functionLimit = 100

    let factory: any MetricsFactory
    private let functions = FunctionNames(limit: MetricsObserver.functionLimit)

    public init(factory: any MetricsFactory = MetricsDestination.current ?? MetricsSystem.factory) {
        self.factory = factory
    }

    public func observe(_ event: LifecycleEvent) async throws {
        let status = event.status?.rawValue ?? ""
        let function = functions.label(event.extra["function"]?.stringValue)
        Counter(label: Self.eventsLabel, dimensions: [("kind", event.kind.rawValue), ("status", status), ("function", function)], factory: factory)
            .increment()
        if event.kind == .complete || event.kind == .fail, let milliseconds = event.extra["duration_ms"]?.intValue, milliseconds >= 0 {
            Timer(label: Self.durationLabel, dimensions: [("function", function), ("status", status)], factory: factory)
                .recordMilliseconds(milliseconds)
        }
    }
}

/// Where ``MetricsObserver``s made in this task send their metrics, when not the process's
/// `MetricsSystem`: a task-local value, so two command lines in one process do not share it.
public enum MetricsDestination {
    @TaskLocal public static var current: (any MetricsFactory)?
}

/// The function names seen, up to a limit.
private final class FunctionNames: Sendable {
    private let limit: Int
    private let seen = Mutex<Set<String>>([])

    init(limit: Int) { self.limit = limit }

    /// `name` as a dimension value: "" when unknown, "other" past the limit.
    func label(_ name: String?) -> String {
        guard let name, !name.isEmpty else { return "" }
        return seen.withLock { seen in
            if seen.contains(name) { return name }
            guard seen.count < limit else { return "other" }
            seen.insert(name)
            return name
        }
    }
}
