import Foundation
import Logging

/// The launch and finish steps shared by ``AsyncManager/runTask(_:args:taskName:locking:user:affected:)``
/// (no queue) and the queue path (``AsyncManager/launchAsyncTask(_:args:taskName:locking:user:affected:queue:)``
/// then ``AsyncManager/runJob(_:)``).
extension AsyncManager {
    /// How one execution of a task function ended.
    enum TaskExecution: Sendable {
        case succeeded(JSONValue)
        case failed(String)
        case cancelled
    }

    /// The launch of `name` (already validated), DESIGN §2 as amended for workers in other
    /// processes: locks all-or-nothing, the progress entry, the active set, `create`, and only
    /// then `enqueue` — a worker in another process may claim the job at once, and must find the
    /// task active and its record created (so the active entry is never added after the task has
    /// left it, and observers see `create` first). When `enqueue` throws, the launch is rolled
    /// back: the task ends `failed` ("could not queue the task: …", then `cleanup`), leaving the
    /// active set, its locks and progress entry released — except for a duplicate job (the task
    /// already queued under that name keeps what it holds). In this process the job is also held
    /// back (``LaunchGate``) until the launch returns.
    func beginTask(
        _ name: String,
        function: TaskFunction,
        args: JSONValue,
        locking objects: [ObjectRef],
        user: JSONValue?,
        affected: JSONValue?,
        enqueue: () async throws -> Void
    ) async throws {
        try await reserveConflictLocks(for: name, objects: objects)
        await launchGate.close(name)
        do {
            try await createAndEnqueue(name, function: function, args: args, locking: objects, user: user, affected: affected, enqueue: enqueue)
        } catch {
            await launchGate.open(name)
            throw error
        }
        await launchGate.open(name)
    }

    /// ``beginTask(_:function:args:locking:user:affected:enqueue:)`` once the locks are held.
    private func createAndEnqueue(
        _ name: String, function: TaskFunction, args: JSONValue, locking objects: [ObjectRef], user: JSONValue?, affected: JSONValue?,
        enqueue: () async throws -> Void
    ) async throws {
        do {
            try await stores.coordination.setProgress(.text("Task queued"), for: name, ttl: settings.progressTTL)
            try await registerActiveTask(name)
        } catch {
            await rollBackLaunch(name)
            throw error
        }
        let affectedValue = affected ?? (objects.isEmpty ? nil : .array(objects.map { .string($0.lockKey) }))
        var positional: JSONValue?
        var keyword: JSONValue?
        if case .array = args { positional = args } else { keyword = args }
        await emit(LifecycleEvent(
            .create, task: name, status: .pending, message: "Task queued", user: user, affected: affectedValue,
            args: positional, kwargs: keyword, timestamp: context.clock.now(),
            extra: ["function": .string(function.name), "max_attempts": .int(function.retry.maxAttempts),
                    "locks": .array(objects.map { .string($0.lockKey) })]
        ))
        do {
            try await enqueue()
        } catch {
            // A duplicate's locks, progress entry and active entry are those of the task already queued: keep them.
            if let queueError = error as? TaskQueueError, queueError.code == .duplicate { throw error }
            await rollBackLaunch(name)
            await emit(LifecycleEvent(.fail, task: name, status: .failed, message: "could not queue the task: \(error)",
                                      result: ["error": .string("\(error)")], timestamp: context.clock.now()))
            await emit(LifecycleEvent(.cleanup, task: name, message: "", timestamp: context.clock.now()))
            throw error
        }
    }

    /// Releases what a launch took before it failed: its locks, progress entry and active entry.
    private func rollBackLaunch(_ name: String) async {
        do {
            _ = try await releaseConflictLocks(for: name)
            _ = try await stores.coordination.deleteProgress(for: name)
            _ = try await unregisterActiveTask(name)
        } catch {
            logger.error("could not roll back a failed launch; its locks and progress expire by TTL, clean-up removes its active entry",
                         metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }

    /// The context a task function of `name` runs with: progress through ``updateProgress(_:_:)``,
    /// descendant locks through ``reserveConflictLocks(for:objects:)``.
    func makeTaskContext(_ name: String, attempt: Int, maxAttempts: Int) -> TaskContext {
        TaskContext(
            taskName: name, attempt: attempt, maxAttempts: maxAttempts,
            report: { [self] progress in try await self.updateProgress(name, progress) },
            registerLocks: { [self] objects in try await self.reserveConflictLocks(for: name, objects: objects) }
        )
    }

    /// Runs `function` with `context` bound as ``TaskContext/current``. A throw while the Swift task
    /// is cancelled (or a `CancellationError`) counts as cancelled; a return counts as success even
    /// when cancellation came too late to stop the work.
    func execute(_ function: TaskFunction, args: JSONValue, context: TaskContext) async -> TaskExecution {
        do {
            let result = try await context.bind { try await function.run(args, context) }
            return .succeeded(result)
        } catch {
            if Task.isCancelled || error is CancellationError { return .cancelled }
            let description = "\(error)"
            return .failed(description.isEmpty ? "Task failed" : description)
        }
    }

    /// The end of a task: leave the active set, release its locks, delete its progress entry, then
    /// emit `complete` (result), `fail` (status failed, the error) or `fail` with status `cancelled`,
    /// then `cleanup`. A task a durable queue recovered from a lost worker (`recovered` > 0) says so:
    /// `extra` carries `recovered`, and the success message reads "Task completed (recovered after worker lost)".
    ///
    /// The terminal event's `extra` carries `attempt` and `max_attempts`, and, when known, the
    /// task `function` and how long its last attempt ran (`duration_ms`), for metrics.
    func finishTask(
        _ name: String, _ execution: TaskExecution, attempt: Int = 1, maxAttempts: Int = 1, recovered: Int = 0, function: String? = nil,
        ranFor: Duration? = nil
    ) async {
        await releaseTaskState(name)
        var attempts: [String: JSONValue] = ["attempt": .int(attempt), "max_attempts": .int(maxAttempts)]
        if recovered > 0 { attempts["recovered"] = .int(recovered) }
        if let function { attempts["function"] = .string(function) }
        if let ranFor { attempts["duration_ms"] = .int(Int(saturating: ranFor.timeInterval * 1_000)) }
        switch execution {
        case .succeeded(let result):
            let message = recovered > 0 ? "Task completed (recovered after worker lost)" : "Task completed"
            await emit(LifecycleEvent(.complete, task: name, status: .success, message: message, result: result, timestamp: context.clock.now(), extra: attempts))
        case .failed(let message):
            await emit(LifecycleEvent(.fail, task: name, status: .failed, message: message, result: ["error": .string(message)], timestamp: context.clock.now(), extra: attempts))
        case .cancelled:
            await emit(LifecycleEvent(.fail, task: name, status: .cancelled, message: "Task cancelled", timestamp: context.clock.now(),
                                      extra: attempts.merging(["cancelled": true]) { a, _ in a }))
        }
        await emit(LifecycleEvent(.cleanup, task: name, message: "", timestamp: context.clock.now()))
    }

    /// Releases what a finished task held; a store error here is logged, never thrown, because the
    /// locks expire by TTL anyway and the outcome must still be recorded.
    private func releaseTaskState(_ name: String) async {
        do {
            _ = try await unregisterActiveTask(name)
            _ = try await releaseConflictLocks(for: name)
            _ = try await stores.coordination.deleteProgress(for: name)
        } catch {
            logger.error("could not release a finished task's locks or progress; they expire by TTL", metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }
}
