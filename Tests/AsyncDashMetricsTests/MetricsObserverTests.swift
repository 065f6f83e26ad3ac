import AsyncDash
import AsyncDashMetrics
import AsyncDashTesting
import Metrics
import MetricsTestKit
import Sample
import Testing

/// `asyncdash.observers.metrics` (issue 10): counters per event kind, status and task function,
/// and task durations, through swift-metrics.
@Suite("The metrics observer")
struct MetricsObserverTests {
    /// A sample manager on memory stores whose only observer counts into `metrics`.
    static func manager(_ metrics: TestMetrics) async throws -> SampleAsyncManager {
        var registry = Registry.standard
        registry.registerSample()
        let context = ManagerContext(
            name: SampleAsyncManager.registeredName, stores: StoreSet.memory(),
            observers: ObserverChain([ObserverRegistration(name: "metrics", observer: MetricsObserver(factory: metrics))]),
            registry: registry)
        let manager = try SampleAsyncManager(context: context)
        try await context.stores.records.prepare(manager.recordModel)
        return manager
    }

    @Test func tasksAreCountedByKindStatusAndFunctionAndTheirRunsTimed() async throws {
        let metrics = TestMetrics()
        let manager = try await Self.manager(metrics)
        try await manager.runTask(SampleTasks.updateItems, args: ["count": 3], taskName: "ok")
        try await manager.runTask(SampleTasks.failOn, args: ["value": 1, "fail_on": 1], taskName: "bad")
        #expect(await manager.context.observers.flush(timeout: .seconds(120)), "a full test run loads the 2 cores (the other observer tests wait as long)")
        let events = MetricsObserver.eventsLabel
        let update = "sample.tasks.update_items"
        #expect(metrics.counterTotal(label: events, dimensions: [("kind", "create"), ("status", "pending"), ("function", update)]) == 1)
        #expect(metrics.counterTotal(label: events, dimensions: [("kind", "progress"), ("status", "in_progress"), ("function", "")]) == 3)
        #expect(metrics.counterTotal(label: events, dimensions: [("kind", "complete"), ("status", "success"), ("function", update)]) == 1)
        #expect(metrics.counterTotal(label: events, dimensions: [("kind", "fail"), ("status", "failed"), ("function", "sample.tasks.fail_on")]) == 1)
        #expect(metrics.counterTotal(label: events) == 9, "create, 3 progress, complete, cleanup; create, fail, cleanup: \(metrics.counters.map(\.dimensions))")
        let timer = try metrics.expectTimer(MetricsObserver.durationLabel, [("function", update), ("status", "success")])
        #expect(timer.values.count == 1)
        #expect(try metrics.expectTimer(MetricsObserver.durationLabel, [("function", "sample.tasks.fail_on"), ("status", "failed")]).values.count == 1)
    }

    @Test func functionNamesFromOutsideCannotGrowTheSeriesWithoutBound() async throws {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        for index in 0..<(MetricsObserver.functionLimit + 50) {
            try await observer.observe(LifecycleEvent(.create, task: "t\(index)", status: .pending, extra: ["function": .string("f\(index)")]))
        }
        let functions = Set(metrics.counters(label: MetricsObserver.eventsLabel).compactMap { $0.dimensions.first { $0.0 == "function" }?.1 })
        #expect(functions.count == MetricsObserver.functionLimit + 1)
        #expect(metrics.counterTotal(label: MetricsObserver.eventsLabel, dimensions: [("kind", "create"), ("status", "pending"), ("function", "other")]) == 50)
    }

    @Test func configDeclaresItWithNoOptions() throws {
        var registry = Registry.standard
        registry.registerMetrics()
        let factory = try registry.observerFactory(named: "asyncdash.observers.metrics")
        #expect(try factory(ComponentOptions(type: "asyncdash.observers.metrics")) is MetricsObserver)
        #expect(throws: OptionError.self) { try factory(ComponentOptions(type: "asyncdash.observers.metrics", values: ["prefix": "x"])) }
    }
}
