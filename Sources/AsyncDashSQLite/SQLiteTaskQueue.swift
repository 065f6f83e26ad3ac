import AsyncDash
import Foundation
import GRDB

/// The durable task queue in a ``SQLiteStore``'s file: jobs survive a restart of the server or of
/// every worker, and worker processes on one machine claim them with a lease and a heartbeat.
///
/// Every change runs in the store's group commit (`BEGIN IMMEDIATE`), so it is atomic across
/// processes and durable when the call returns. A `QueueWorker` runs the jobs.
///
/// ```swift
/// let store = try SQLiteStore(path: "var/asyncdash.sqlite")
/// let manager = try SampleAsyncManager(context: ManagerContext(name: "sample", stores: .sqlite(store)))
/// let queue = SQLiteTaskQueue(store: store, runner: manager)
/// try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 5], queue: queue)
/// let worker = QueueWorker(queue: queue, manager: manager, concurrency: 4)
/// await worker.start()
/// ```
///
/// ``cancel(_:)`` finishes a queued job at once (through `runner`); a running one gets a cancel
/// request that its worker sees on its next heartbeat.
public final class SQLiteTaskQueue: DurableTaskQueue {
    typealias T = SQLiteSchema

    /// The store whose file holds the queue.
    public let store: SQLiteStore
    let runner: any TaskJobRunner

    /// - Parameters:
    ///   - store: The store whose file holds the queue (its clock times leases and backoffs).
    ///   - runner: Finishes a job cancelled before it ran (the manager).
    public init(store: SQLiteStore, runner: any TaskJobRunner) {
        self.store = store
        self.runner = runner
    }

    /// Stores `job` as queued, claimable at once; durable when this returns.
    ///
    /// - Throws: ``TaskQueueError`` (``TaskQueueError/Code/duplicate``) when a job of that task is
    ///   queued or running; a database error. A finished job of the same name is replaced.
    public func enqueue(_ job: TaskJob) async throws {
        let args = job.args.jsonText
        try await store.write(savepoint: true) { [clock = store.clock] db in
            let state = try String.fetchOne(db, sql: "SELECT state FROM \(T.jobs) WHERE task_name = ?", arguments: [job.taskName])
            if state == "queued" || state == "running" {
                throw TaskQueueError(.duplicate, taskName: job.taskName, message: "task '\(job.taskName)' is already queued or running")
            }
            let now = clock.now().timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO \(T.jobs)
                        (task_name, function_name, args, attempt, max_attempts, state, not_before, enqueued_at, recovered)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                    """,
                arguments: [job.taskName, job.functionName, args, job.attempt, job.maxAttempts, now,
                            job.enqueuedAt.timeIntervalSince1970, job.recovered])
        }
    }

    /// Cancels the task's job: a queued one is marked cancelled and finished through the runner
    /// before this returns; a running one gets a cancel request. Returns whether a queued or
    /// running job of the task was found (a database error counts as not found).
    @discardableResult
    public func cancel(_ taskName: String) async -> Bool {
        let found = try? await store.write(savepoint: true) { [clock = store.clock] db -> (job: TaskJob, running: Bool)? in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT \(Self.jobColumns), state FROM \(T.jobs) WHERE task_name = ? AND state IN ('queued', 'running')",
                arguments: [taskName])
            else { return nil }
            let running = row["state"] as String == "running"
            if running {
                try db.execute(sql: "UPDATE \(T.jobs) SET cancel_requested = 1 WHERE task_name = ?", arguments: [taskName])
            } else {
                try db.execute(
                    sql: "UPDATE \(T.jobs) SET state = 'cancelled', outcome = 'cancelled', finished_at = ? WHERE task_name = ?",
                    arguments: [clock.now().timeIntervalSince1970, taskName])
            }
            return (Self.job(from: row), running)
        }
        guard let found = found ?? nil else { return false }
        if !found.running { await runner.finishCancelledJob(found.job) }
        return true
    }

    /// The queue's row of `taskName`, if it has one.
    public func entry(_ taskName: String) async throws -> SQLiteTaskQueueEntry? {
        try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM \(T.jobs) WHERE task_name = ?", arguments: [taskName]).map(SQLiteTaskQueueEntry.init(row:))
        }
    }

    /// Every row of the queue, in enqueue order.
    public func entries() async throws -> [SQLiteTaskQueueEntry] {
        try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(T.jobs) ORDER BY rowid").map(SQLiteTaskQueueEntry.init(row:))
        }
    }

    /// The columns ``job(from:)`` reads.
    static let jobColumns = "task_name, function_name, args, attempt, max_attempts, enqueued_at, recovered"

    static func job(from row: Row) -> TaskJob {
        let args: String = row["args"]
        return TaskJob(
            taskName: row["task_name"], functionName: row["function_name"], args: SQLiteRecordCodec.parseJSON(args),
            attempt: row["attempt"], maxAttempts: row["max_attempts"],
            enqueuedAt: Date(timeIntervalSince1970: row["enqueued_at"]), recovered: row["recovered"])
    }
}

/// One row of a ``SQLiteTaskQueue``, for inspection (dashboards, tests, the command line).
public struct SQLiteTaskQueueEntry: Sendable, Hashable {
    public var job: TaskJob
    /// `queued`, `running`, `done` or `cancelled`.
    public var state: String
    /// How a finished job ended: `succeeded`, `failed`, `cancelled`, `worker lost`.
    public var outcome: String?
    public var notBefore: Date
    /// The worker running (or that last ran) the job.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var heartbeatAt: Date?
    public var cancelRequested: Bool
    public var startedAt: Date?
    public var finishedAt: Date?

    init(row: Row) {
        job = SQLiteTaskQueue.job(from: row)
        state = row["state"]
        outcome = row["outcome"]
        notBefore = Date(timeIntervalSince1970: row["not_before"])
        leaseOwner = row["lease_owner"]
        leaseExpiresAt = (row["lease_expires_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        heartbeatAt = (row["heartbeat_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        cancelRequested = row["cancel_requested"]
        startedAt = (row["started_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        finishedAt = (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:))
    }
}
