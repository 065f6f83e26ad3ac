import AsyncDash
import Foundation

/// A ``DurableTaskQueue`` that passes every call to `base` and prints one line to stdout per job
/// a worker starts (`started NAME attempt n/m`) and per job it ends
/// (`finished NAME succeeded|failed|cancelled`, `requeued NAME …`), for `asyncdash worker`.
///
/// ```swift
/// let worker = QueueWorker(queue: ReportingQueue(base: sqliteQueue), manager: manager)
/// ```
struct ReportingQueue: DurableTaskQueue {
    let base: any DurableTaskQueue

    func enqueue(_ job: TaskJob) async throws {
        try await base.enqueue(job)
    }

    @discardableResult
    func cancel(_ taskName: String) async -> Bool {
        await base.cancel(taskName)
    }

    func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob] {
        let jobs = try await base.claim(workerID: workerID, limit: limit, leaseTTL: leaseTTL)
        for job in jobs {
            let recovered = job.recovered > 0 ? " (recovered \(job.recovered)×)" : ""
            LiveOutput.line("started \(job.taskName) \(job.functionName) attempt \(job.attempt)/\(job.maxAttempts)\(recovered)")
        }
        return jobs
    }

    func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal {
        try await base.heartbeat(workerID: workerID, taskNames: taskNames, leaseTTL: leaseTTL, conflictTTL: conflictTTL)
    }

    @discardableResult
    func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool {
        let held = try await base.finish(taskName: taskName, workerID: workerID, outcome: outcome)
        LiveOutput.line("finished \(taskName) \(Self.describe(outcome))" + (held ? "" : " (lease lost: not recorded in the queue)"))
        return held
    }

    @discardableResult
    func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool {
        let held = try await base.requeue(taskName: taskName, workerID: workerID, notBefore: notBefore, attempt: attempt)
        LiveOutput.line("requeued \(taskName) attempt \(attempt)" + (held ? "" : " (lease lost: not requeued)"))
        return held
    }

    func announce(_ presence: WorkerPresence, until: Date) async throws {
        try await base.announce(presence, until: until)
    }

    func retire(workerID: String) async throws {
        try await base.retire(workerID: workerID)
    }

    func workers() async throws -> [WorkerLeases] {
        try await base.workers()
    }

    func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        let reclaimed = try await base.reclaimExpiredLeases(now: now, sparing: sparing, reclaimer: reclaimer, leaseTTL: leaseTTL)
        for job in reclaimed {
            LiveOutput.line("reclaimed \(job.job.taskName) from \(job.lostWorker): \(job.action.rawValue)")
        }
        return reclaimed
    }

    @discardableResult
    func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) async throws -> Bool {
        try await base.settleReclaimed(reclaimed, reclaimer: reclaimer)
    }

    /// `succeeded`, `failed: MESSAGE`, `cancelled`, …
    static func describe(_ outcome: TaskJobOutcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .failed(let message): "failed: \(message)"
        case .cancelled: "cancelled"
        case .retry(let delay): "retry after \(delay)"
        case .handedBack: "handed back"
        }
    }
}
