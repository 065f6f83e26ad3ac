import AsyncDash
import Logging

/// Clean-up on a schedule, as `worker` and `serve` run it.
enum ScheduledCleanup {
    /// Runs ``AsyncManager/cleanupCompletedTasks(queue:clock:)`` against `queue` every
    /// `CLEANUP_SCHEDULE_INTERVAL` until the returned task is cancelled: active tasks the queue has
    /// finished or never knew are released and marked cleaned up; queued and running ones are left
    /// alone. Then it applies `RETENTION` (``AsyncManager/applyRetention(clock:)``).
    static func start(manager: AsyncManager, queue: any TaskQueueInspector, logger: Logger) -> Task<Void, Never> {
        let interval = manager.settings.cleanupScheduleInterval
        guard manager.settings.asyncEnabled else {
            logger.info("scheduled clean-up is off: async is disabled (ASYNC_ENABLED: false)")
            return Task {}
        }
        guard interval > .zero else {
            // CLEANUP_SCHEDULE_INTERVAL: 0 turns the schedule off.
            logger.info("scheduled clean-up is off (CLEANUP_SCHEDULE_INTERVAL: 0)")
            return Task {}
        }
        return Task {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    let summary = try await manager.cleanupCompletedTasks(queue: queue)
                    if !summary.cleaned.isEmpty {
                        logger.notice("scheduled clean-up", metadata: ["summary": "\(summary.humanReadable)"])
                    }
                    let retention = await manager.applyRetention()
                    if retention.deleted.values.contains(where: { $0 > 0 }) || !retention.failed.isEmpty {
                        logger.notice("retention", metadata: ["summary": "\(retention.humanReadable)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("scheduled clean-up failed; it runs again next interval", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
