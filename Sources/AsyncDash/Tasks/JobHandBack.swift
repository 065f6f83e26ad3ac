import Synchronization

/// A switch a worker binds around a job run, so that cancelling the run gives the job back to
/// its queue instead of finishing the task as cancelled.
///
/// ``AsyncManager/runJob(_:)`` reads ``current``: when the function stopped because its Swift
/// task was cancelled and the switch is on, the run returns ``TaskJobOutcome/handedBack``
/// without releasing anything, and the worker puts the job back in the queue.
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

    public init() {}

    /// Turns the switch on: a cancellation from now on hands the job back.
    public func request() { requested.withLock { $0 = true } }

    /// Whether the switch is on.
    public var isRequested: Bool { requested.withLock { $0 } }
}
