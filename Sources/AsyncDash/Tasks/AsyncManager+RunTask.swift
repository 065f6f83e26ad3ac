import Foundation
import Logging

extension AsyncManager {
    /// The result of ``runTask(_:args:taskName:locking:user:affected:)``.
    public struct TaskRun: Sendable {
        public var taskName: String
        /// The function's result, or `nil` when it failed.
        public var result: JSONValue?
        /// The error's description when it failed.
        public var failure: String?
        public var succeeded: Bool { failure == nil }
    }

    /// Runs a task function in this process with the full lifecycle of DESIGN §2, but no queue:
    /// name the task (explicit or a new UUID), reserve its locks all-or-nothing, create the progress
    /// entry, register it as active, emit `create`; run it; then release locks, delete the progress
    /// entry, leave the active set, and emit `complete` (with the result) or `fail` (with the error),
    /// then `cleanup`.
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
        try await reserveConflictLocks(for: name, objects: objects)
        do {
            try await stores.coordination.setProgress(.text("Task queued"), for: name, ttl: settings.progressTTL)
            try await registerActiveTask(name)
        } catch {
            _ = try? await releaseConflictLocks(for: name)
            _ = try? await stores.coordination.deleteProgress(for: name)
            throw error
        }
        let affectedValue = affected ?? (objects.isEmpty ? nil : .array(objects.map { .string($0.lockKey) }))
        await emit(LifecycleEvent(.create, task: name, status: .pending, message: "Task queued", user: user,
                                  affected: affectedValue, kwargs: args, extra: ["function": .string(function.name)]))

        let context = TaskContext(taskName: name) { [self] progress in try await self.updateProgress(name, progress) }
        var run = TaskRun(taskName: name)
        do {
            run.result = try await function.run(args, context)
        } catch {
            run.failure = "\(error)".isEmpty ? "Task failed" : "\(error)"
        }
        await finish(name)
        if let failure = run.failure {
            await emit(LifecycleEvent(.fail, task: name, status: .failed, message: failure, result: ["error": .string(failure)]))
        } else {
            await emit(LifecycleEvent(.complete, task: name, status: .success, message: "Task completed", result: run.result))
        }
        await emit(LifecycleEvent(.cleanup, task: name, message: ""))
        return run
    }

    /// Releases what a finished task held; a store error here is logged, never thrown, because the
    /// locks expire by TTL anyway and the outcome must still be recorded.
    private func finish(_ name: String) async {
        do {
            _ = try await unregisterActiveTask(name)
            _ = try await releaseConflictLocks(for: name)
            _ = try await stores.coordination.deleteProgress(for: name)
        } catch {
            logger.error("could not release a finished task's locks or progress; they expire by TTL", metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }
}
