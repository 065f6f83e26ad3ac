import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Synchronization
import Testing

/// A worker killed while it takes jobs back from a lost worker: between recording the recovery
/// and settling the job in the queue. The crash test of stop 14 caught the old order (queue
/// first, record after): the job ended in the queue while its record stayed pending for ever.
@Suite("A reclaimer that dies before settling")
struct ReclaimerCrashTests {
    @Test func theNextReclaimerFinishesTheJobAndTheRecordWasWrittenFirst() async throws {
        let path = durableTestPath()
        let clock = ManualClock()
        let nodeA = try await DurableNode(path: path, clock: clock)
        let nodeB = try await DurableNode(path: path, clock: clock)
        let nodeC = try await DurableNode(path: path, clock: clock)
        let doomed = "doomed-\(UUID().uuidString)"
        defer { DurableTestTasks.release(doomed) }
        try await nodeA.loseAWorkerRunning("test.durable.hang_once", taskName: doomed, locking: [ObjectRef(model: "book", id: "9")], clock: clock)

        // B takes the job over and records "worker lost", then dies before it settles the job.
        let dying = DiesAtSettle(base: nodeB.queue) { name in try await nodeB.manager.record(for: name)?["status"] }
        let workerB = QueueWorker(queue: dying, manager: nodeB.manager, workerID: "B",
                                  timing: QueueWorkerTiming(leaseTTL: .seconds(30), pollInterval: .milliseconds(10)), clock: clock)
        await workerB.start()
        clock.advance(by: .seconds(31))
        #expect(try await eventually(timeout: .seconds(60)) { dying.statusAtSettle.withLock { $0 != nil } })
        await workerB.abandon()
        #expect(dying.statusAtSettle.withLock { $0 } == .text("failed"), "the record is written before the queue is settled")
        let held = try #require(try await nodeB.queue.entry(doomed))
        #expect(held.state == "running")
        #expect(held.leaseOwner == "B")

        // C finds B's lease ended, takes the job over again and settles it.
        let workerC = nodeC.worker("C", clock: clock)
        await workerC.start()
        clock.advance(by: .seconds(31))
        #expect(try await eventually(timeout: .seconds(60)) { try await nodeC.queue.entry(doomed)?.state == "done" })
        await workerC.stop()
        let entry = try #require(try await nodeC.queue.entry(doomed))
        #expect(entry.outcome == "worker lost")
        #expect(entry.leaseOwner == "C")
        let record = try await nodeC.manager.requireRecord(doomed)
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("worker lost"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await nodeC.store.locks().isEmpty)
        #expect(try await nodeC.manager.activeTasks().isEmpty)
    }
}

/// Passes every call to `base`, except ``settleReclaimed(_:reclaimer:)``: it notes the task's
/// record status at that moment, then fails as a killed process would (nothing reaches the queue).
private final class DiesAtSettle: DurableTaskQueue {
    let base: SQLiteTaskQueue
    let status: @Sendable (String) async throws -> RecordValue?
    let statusAtSettle = Mutex<RecordValue?>(nil)

    init(base: SQLiteTaskQueue, status: @escaping @Sendable (String) async throws -> RecordValue?) {
        self.base = base
        self.status = status
    }

    struct Killed: Error {}

    func enqueue(_ job: TaskJob) async throws { try await base.enqueue(job) }
    func cancel(_ taskName: String) async -> Bool { await base.cancel(taskName) }
    func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob] {
        try await base.claim(workerID: workerID, limit: limit, leaseTTL: leaseTTL)
    }
    func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal {
        try await base.heartbeat(workerID: workerID, taskNames: taskNames, leaseTTL: leaseTTL, conflictTTL: conflictTTL)
    }
    func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool {
        try await base.finish(taskName: taskName, workerID: workerID, outcome: outcome)
    }
    func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool {
        try await base.requeue(taskName: taskName, workerID: workerID, notBefore: notBefore, attempt: attempt)
    }
    func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        try await base.reclaimExpiredLeases(now: now, sparing: sparing, reclaimer: reclaimer, leaseTTL: leaseTTL)
    }
    func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) async throws -> Bool {
        let seen = try await status(reclaimed.job.taskName)
        statusAtSettle.withLock { $0 = seen }
        throw Killed()
    }
    func announce(_ presence: WorkerPresence, until: Date) async throws { try await base.announce(presence, until: until) }
    func retire(workerID: String) async throws { try await base.retire(workerID: workerID) }
    func workers() async throws -> [WorkerLeases] { try await base.workers() }
}
