import AsyncDash
import Foundation
import GRDB

extension SQLiteTaskQueue: TaskQueueInspector {
    /// The job's state in the queue table: queued (or waiting out a retry's backoff), running since
    /// a worker claimed it, or finished (done or cancelled); `nil` when the table has no such job.
    ///
    /// ```swift
    /// let summary = try await manager.cleanupCompletedTasks(queue: sqliteQueue)
    /// ```
    public func state(of taskName: String) async throws -> QueuedTaskState? {
        guard let entry = try await entry(taskName) else { return nil }
        switch entry.state {
        case "queued": return .queued
        case "running": return .running(since: entry.startedAt ?? entry.job.enqueuedAt)
        default: return .finished
        }
    }
}

extension SQLiteTaskQueue {
    /// Upserts the worker's row in the workers table; rows of workers gone for a day are deleted.
    public func announce(_ presence: WorkerPresence, until: Date) async throws {
        try await store.write(savepoint: true) { [clock = store.clock] db in
            let now = clock.now().timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT INTO \(SQLiteSchema.workers) (worker_id, host, pid, started_at, concurrency, announced_at, present_until)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,
                        concurrency = excluded.concurrency, announced_at = excluded.announced_at, present_until = excluded.present_until
                    """,
                arguments: [presence.workerID, presence.host, presence.pid, presence.startedAt.timeIntervalSince1970, presence.concurrency,
                            now, until.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM \(SQLiteSchema.workers) WHERE present_until < ?", arguments: [now - 86_400])
        }
    }

    public func retire(workerID: String) async throws {
        try await store.write(savepoint: true) { db in
            try db.execute(sql: "DELETE FROM \(SQLiteSchema.workers) WHERE worker_id = ?", arguments: [workerID])
        }
    }

    /// The workers holding leases on running jobs (from the queue table) and the announced ones
    /// whose presence has not ended (from the workers table).
    public func workers() async throws -> [WorkerLeases] {
        try await store.read { [clock = store.clock] db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT lease_owner, task_name, heartbeat_at, lease_expires_at FROM \(SQLiteSchema.jobs) WHERE state = 'running' AND lease_owner IS NOT NULL")
            let leases = Dictionary(grouping: rows) { $0["lease_owner"] as String }.map { owner, held in
                WorkerLeases(
                    workerID: owner, taskNames: held.map { $0["task_name"] as String }.sorted(),
                    lastHeartbeat: held.compactMap { ($0["heartbeat_at"] as Double?) }.max().map(Date.init(timeIntervalSince1970:)),
                    leaseExpiresAt: held.compactMap { ($0["lease_expires_at"] as Double?) }.max().map(Date.init(timeIntervalSince1970:)))
            }
            let now = clock.now()
            let presences = try Row.fetchAll(
                db, sql: "SELECT * FROM \(SQLiteSchema.workers) WHERE present_until > ?", arguments: [now.timeIntervalSince1970]
            ).map { row in
                (presence: WorkerPresence(
                    workerID: row["worker_id"], host: row["host"], pid: row["pid"],
                    startedAt: Date(timeIntervalSince1970: row["started_at"]), concurrency: row["concurrency"]),
                 until: Date(timeIntervalSince1970: row["present_until"]),
                 announcedAt: Date(timeIntervalSince1970: row["announced_at"]))
            }
            return WorkerLeases.merge(leases: leases, presences: presences, now: now)
        }
    }
}
