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
    /// The workers holding leases on running jobs, from the queue table.
    public func workers() async throws -> [WorkerLeases] {
        try await store.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT lease_owner, task_name, heartbeat_at, lease_expires_at FROM \(SQLiteSchema.jobs) WHERE state = 'running' AND lease_owner IS NOT NULL")
            return Dictionary(grouping: rows) { $0["lease_owner"] as String }.map { owner, held in
                WorkerLeases(
                    workerID: owner, taskNames: held.map { $0["task_name"] as String }.sorted(),
                    lastHeartbeat: held.compactMap { ($0["heartbeat_at"] as Double?) }.max().map(Date.init(timeIntervalSince1970:)),
                    leaseExpiresAt: held.compactMap { ($0["lease_expires_at"] as Double?) }.max().map(Date.init(timeIntervalSince1970:)))
            }.sorted { $0.workerID < $1.workerID }
        }
    }
}
