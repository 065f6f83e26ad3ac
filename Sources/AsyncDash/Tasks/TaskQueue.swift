import Foundation

/// One queued run of a task function: which task, which function, its arguments, which attempt.
public struct TaskJob: Sendable, Hashable {
    /// The task's name (its dashboard key).
    public var taskName: String
    /// The dotted name of the registered ``TaskFunction``.
    public var functionName: String
    public var args: JSONValue
    /// This attempt's number, from 1.
    public var attempt: Int
    /// How many attempts the task may take in all (from the function's ``RetryPolicy``).
    public var maxAttempts: Int
    public var enqueuedAt: Date
    /// How many times a durable queue took the job back from a worker that was lost
    /// (``DurableTaskQueue/reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)``); 0 for a job that never was.
    public var recovered: Int

    public init(
        taskName: String, functionName: String, args: JSONValue, attempt: Int = 1, maxAttempts: Int = 1,
        enqueuedAt: Date = Date(), recovered: Int = 0
    ) {
        self.taskName = taskName
        self.functionName = functionName
        self.args = args
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.enqueuedAt = enqueuedAt
        self.recovered = recovered
    }

    /// The same job, one attempt later.
    public var nextAttempt: TaskJob {
        var job = self
        job.attempt += 1
        job.enqueuedAt = Date()
        return job
    }
}

/// Where launched tasks wait for a worker: the producer side used by
/// ``AsyncManager/launchAsyncTask(_:args:taskName:locking:user:affected:queue:)``.
///
/// A queue hands its jobs to a ``TaskJobRunner`` (a manager) and retries them as the runner says.
/// Implementations: ``InProcessTaskQueue``.
///
/// ```swift
/// let queue = InProcessTaskQueue(runner: manager, concurrency: 4)
/// try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 5], queue: queue)
/// ```
public protocol TaskQueue: Sendable {
    /// Accepts `job`; throws when it cannot (the launch is then rolled back).
    func enqueue(_ job: TaskJob) async throws

    /// Cancels the task's queued, waiting or running job. A job that had not started is
    /// finished as cancelled before this returns; a running one is asked to stop (Swift task
    /// cancellation) and finishes on its own. Returns whether the queue knew the task.
    @discardableResult
    func cancel(_ taskName: String) async -> Bool
}

/// The worker side: runs a job to its end and says whether to retry. ``AsyncManager`` is one.
public protocol TaskJobRunner: Sendable {
    /// Runs `job` with its registered function, records the outcome, and returns it.
    func runJob(_ job: TaskJob) async -> TaskJobOutcome
    /// Records `job`, which never ran (or is waiting to retry), as cancelled and releases what it holds.
    func finishCancelledJob(_ job: TaskJob) async
}

/// What became of a job run.
public enum TaskJobOutcome: Sendable, Hashable {
    case succeeded(JSONValue)
    /// The function threw; the task is finished as failed.
    case failed(String)
    case cancelled
    /// The function threw and may be tried again after the delay; nothing was released.
    case retry(after: Duration)
    /// The run was interrupted to give the job back to its queue (a worker stopping, see
    /// ``JobHandBack``): nothing was recorded as finished and nothing was released; the same
    /// attempt runs again later.
    case handedBack
}

/// A queue that refused a job.
public struct TaskQueueError: Error, CustomStringConvertible, Sendable, Hashable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable { case closed, duplicate }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The queue no longer accepts jobs.
        public static let closed = Code(.closed)
        /// A job of that task is already queued, waiting or running.
        public static let duplicate = Code(.duplicate)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var taskName: String
    public var message: String

    public init(_ code: Code, taskName: String, message: String) {
        self.code = code
        self.taskName = taskName
        self.message = message
    }

    public var description: String { message }
}
