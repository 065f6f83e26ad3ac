import Foundation

extension AsyncManager {
    /// The result of ``runTask(_:args:taskName:locking:user:affected:)``.
    public struct TaskRun: Sendable {
        public var taskName: String
        /// The function's result, or `nil` when it failed or was cancelled.
        public var result: JSONValue?
        /// The error's description when it failed ("Task cancelled" when it was cancelled).
        public var failure: String?
        /// Whether the Swift task running it was cancelled before the function finished.
        public var cancelled: Bool = false
        public var succeeded: Bool { failure == nil }
    }

    /// Runs a task function in this process with the full lifecycle of DESIGN §2, but no queue:
    /// name the task (explicit or a new UUID), reserve its locks all-or-nothing, create the progress
    /// entry, register it as active, emit `create`; run it (with ``TaskContext/current`` bound); then
    /// release locks, delete the progress entry, leave the active set, and emit `complete` (with the
    /// result) or `fail` (with the error), then `cleanup`.
    ///
    /// ```swift
    /// let run = try await manager.runTask(SampleTasks.updateItems, args: ["count": 5],
    ///                                     locking: ObjectRef.many(model: "book", ids: [1, 2]), user: "alice")
    /// ```
    ///
    /// - Throws: ``AsyncDashError`` with code ``AsyncDashError/Code/conflict`` (nothing was started)
    ///   when another task holds any of `locking`; store errors before the task started. A failure of
    ///   the task itself is not thrown: it is recorded and returned in ``TaskRun/failure``.
    @discardableResult
    public func runTask(
        _ function: TaskFunction,
        args: JSONValue = .object([:]),
        taskName: String? = nil,
        locking objects: [ObjectRef] = [],
        user: JSONValue? = nil,
        affected: JSONValue? = nil
    ) async throws -> TaskRun {
        let name = taskName ?? UUID().uuidString.lowercased()
        try Self.validate(taskName: name)
        try await beginTask(name, function: function, args: args, locking: objects, user: user, affected: affected) {}
        let started = ContinuousClock.now
        let execution = await execute(function, args: args, context: makeTaskContext(name, attempt: 1, maxAttempts: 1))
        await finishTask(name, execution, function: function.name, ranFor: ContinuousClock.now - started)
        var run = TaskRun(taskName: name)
        switch execution {
        case .succeeded(let result): run.result = result
        case .failed(let message): run.failure = message
        case .cancelled:
            run.failure = "Task cancelled"
            run.cancelled = true
        }
        return run
    }
}
