import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

/// DESIGN §10: a task past `MAX_TASK_DURATION` whose worker is alive is cancelled cooperatively
/// and ends `failed` with the reason; its locks stay until it stops; a task that ignores the
/// cancel stops getting its lease renewed after one `LEASE_TTL` and is recovered as lost
/// (issue 9, item 16).
@Suite("MAX_TASK_DURATION")
struct MaxTaskDurationTests {
    static let books = ObjectRef.many(model: "book", ids: [7, 8])

    static func manager(_ backend: Backend, maxTaskDuration: Duration, leaseTTL: Duration = .seconds(30)) async throws -> SampleAsyncManager {
        var settings = AsyncSettings()
        settings.maxTaskDuration = maxTaskDuration
        settings.leaseTTL = leaseTTL
        let stores = try await backend.makeStores()
        let manager = try SampleAsyncManager(context: ManagerContext(
            name: SampleAsyncManager.registeredName, settings: settings, stores: stores, registry: testRegistry()))
        try await stores.records.prepare(manager.recordModel)
        return manager
    }

    /// A manager (MAX_TASK_DURATION 0.3 s, LEASE_TTL 1 s), its durable queue and a started worker,
    /// with `function` launched as `taskName` (60 seconds, locking ``books``).
    static func launchOnAWorker(
        _ backend: Backend, _ function: String, taskName: String
    ) async throws -> (SampleAsyncManager, any DurableTaskQueue & TaskQueueInspector, QueueWorker) {
        let manager = try await manager(backend, maxTaskDuration: .milliseconds(300), leaseTTL: .seconds(1))
        let queue = manager.stores.queue.taskQueue(runner: manager)
        let worker = QueueWorker(queue: queue, manager: manager, concurrency: 2)
        await worker.start()
        try await manager.launchAsyncTask(function, args: ["seconds": 60], taskName: taskName, locking: books, queue: queue)
        return (manager, queue, worker)
    }

    /// The record's status, message, completed_at and failed_at.
    static func outcome(_ manager: SampleAsyncManager, _ name: String) async throws -> (String?, String?, Bool, Bool) {
        let record = try await manager.requireRecord(name)
        return (record["status"].text, record["message"].text, record["completed_at"] != .null, record["failed_at"] != .null)
    }

    @Test(arguments: Backend.allCases)
    func anInProcessRunPastTheLimitIsCancelledAndFailsWithTheReasonKeepingItsLocksUntilItStops(_ backend: Backend) async throws {
        let manager = try await Self.manager(backend, maxTaskDuration: .milliseconds(400))
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2, maxTaskDuration: manager.settings.maxTaskDuration)
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "slow", locking: Self.books, queue: queue)
        #expect(try await eventually { if case .running? = await queue.state(of: "slow") { true } else { false } })
        #expect(try await manager.checkConflict(Self.books).count == 2, "the locks are held while it runs")
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)), "the run was not stopped")
        let (status, message, completed, failed) = try await Self.outcome(manager, "slow")
        #expect(status == "failed")
        #expect(message == "Task stopped: it ran longer than MAX_TASK_DURATION (0.4 seconds)")
        #expect(failed && !completed, "failed_at and completed_at: \(failed), \(completed)")
        #expect(try await manager.checkConflict(Self.books).isEmpty, "released once it stopped")
    }

    @Test(arguments: Backend.allCases)
    func aWorkerCancelsARunPastTheLimitWhichFailsWithTheReason(_ backend: Backend) async throws {
        let (manager, queue, worker) = try await Self.launchOnAWorker(backend, "sample.tasks.long_running", taskName: "slow")
        #expect(try await eventually { try await manager.requireRecord("slow")["status"].text == "failed" })
        let (_, message, completed, failed) = try await Self.outcome(manager, "slow")
        #expect(message == "Task stopped: it ran longer than MAX_TASK_DURATION (0.3 seconds)")
        #expect(failed && !completed)
        #expect(try await eventually { try await manager.checkConflict(Self.books).isEmpty })
        #expect(try await eventually { await (try? queue.state(of: "slow")) == .finished })
        await worker.stop(gracePeriod: .seconds(5))
    }

    @Test(arguments: Backend.allCases)
    func aRunThatIgnoresTheCancelLosesItsLeaseAfterOneLeaseTTLAndIsRecoveredAsLost(_ backend: Backend) async throws {
        let (manager, _, worker) = try await Self.launchOnAWorker(backend, "sample.tasks.ignore_cancel", taskName: "stubborn")
        // Its own worker reclaims the lapsed lease: the task ends failed as a lost worker's, not
        // cancelled and not "stopped" (it never stopped), and what it held is released.
        #expect(try await eventually(timeout: .seconds(45)) { try await manager.requireRecord("stubborn")["status"].text == "failed" })
        let (_, message, completed, failed) = try await Self.outcome(manager, "stubborn")
        #expect(message?.contains("lost") == true, "\(message ?? "nil")")
        #expect(failed && !completed)
        #expect(try await eventually { try await manager.checkConflict(Self.books).isEmpty })
        #expect(try await eventually { try await manager.activeTasks().isEmpty })
        await worker.stop(gracePeriod: .milliseconds(100))
    }
}
