/// The queue role of a store driver: the durable task queue kept in the store, which workers
/// claim from with a lease and a heartbeat (``DurableTaskQueue``).
///
/// A driver hands out one queue per runner: the runner (a manager) finishes a job that is
/// cancelled before it ran. Every queue of one store sees the same jobs.
///
/// Implementations: ``MemoryQueueStore`` (the reference: in memory, so nothing outlives the
/// process), `SQLiteStore` in `AsyncDashSQLite`.
///
/// ```swift
/// let stores = StoreSet.memory()
/// let manager = try AsyncManager(context: ManagerContext(name: "app", stores: stores))
/// let queue = stores.queue.taskQueue(runner: manager)
/// try await manager.launchAsyncTask("app.tasks.report", queue: queue)
/// ```
public protocol DurableQueueStore: Sendable {
    /// The store's durable queue, finishing jobs cancelled before they ran through `runner`.
    func taskQueue(runner: any TaskJobRunner) -> any DurableTaskQueue & TaskQueueInspector

    /// Whether the queue outlives the process (`false` for memory): `QUEUE: durable` needs it.
    var isPersistent: Bool { get }

    /// Deletes finished jobs (succeeded, failed or cancelled) that finished before
    /// `limit.before`, and all but the newest `limit.keepNewest` of them (retention); returns how
    /// many. Queued and running jobs are never deleted.
    func pruneFinishedJobs(_ limit: RetentionLimit) async throws -> Int

    /// The unfinished jobs (queued or running), in enqueue order, from position `after` (0: from
    /// the start), at most `limit`: what ``StoreCopy`` reads when an installation moves.
    func exportJobs(after position: Int64, limit: Int) async throws -> TransferPage<TransferredJob>

    /// Adds `jobs` as queued, claimable from their ``TransferredJob/notBefore``, keeping attempt,
    /// attempts allowed, enqueue time and recovered count, in the given order. A job whose task
    /// name the queue already has (in any state) is skipped; returns how many were added.
    func importJobs(_ jobs: [TransferredJob]) async throws -> Int
}
