import Synchronization

/// A switch a worker binds around a job run, so that cancelling the run means what the worker
/// meant: give the job back to its queue (the worker is stopping), or fail the task because it
/// ran past `MAX_TASK_DURATION` — instead of finishing the task as cancelled.
///
/// ``AsyncManager/runJob(_:)`` reads ``current``: when the function stopped because its Swift
/// task was cancelled and ``request()`` was called, the run returns
/// ``TaskJobOutcome/handedBack`` without releasing anything, and the worker puts the job back in
/// the queue; when ``exceedDuration(_:)`` was called, the task ends `failed` with the reason (its
/// locks are released then, when it has stopped — never while it still runs).
///
/// ```swift
/// let handBack = JobHandBack()
/// let run = Task { await JobHandBack.$current.withValue(handBack) { await manager.runJob(job) } }
/// handBack.request(); run.cancel()   // → .handedBack
/// ```
public final class JobHandBack: Sendable {
    /// The switch bound around the current job run, if any.
    @TaskLocal public static var current: JobHandBack?

    private let requested = Mutex(false)
    private let exceeded = Mutex<Duration?>(nil)

    public init() {}

    /// Marks the run as stopped for running longer than `limit` (`MAX_TASK_DURATION`): a
    /// cancellation from now on fails the task with that reason.
    public func exceedDuration(_ limit: Duration) { exceeded.withLock { $0 = limit } }

    /// The `MAX_TASK_DURATION` the run exceeded, when its worker stopped it for that.
    public var exceededDuration: Duration? { exceeded.withLock { $0 } }

    /// The message of a task stopped for running longer than `limit`.
    public static func exceededMessage(_ limit: Duration) -> String {
        "Task stopped: it ran longer than MAX_TASK_DURATION (\(limit))"
    }

    /// Turns the switch on: a cancellation from now on hands the job back.
    public func request() { requested.withLock { $0 = true } }

    /// Whether the switch is on.
    public var isRequested: Bool { requested.withLock { $0 } }
}
