import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Testing

/// A worker in another process may claim a job the moment it is queued — before the launching
/// process has returned from `enqueue`. The launch must by then have registered the task as
/// active and created its record, or the active entry is added after the task left the set (and
/// stays for ever), and observers see `create` after `complete`. Found by `bench e2e` with worker
/// processes on PostgreSQL, where one task of 200 stayed active.
@Suite("A job run by another process before its launch returns")
struct CrossProcessLaunchTests {
    @Test func theTaskEndsInactiveWithItsEventsInOrder() async throws {
        let path = durableTestPath()
        let launcher = try await DurableNode(path: path)
        let other = try await DurableNode(path: path)
        let worker = other.worker("other-process", concurrency: 1)
        // The enqueue returns only once the other process's worker has finished the job.
        let queue = RunsBeforeReturning(base: launcher.queue, finished: { name in try await other.queue.entry(name)?.state == "done" })
        await worker.start()
        try await launcher.manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "fast", queue: queue)
        await worker.stop()

        #expect(try await launcher.manager.activeTasks().isEmpty, "the finished task left the active set")
        let record = try await launcher.manager.requireRecord("fast")
        #expect(record["status"] == .text("success"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(await launcher.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(await other.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        let created = try #require(launcher.recorder.events.first { $0.taskName == "fast" && $0.kind == .create })
        let started = try #require(other.recorder.events.first { $0.taskName == "fast" })
        #expect(created.timestamp <= started.timestamp, "create was emitted before the other process's first event")
        #expect(launcher.recorder.kinds(of: "fast") == [.create])
        #expect(other.recorder.kinds(of: "fast") == [.progress, .complete, .cleanup])
    }
}

/// Enqueues on `base`, then waits until `finished` says the job is done before returning.
private struct RunsBeforeReturning: TaskQueue {
    let base: SQLiteTaskQueue
    let finished: @Sendable (String) async throws -> Bool

    func enqueue(_ job: TaskJob) async throws {
        try await base.enqueue(job)
        let done = try await eventually(timeout: .seconds(60)) { try await finished(job.taskName) }
        guard done else { throw CancellationError() }
    }

    func cancel(_ taskName: String) async -> Bool { await base.cancel(taskName) }
}
