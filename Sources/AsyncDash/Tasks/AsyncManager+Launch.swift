import Foundation

extension AsyncManager {
    /// What ``launchAsyncTask(_:args:taskName:locking:user:affected:queue:)`` did.
    public struct TaskLaunch: Sendable, Hashable {
        /// The task's name: the new task's, or the enclosing task's when the function ran inline.
        public var taskName: String
        /// Whether the function ran inline (nested in a running task, or `ASYNC_ENABLED` false)
        /// instead of being queued.
        public var ranInline: Bool
        /// The function's result when it ran inline.
        public var inlineResult: JSONValue?

        public init(taskName: String, ranInline: Bool, inlineResult: JSONValue?) {
            self.taskName = taskName
            self.ranInline = ranInline
            self.inlineResult = inlineResult
        }
    }

    /// Launches the registered task function `functionName` through `queue`, with the six-step
    /// launch sequence of DESIGN §2:
    /// 1. the task is named `taskName`, else a new UUID;
    /// 2. `locking` is locked all-or-nothing (TTL `CONFLICT_TTL`);
    /// 3. its progress entry is created (`Task queued`, TTL `PROGRESS_TTL`);
    /// 4. the job is enqueued — if that throws, the locks and the progress entry are released and
    ///    the error rethrown (nothing is recorded);
    /// 5. the task joins the active set;
    /// 6. `create` is emitted (status pending, "Task queued", user, affected objects, args as
    ///    `kwargs` — or `args` when they are a JSON array).
    ///
    /// When the job runs (``runJob(_:)``) it ends with `complete` or `fail`, then `cleanup`.
    ///
    /// **Nested launches.** Called from inside a running task function (``TaskContext/skipNestedAsync``),
    /// nothing is queued: `locking` is added to the enclosing task's locks
    /// (``TaskContext/registerDescendantConflicts(_:)``) and the function runs inline with the
    /// enclosing context (its progress is the enclosing task's); its error is thrown to the caller.
    /// With `ASYNC_ENABLED` false the task runs inline with its full lifecycle (``runTask(_:args:taskName:locking:user:affected:)``).
    ///
    /// ```swift
    /// let queue = InProcessTaskQueue(runner: manager, concurrency: 4)
    /// let launch = try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 100],
    ///                                                locking: ObjectRef.many(model: "book", ids: [1, 2]),
    ///                                                user: "alice", queue: queue)
    /// print(launch.taskName)
    /// ```
    ///
    /// - Throws: ``RegistryError`` for an unknown function; ``AsyncDashError`` with code
    ///   ``AsyncDashError/Code/conflict`` listing the locked objects, ``AsyncDashError/Code/duplicateTask``
    ///   when a task of that name is active, ``AsyncDashError/Code/invalidTaskName``; the queue's error
    ///   (after rollback); store errors.
    @discardableResult
    public func launchAsyncTask(
        _ functionName: String,
        args: JSONValue = .object([:]),
        taskName: String? = nil,
        locking objects: [ObjectRef] = [],
        user: JSONValue? = nil,
        affected: JSONValue? = nil,
        queue: any TaskQueue
    ) async throws -> TaskLaunch {
        let function = try context.registry.taskFunction(named: functionName)
        if let parent = TaskContext.current {
            try await parent.registerDescendantConflicts(objects)
            let result = try await function.run(args, parent)
            return TaskLaunch(taskName: parent.taskName, ranInline: true, inlineResult: result)
        }
        if !settings.asyncEnabled {
            let run = try await runTask(function, args: args, taskName: taskName, locking: objects, user: user, affected: affected)
            return TaskLaunch(taskName: run.taskName, ranInline: true, inlineResult: run.result)
        }
        let name = taskName ?? UUID().uuidString.lowercased()
        try Self.validate(taskName: name)
        if try await stores.coordination.isActiveTask(name) {
            throw AsyncDashError(.duplicateTask, value: name, message: "task '\(name)' is already active; wait for it to finish or choose another name")
        }
        let job = TaskJob(taskName: name, functionName: function.name, args: args, maxAttempts: function.retry.maxAttempts)
        try await beginTask(name, function: function, args: args, locking: objects, user: user, affected: affected) {
            try await queue.enqueue(job)
        }
        return TaskLaunch(taskName: name, ranInline: false, inlineResult: nil)
    }

    /// Cancels the task's job in `queue` (Swift task cancellation for a running one). The record
    /// ends with status `cancelled`, then `cleanup`; its locks are released. Returns whether the
    /// queue knew the task.
    ///
    /// ```swift
    /// await manager.cancel(launch.taskName, queue: queue)
    /// ```
    @discardableResult
    public func cancel(_ taskName: String, queue: any TaskQueue) async -> Bool {
        await queue.cancel(taskName)
    }
}
