import Foundation
import Logging

extension AsyncManager {
    /// Records what a durable queue does with a job whose worker was lost
    /// (``DurableTaskQueue/reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)``), so no manual
    /// step is needed. It returns once the record is written; only then is the job settled
    /// (``DurableTaskQueue/settleReclaimed(_:reclaimer:)``), so a reclaimer that stops in between
    /// leaves the job to the next one instead of a task that never ends:
    /// - requeued: a `progress` event "Recovered after worker lost (attempt n of m)" (status
    ///   pending; `extra` carries `recovered`, `lost_worker`, `attempt`, `max_attempts`); the locks
    ///   stay with the task, which runs again;
    /// - failed: the task is finished as failed with the message "worker lost" (`fail`, then
    ///   `cleanup`; locks, progress entry and active registration released);
    /// - cancelled: the task is finished as cancelled.
    ///
    /// ```swift
    /// for reclaimed in try await queue.reclaimExpiredLeases(now: Date(), reclaimer: "w1", leaseTTL: .seconds(30)) {
    ///     await manager.recordRecovery(reclaimed)
    ///     try await queue.settleReclaimed(reclaimed, reclaimer: "w1")
    /// }
    /// ```
    public func recordRecovery(_ reclaimed: ReclaimedJob) async {
        let job = reclaimed.job
        switch reclaimed.action {
        case .requeued:
            let message = "Recovered after worker lost (attempt \(job.attempt) of \(job.maxAttempts))"
            do {
                try await stores.coordination.setProgress(.text(message), for: job.taskName, ttl: settings.progressTTL)
            } catch {
                logger.error("could not store a recovered task's progress entry", metadata: ["task": "\(job.taskName)", "error": "\(error)"])
            }
            await emit(LifecycleEvent(
                .progress, task: job.taskName, status: .pending, message: message, progress: .text(message), timestamp: context.clock.now(),
                extra: [
                    "recovered": .int(job.recovered), "lost_worker": .string(reclaimed.lostWorker),
                    "attempt": .int(job.attempt), "max_attempts": .int(job.maxAttempts),
                ]
            ))
        case .failed:
            await finishTask(job.taskName, .failed(Self.workerLostMessage), attempt: job.attempt, maxAttempts: job.maxAttempts,
                             recovered: job.recovered)
        case .cancelled:
            await finishTask(job.taskName, .cancelled, attempt: job.attempt, maxAttempts: job.maxAttempts, recovered: job.recovered)
        }
    }

    /// The failure message of a task whose worker was lost with no attempt left.
    public static let workerLostMessage = "worker lost"
}
