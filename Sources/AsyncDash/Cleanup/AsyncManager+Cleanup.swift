import Foundation
import Logging

extension AsyncManager {
    /// Reconciles the active set with `queue` and cleans up what no worker will finish — the seed's
    /// `cleanup_completed_tasks()` (`asyncdash cleanup`, and every `CLEANUP_SCHEDULE_INTERVAL` in
    /// `serve` and `worker`).
    ///
    /// With `ASYNC_ENABLED: false` it does nothing and says so (``CleanupSummary/asyncDisabled``).
    ///
    /// Each active task is looked up in `queue` (``TaskQueueInspector/state(of:)``):
    /// - unknown to the queue (or `queue` is `nil`: no live queue in this process) → cleaned,
    ///   reason ``CleanupSummary/Reason/missing``;
    /// - finished → cleaned, ``CleanupSummary/Reason/finished``;
    /// - running, within `MAX_TASK_DURATION` or past it → skipped: "still running", or
    ///   ``CleanupSummary/Reason/exceededMaxDuration`` (measured with `clock`). A running task's
    ///   locks are never released while it runs (DESIGN §10): its worker cancels it once it passes
    ///   `MAX_TASK_DURATION` (``QueueWorker``, ``InProcessTaskQueue``) and it ends `failed` with the
    ///   reason; a run that ignores the cancel loses its lease after one `LEASE_TTL` and is
    ///   recovered as a lost worker's;
    /// - queued or waiting to retry → skipped, "queued".
    ///
    /// Cleaning a task releases its conflict locks, deletes its progress entry, removes it from the
    /// active set and calls ``cleanupDashboardData(_:)``. Then, unless the task is known to have
    /// ended (a ``ModelTrackingAsyncManager`` reads its record's status; the base manager trusts
    /// the queue's `finished`), `fail` is emitted with status `failed` and the message
    /// "Cleaned up (REASON); the task's outcome was never recorded" — so a lost task does not stay
    /// "pending" forever, and a terminal status is never overwritten. Last, `cleanup` is emitted
    /// (no status, no message; `extra["cleanup_reason"]` carries the reason), which marks a
    /// record `cleaned_up`. A task whose clean-up hits a store error is skipped with the error as
    /// its reason and stays active for the next run.
    ///
    /// ```swift
    /// let queue = InProcessTaskQueue(runner: manager)
    /// let summary = try await manager.cleanupCompletedTasks(queue: queue)
    /// print(summary.humanReadable)   // Examined 3 active tasks; cleaned 1 (…); skipped 2
    /// ```
    ///
    /// - Parameters:
    ///   - queue: The queue whose workers run this manager's tasks, or `nil` when none lives in
    ///     this process (every active task then counts as missing).
    ///   - clock: The current time, compared with when a worker started a task.
    /// - Throws: A store error reading the active set (nothing was cleaned then).
    public func cleanupCompletedTasks(
        queue: (any TaskQueueInspector)?,
        clock: any AsyncDashClock = SystemClock()
    ) async throws -> CleanupSummary {
        // As powercrud: with async off there is no queue to reconcile with; nothing is touched.
        guard settings.asyncEnabled else {
            var summary = CleanupSummary()
            summary.asyncDisabled = true
            return summary
        }
        let active = try await activeTasks()
        var summary = CleanupSummary(activeTasks: active.count)
        let now = clock.now()
        for name in active {
            await examine(name, queue: queue, now: now, into: &summary)
        }
        return summary
    }

    /// Cleans up one task by the rules of ``cleanupCompletedTasks(queue:clock:)`` (the dashboard's
    /// "clean up" action): a queued task, or one running within `MAX_TASK_DURATION`, is skipped —
    /// cancel it first; a task that is not active is skipped with the reason "not active".
    ///
    /// - Throws: A store error reading the active set.
    public func cleanupTask(
        _ name: String,
        queue: (any TaskQueueInspector)?,
        clock: any AsyncDashClock = SystemClock()
    ) async throws -> CleanupSummary {
        guard try await stores.coordination.isActiveTask(name) else {
            var summary = CleanupSummary(activeTasks: 0)
            summary.skipped[name] = "not active"
            return summary
        }
        var summary = CleanupSummary(activeTasks: 1)
        await examine(name, queue: queue, now: clock.now(), into: &summary)
        return summary
    }

    /// Decides whether the active task `name` is cleaned or skipped, and cleans it.
    private func examine(_ name: String, queue: (any TaskQueueInspector)?, now: Date, into summary: inout CleanupSummary) async {
        let state: QueuedTaskState?
        do {
            state = try await queue?.state(of: name)
        } catch {
            summary.skipped[name] = "queue could not be read: \(error)"
            return
        }
        let reason: String
        switch state {
        case nil:
            reason = CleanupSummary.Reason.missing
        case .finished?:
            reason = CleanupSummary.Reason.finished
        case .queued?:
            summary.skipped[name] = CleanupSummary.Reason.queued
            return
        case .running(let since)?:
            let overdue = now.timeIntervalSince(since) > settings.maxTaskDuration.timeInterval
            summary.skipped[name] = overdue ? CleanupSummary.Reason.exceededMaxDuration : CleanupSummary.Reason.stillRunning
            return
        }
        do {
            summary.cleaned[name] = try await cleanUpTask(name, reason: reason, queueFinished: state == .finished)
        } catch {
            logger.error("could not clean up a task; it stays active", metadata: ["task": "\(name)", "error": "\(error)"])
            summary.skipped[name] = "clean-up failed: \(error)"
        }
    }

    /// Releases what `name` holds and records its clean-up (see ``cleanupCompletedTasks(queue:clock:)``).
    private func cleanUpTask(_ name: String, reason: String, queueFinished: Bool) async throws -> CleanupSummary.Cleaned {
        let tracking = self as? ModelTrackingAsyncManager
        let ended = try await tracking?.recordHasEnded(name) ?? queueFinished
        let locks = try await releaseConflictLocks(for: name).count
        let progress = try await stores.coordination.deleteProgress(for: name) ? 1 : 0
        try await unregisterActiveTask(name)
        var records = try await cleanupDashboardData(name)
        let extra: [String: JSONValue] = ["cleanup_reason": .string(reason)]
        if !ended {
            let message = "Cleaned up (\(reason)); the task's outcome was never recorded"
            await emit(LifecycleEvent(.fail, task: name, status: .failed, message: message, result: ["error": .string(message)], timestamp: context.clock.now(), extra: extra))
        }
        let outcome = await emit(LifecycleEvent(.cleanup, task: name, timestamp: context.clock.now(), extra: extra))
        if tracking != nil, outcome.hookError == nil { records += 1 }
        return CleanupSummary.Cleaned(reason: reason, conflictLockKeys: locks, progressEntries: progress, dashboardRecords: records)
    }
}

extension ModelTrackingAsyncManager {
    /// Whether the task's record has a terminal status; `nil` when the model maps no status column.
    func recordHasEnded(_ taskName: String) async throws -> Bool? {
        guard let column = resolvedFieldMap["status"] else { return nil }
        guard let record = try await record(for: taskName) else { return false }
        return record[column.name].text.flatMap(TaskStatus.init(parsing:))?.isTerminal ?? false
    }
}
