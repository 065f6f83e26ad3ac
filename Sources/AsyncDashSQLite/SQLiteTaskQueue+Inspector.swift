import AsyncDash

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
