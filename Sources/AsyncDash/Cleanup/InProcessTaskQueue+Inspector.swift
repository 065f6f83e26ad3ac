extension InProcessTaskQueue: TaskQueueInspector {
    /// `running(since:)` for a job a worker is running (since when it was handed to the worker),
    /// `queued` for one waiting for a worker or for its retry backoff, `nil` otherwise: an
    /// in-process queue forgets a job once it has ended, so it never reports `finished`.
    ///
    /// ```swift
    /// let state = await queue.state(of: launch.taskName)
    /// ```
    public func state(of taskName: String) -> QueuedTaskState? {
        if let since = runningSince[taskName] { return .running(since: since) }
        return knows(taskName) ? .queued : nil
    }
}
