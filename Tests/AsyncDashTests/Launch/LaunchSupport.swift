import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

/// A `SampleAsyncManager` on fresh stores of `backend` whose registry also holds `functions`,
/// with a recorder observing every event.
func makeLaunchManager(
    _ backend: Backend,
    functions: [TaskFunction] = [],
    settings: AsyncSettings = AsyncSettings()
) async throws -> (SampleAsyncManager, RecordingObserver) {
    var registry = testRegistry()
    for function in functions { registry.register(taskFunction: function) }
    let recorder = RecordingObserver()
    let stores = try await backend.makeStores()
    let context = ManagerContext(
        name: SampleAsyncManager.registeredName, settings: settings, stores: stores,
        observers: ObserverChain([.init(name: "recorder", observer: recorder)]), registry: registry
    )
    let manager = try SampleAsyncManager(context: context)
    try await stores.records.prepare(manager.recordModel)
    return (manager, recorder)
}

/// Polls `condition` until it holds or `timeout` passes (generous, so a slow machine cannot fail
/// the test, and bounded, so a bug cannot hang it); returns whether it held.
func eventually(timeout: Duration = .seconds(120), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

extension RecordingObserver {
    /// The kinds of the events of `task`, in order.
    func kinds(of task: String) -> [LifecycleEventKind] {
        events.filter { $0.taskName == task }.map(\.kind)
    }
}

/// A queue that only keeps what it is given, so a test can look at a launched task before it runs.
actor HoldingQueue: TaskQueue {
    private(set) var jobs: [TaskJob] = []
    func enqueue(_ job: TaskJob) { jobs.append(job) }
    func cancel(_ taskName: String) async -> Bool { false }
}

/// Task functions only these tests use.
enum TestTasks {
    /// Fails until attempt `succeed_on`, retried 3 times in all with small delays; returns the attempt.
    static let flaky = TaskFunction(
        name: "test.tasks.flaky",
        retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), multiplier: 2, maxDelay: .milliseconds(50), jitter: 0.5)
    ) { args, context in
        if context.attempt < args["succeed_on"]?.intValue ?? 1 {
            throw TestTaskError(message: "attempt \(context.attempt) failed")
        }
        return ["attempt": .int(context.attempt)]
    }

    /// Always fails, with a long backoff: a task that waits to retry.
    static let slowRetry = TaskFunction(
        name: "test.tasks.slow_retry", retry: RetryPolicy(maxAttempts: 2, initialDelay: .seconds(60), jitter: 0)
    ) { _, _ in
        throw TestTaskError(message: "always fails")
    }

    /// Reaches its context only through `TaskContext.current`, two calls down; locks `chapter:<ids>`.
    static let nested = TaskFunction(name: "test.tasks.nested") { args, _ in
        try await outerHelper(ids: args["chapters"]?.arrayValue?.compactMap(\.intValue) ?? [])
    }

    private static func outerHelper(ids: [Int]) async throws -> JSONValue {
        try await innerHelper(ids: ids)
    }

    private static func innerHelper(ids: [Int]) async throws -> JSONValue {
        guard let task = TaskContext.current else { return .null }
        try await task.registerDescendantConflicts(ObjectRef.many(model: "chapter", ids: ids))
        try await task.progress(.text("chapters locked"))
        return ["task": .string(task.taskName), "attempt": .int(task.attempt), "skip": .bool(TaskContext.skipNestedAsync)]
    }

    static let all = [flaky, slowRetry, nested]
}

struct TestTaskError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
