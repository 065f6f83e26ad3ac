import Foundation

/// A queue that outlives its processes: workers claim jobs with a lease, keep the lease by
/// heartbeating, and a job whose worker stopped heartbeating is taken back
/// (``reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)``). ``QueueWorker`` drives one.
///
/// Every method is atomic with respect to every other caller on the same queue, in this process
/// or another: two workers never hold the same job. A `workerID` guards every change to a running
/// job, so a worker whose lease was taken back cannot finish or requeue the job another worker now runs.
///
/// Implementations: `SQLiteTaskQueue` in `AsyncDashSQLite`.
///
/// ```swift
/// let jobs = try await queue.claim(workerID: "w1", limit: 4, leaseTTL: .seconds(30))
/// for job in jobs {
///     let outcome = await manager.runJob(job)
///     try await queue.finish(taskName: job.taskName, workerID: "w1", outcome: outcome)
/// }
/// ```
public protocol DurableTaskQueue: TaskQueue {
    /// Takes up to `limit` queued jobs whose not-before time has passed, oldest first, and marks
    /// them running under `workerID` with a lease ending `leaseTTL` from now.
    func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob]

    /// Extends the leases `workerID` holds on `taskNames` by `leaseTTL`, and the unexpired conflict
    /// locks those tasks own by `conflictTTL` from now, so a long task keeps its locks.
    func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal

    /// Marks the running job of `taskName` finished (cancelled when `outcome` is
    /// ``TaskJobOutcome/cancelled``); returns `false` when `workerID` no longer holds it.
    @discardableResult
    func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool

    /// Puts the running job of `taskName` back in the queue as attempt `attempt`, not to be claimed
    /// before `notBefore` (a retry's backoff; the same attempt for a hand-back). Returns `false`
    /// when `workerID` no longer holds it.
    @discardableResult
    func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool

    /// Takes over every running job whose lease ended at or before `now` (its worker stopped
    /// heartbeating) and says what becomes of it (``ReclaimedJob/action``): one with attempts
    /// left is to be queued again as its next attempt (counted as recovered now); one whose cancel
    /// was requested is to end cancelled; the others are to end failed ("worker lost"). The jobs
    /// `sparing` names that the worker `sparing.workerID` holds are left alone: a worker never
    /// takes back a job it is still running, however late its heartbeat.
    ///
    /// A taken-over job stays running, leased to `reclaimer` for `leaseTTL`, until the reclaimer
    /// has recorded the recovery and calls ``settleReclaimed(_:reclaimer:)``. A reclaimer that
    /// stops in between loses nothing: the lease ends and the next reclaim takes the job over
    /// again, with the same action.
    func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob]

    /// Does what ``reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)`` said of a job that
    /// `reclaimer` took over: queues it again as ``ReclaimedJob/job``'s attempt, claimable at
    /// once, or ends it failed ("worker lost") or cancelled. Returns `false` when `reclaimer` no
    /// longer holds it (its lease ended and another reclaimer took it over).
    @discardableResult
    func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) async throws -> Bool

    /// Records that a worker is alive until `until`, running or idle: ``QueueWorker`` announces
    /// itself when it starts and on every heartbeat round, so ``workers()`` lists idle workers too.
    func announce(_ presence: WorkerPresence, until: Date) async throws

    /// Forgets a worker that stopped cleanly (its presence would otherwise last until it ends).
    func retire(workerID: String) async throws

    /// The live workers, by worker id: each worker whose announced presence has not ended, and
    /// each worker holding leases — the tasks it runs, its last heartbeat and when its leases end
    /// (an expired one marks a worker that stopped heartbeating).
    func workers() async throws -> [WorkerLeases]
}

/// Who a worker is: what it announces (``DurableTaskQueue/announce(_:until:)``) so operators see
/// every live worker, idle ones included.
public struct WorkerPresence: Sendable, Hashable {
    public var workerID: String
    /// The host it runs on.
    public var host: String
    /// Its process id.
    public var pid: Int
    public var startedAt: Date
    /// The most jobs it runs at once.
    public var concurrency: Int

    public init(workerID: String, host: String, pid: Int, startedAt: Date, concurrency: Int) {
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.concurrency = concurrency
    }

    /// This process as worker `workerID`.
    public static func thisProcess(workerID: String, startedAt: Date, concurrency: Int) -> WorkerPresence {
        WorkerPresence(
            workerID: workerID, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier),
            startedAt: startedAt, concurrency: concurrency)
    }
}

/// A worker as the queue sees it (``DurableTaskQueue/workers()``).
public struct WorkerLeases: Sendable, Hashable {
    public var workerID: String
    /// The tasks it holds, sorted.
    public var taskNames: [String]
    /// Its latest heartbeat, claim or announcement.
    public var lastHeartbeat: Date?
    /// When the last of its leases ends.
    public var leaseExpiresAt: Date?
    /// What it announced, if its presence has not ended (`nil` for a worker known only by its
    /// leases: one that never announced, or whose presence ended while it still holds leases).
    public var presence: WorkerPresence?
    /// When its announced presence ends unless renewed.
    public var presentUntil: Date?

    public init(
        workerID: String, taskNames: [String], lastHeartbeat: Date?, leaseExpiresAt: Date?, presence: WorkerPresence? = nil,
        presentUntil: Date? = nil
    ) {
        self.workerID = workerID
        self.taskNames = taskNames
        self.lastHeartbeat = lastHeartbeat
        self.leaseExpiresAt = leaseExpiresAt
        self.presence = presence
        self.presentUntil = presentUntil
    }

    /// Merges the lease holders with the announced workers whose presence has not ended at `now`:
    /// the rule every driver's ``DurableTaskQueue/workers()`` follows.
    public static func merge(
        leases: [WorkerLeases], presences: [(presence: WorkerPresence, until: Date, announcedAt: Date)], now: Date
    ) -> [WorkerLeases] {
        var byID = Dictionary(leases.map { ($0.workerID, $0) }, uniquingKeysWith: { first, _ in first })
        for (presence, until, announcedAt) in presences where until > now {
            var worker = byID[presence.workerID]
                ?? WorkerLeases(workerID: presence.workerID, taskNames: [], lastHeartbeat: nil, leaseExpiresAt: nil)
            worker.presence = presence
            worker.presentUntil = until
            worker.lastHeartbeat = max(worker.lastHeartbeat ?? announcedAt, announcedAt)
            byID[presence.workerID] = worker
        }
        return byID.values.sorted { $0.workerID < $1.workerID }
    }
}

extension DurableTaskQueue {
    /// ``reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)`` sparing nobody (a tool, or a
    /// worker running nothing).
    public func reclaimExpiredLeases(now: Date, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        try await reclaimExpiredLeases(now: now, sparing: nil, reclaimer: reclaimer, leaseTTL: leaseTTL)
    }
}

/// A worker and the tasks it is running: what ``DurableTaskQueue/reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)`` leaves alone.
public struct LeaseHolder: Sendable, Hashable {
    public var workerID: String
    /// The tasks it runs; `nil` spares every job it holds (a claim of its own is in flight, so
    /// it cannot tell yet which jobs it runs).
    public var taskNames: Set<String>?

    public init(workerID: String, taskNames: Set<String>?) {
        self.workerID = workerID
        self.taskNames = taskNames
    }

    /// Whether this holder is running `taskName` under `owner`.
    public func holds(_ taskName: String, owner: String?) -> Bool {
        owner == workerID && (taskNames?.contains(taskName) ?? true)
    }
}

/// What ``DurableTaskQueue/heartbeat(workerID:taskNames:leaseTTL:conflictTTL:)`` did.
public struct LeaseRenewal: Sendable, Hashable {
    /// The tasks whose lease the worker still holds (now extended).
    public var renewed: Set<String>
    /// The tasks the worker asked about but no longer holds: it must not finish them.
    public var lost: Set<String>
    /// Renewed tasks someone asked to cancel (``TaskQueue/cancel(_:)`` from any process).
    public var cancelRequested: Set<String>

    public init(renewed: Set<String>, lost: Set<String>, cancelRequested: Set<String>) {
        self.renewed = renewed
        self.lost = lost
        self.cancelRequested = cancelRequested
    }
}

/// A job ``DurableTaskQueue/reclaimExpiredLeases(now:sparing:reclaimer:leaseTTL:)`` took over
/// from a lost worker, and what is to become of it (``DurableTaskQueue/settleReclaimed(_:reclaimer:)``).
public struct ReclaimedJob: Sendable, Hashable {
    /// What the queue did with it.
    public enum Action: String, Sendable, Hashable {
        /// To be queued again as ``ReclaimedJob/job`` (its next attempt, ``TaskJob/recovered`` counted).
        case requeued
        /// No attempt left: to end failed ("worker lost").
        case failed
        /// Its cancel had been requested: to end cancelled.
        case cancelled

        /// The rule every driver follows: cancelled when asked, queued again while `job` (the
        /// attempt that was running) has attempts left, else failed.
        public static func deciding(for job: TaskJob, cancelRequested: Bool) -> Action {
            if cancelRequested { return .cancelled }
            return job.attempt < job.maxAttempts ? .requeued : .failed
        }
    }

    /// The job as it is to be: for ``Action/requeued``, the attempt that will run next.
    public var job: TaskJob
    public var action: Action
    /// The worker that held the lease.
    public var lostWorker: String

    public init(job: TaskJob, action: Action, lostWorker: String) {
        self.job = job
        self.action = action
        self.lostWorker = lostWorker
    }
}
