import Foundation
import Logging

extension AsyncManager {
    /// Records what a durable queue did with a job whose worker was lost
    /// (``DurableTaskQueue/reclaimExpiredLeases(now:sparing:)``), so no manual step is needed:
    /// - requeued: a `progress` event "Recovered after worker lost (attempt n of m)" (status
    ///   pending; `extra` carries `recovered`, `lost_worker`, `attempt`, `max_attempts`); the locks
    ///   stay with the task, which runs again;
    /// - failed: the task is finished as failed with the message "worker lost" (`fail`, then
    ///   `cleanup`; locks, progress entry and active registration released);
    /// - cancelled: the task is finished as cancelled.
    ///
    /// ```swift
    /// for reclaimed in try await queue.reclaimExpiredLeases(now: Date()) { await manager.recordRecovery(reclaimed) }
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
