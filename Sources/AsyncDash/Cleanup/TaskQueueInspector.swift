import Foundation

/// Where a task stands in a queue, as ``TaskQueueInspector/state(of:)`` reports it.
public enum QueuedTaskState: Sendable, Hashable {
    /// Accepted but not running: waiting for a worker, or waiting out a retry's backoff.
    case queued
    /// A worker has been running it since the given time.
    case running(since: Date)
    /// The queue ran it to its end (a durable queue remembers finished jobs; an in-process one does not).
    case finished
}

/// Read-only access to a queue's view of one task, so clean-up can reconcile the active set with it
/// (``AsyncManager/cleanupCompletedTasks(queue:clock:)``).
///
/// `nil` from ``state(of:)`` means the queue does not know the task: it was never queued there, or
/// the process that held it is gone. ``InProcessTaskQueue`` and the durable `SQLiteTaskQueue` conform.
///
/// ```swift
/// let queue = InProcessTaskQueue(runner: manager)
/// switch try await queue.state(of: "import-42") {
/// case .running(let since)?: print("running since \(since)")
/// case .queued?: print("queued")
/// case .finished?, nil: print("not running")
/// }
/// ```
public protocol TaskQueueInspector: Sendable {
    /// The task's state in this queue, or `nil` when the queue does not know it.
    ///
    /// - Throws: when the queue cannot be read; clean-up then skips the task rather than
    ///   mistaking it for a missing one.
    func state(of taskName: String) async throws -> QueuedTaskState?
}
