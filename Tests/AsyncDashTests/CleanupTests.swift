import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

/// A manager that also removes two extra dashboard artefacts per cleaned task.
final class ExtraArtefactsManager: SampleAsyncManager, @unchecked Sendable {
    override func cleanupDashboardData(_ taskName: String) async throws -> Int { 2 }
}

/// A queue view that reports fixed states (a durable queue remembers finished jobs).
struct FixedInspector: TaskQueueInspector {
    var states: [String: QueuedTaskState]
    func state(of taskName: String) async -> QueuedTaskState? { states[taskName] }
}

/// A manager of `type` on fresh stores of `backend`, its schema prepared, with a recorder.
private func makeManager<M: ModelTrackingAsyncManager>(
    _ type: M.Type, _ backend: Backend, settings: AsyncSettings = AsyncSettings()
) async throws -> (M, RecordingObserver) {
    let recorder = RecordingObserver()
    let stores = try await backend.makeStores()
    let context = ManagerContext(
        name: SampleAsyncManager.registeredName, settings: settings, stores: stores,
        observers: ObserverChain([.init(name: "recorder", observer: recorder)]), registry: testRegistry()
    )
    let manager = try M(context: context)
    try await stores.records.prepare(manager.recordModel)
    return (manager, recorder)
}

private let books = ObjectRef.many(model: "book", ids: [1, 2])

@Suite("Cleaning up completed and stale tasks")
struct CleanupTests {
    @Test(arguments: Backend.allCases)
    func aTaskMissingFromTheQueueIsCleanedWithCountsAndFailed(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeManager(SampleAsyncManager.self, backend)
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "lost", locking: books, queue: HoldingQueue())

        let summary = try await manager.cleanupCompletedTasks(queue: nil)

        #expect(summary == CleanupSummary(activeTasks: 1, cleaned: [
            "lost": .init(reason: "missing from the queue", conflictLockKeys: 2, progressEntries: 1, dashboardRecords: 1),
        ]))
        #expect(try await manager.activeTasks().isEmpty)
        #expect(try await manager.checkConflict(books).isEmpty)
        #expect(try await manager.getProgress("lost") == nil)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "lost") == [.create, .fail, .cleanup])
        let record = try await manager.requireRecord("lost")
        #expect(record["status"] == .text("failed"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(record["message"].text == "Cleaned up (missing from the queue); the task's outcome was never recorded")
        #expect(recorder.events.last?.extra["cleanup_reason"] == "missing from the queue")
    }

    @Test(arguments: Backend.allCases)
    func aFinishedTaskIsCleanedAndKeepsItsStatus(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeManager(ExtraArtefactsManager.self, backend)
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "done", locking: books, queue: HoldingQueue())
        // The worker recorded success, then died before releasing anything.
        await manager.emit(LifecycleEvent(.complete, task: "done", status: .success, message: "Task completed", result: ["updated": 1]))

        let summary = try await manager.cleanupCompletedTasks(queue: FixedInspector(states: ["done": .finished]))

        #expect(summary.cleaned["done"] == .init(reason: "finished", conflictLockKeys: 2, progressEntries: 1, dashboardRecords: 3))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "done") == [.create, .complete, .cleanup])
        let record = try await manager.requireRecord("done")
        #expect(record["status"] == .text("success"))
        #expect(record["message"].text == "Task completed")
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func runningAndQueuedTasksAreSkipped(_ backend: Backend) async throws {
        let (manager, _) = try await makeManager(SampleAsyncManager.self, backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "busy", locking: books, queue: queue)
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "next", queue: queue)
        #expect(await eventually { if case .running? = await queue.state(of: "busy") { true } else { false } })

        let summary = try await manager.cleanupCompletedTasks(queue: queue)

        #expect(summary == CleanupSummary(activeTasks: 2, skipped: ["busy": "still running", "next": "queued"]))
        #expect(try await manager.activeTasks() == ["busy", "next"])
        #expect(try await manager.checkConflict(books).count == 2)
        #expect(try await manager.requireRecord("busy")["cleaned_up"] == .bool(false))
        await queue.cancel("next")
        await queue.cancel("busy")
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
    }

    @Test(arguments: Backend.allCases)
    func aTaskRunningPastMaxTaskDurationIsSkippedWithItsLocksKept(_ backend: Backend) async throws {
        var settings = AsyncSettings()
        settings.maxTaskDuration = .seconds(60)
        let (manager, _) = try await makeManager(SampleAsyncManager.self, backend, settings: settings)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "stuck", locking: books, queue: queue)
        #expect(await eventually { if case .running? = await queue.state(of: "stuck") { true } else { false } })
        let clock = ManualClock(Date())  // from now on the task's age is exactly what the clock is advanced by (or a bit more)

        clock.advance(by: .seconds(30))
        #expect(try await manager.cleanupCompletedTasks(queue: queue, clock: clock).skipped == ["stuck": "still running"])
        clock.advance(by: .seconds(31))
        let summary = try await manager.cleanupCompletedTasks(queue: queue, clock: clock)

        // DESIGN §10: a running task's locks are not released while it runs; its worker stops it.
        #expect(summary.cleaned.isEmpty)
        #expect(summary.skipped == ["stuck": CleanupSummary.Reason.exceededMaxDuration])
        #expect(try await manager.activeTasks() == ["stuck"])
        #expect(try await manager.checkConflict(books).count == 2)
        let stuck = try await manager.requireRecord("stuck")
        #expect(["pending", "in_progress"].contains(stuck["status"].text), "not finished while it runs: \(stuck)")
        #expect(stuck["cleaned_up"] == .bool(false))
        await queue.cancel("stuck")
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
    }

    @Test(arguments: Backend.allCases)
    func theBaseManagerCleansWithoutRecords(_ backend: Backend) async throws {
        let stores = try await backend.makeStores()
        let recorder = RecordingObserver()
        let manager = try AsyncManager(context: ManagerContext(
            name: "asyncdash.AsyncManager", stores: stores, observers: ObserverChain([.init(name: "recorder", observer: recorder)]),
            registry: testRegistry()
        ))
        try await manager.registerActiveTask("orphan")
        try await manager.reserveConflictLocks(for: "orphan", objects: books)

        let summary = try await manager.cleanupCompletedTasks(queue: nil)

        #expect(summary.cleaned == ["orphan": .init(reason: "missing from the queue", conflictLockKeys: 2, progressEntries: 0, dashboardRecords: 0)])
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "orphan") == [.fail, .cleanup])
        #expect(try await manager.checkConflict(books).isEmpty)
    }

    @Test func theSummaryJSONHasPowercrudsShapeAndMatchesItsCodableForm() throws {
        let summary = CleanupSummary(
            activeTasks: 3,
            cleaned: ["a": .init(reason: "missing from the queue", conflictLockKeys: 2, progressEntries: 1, dashboardRecords: 1)],
            skipped: ["b": "still running", "c": "queued"]
        )
        let expected: JSONValue = [
            "active_tasks": 3,
            "cleaned": ["a": ["reason": "missing from the queue", "conflict_lock_keys": 2, "progress_entries": 1, "dashboard_records": 1]],
            "skipped": ["b": "still running", "c": "queued"],
        ]
        #expect(summary.json == expected)
        let encoded = try JSONEncoder().encode(summary)
        #expect(try JSONValue(parsing: String(decoding: encoded, as: UTF8.self)) == expected)
        #expect(try JSONDecoder().decode(CleanupSummary.self, from: encoded) == summary)
        #expect(summary.humanReadable == """
            Examined 3 active tasks; cleaned 1 (locks released 2, progress entries 1, records 1); skipped 2
              cleaned a: missing from the queue (locks 2, progress entries 1, records 1)
              skipped b: still running
              skipped c: queued
            """)
    }
}
