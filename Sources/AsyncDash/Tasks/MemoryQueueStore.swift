import Foundation

/// The queue role in memory: a ``DurableTaskQueue`` with leases, heartbeats, retries and
/// reclaiming, kept in this process only — the reference implementation the contract suite checks
/// other drivers against, and what tests of workers use without a file.
///
/// Leases and backoffs are timed by the store's clock; a heartbeat renews the conflict locks of
/// the tasks it still holds in `coordination` (when it is a ``MemoryCoordinationStore``).
///
/// ```swift
/// let stores = StoreSet.memory()
/// let queue = stores.queue.taskQueue(runner: manager)
/// let jobs = try await queue.claim(workerID: "w1", limit: 4, leaseTTL: .seconds(30))
/// ```
public struct MemoryQueueStore: DurableQueueStore {
    let state: MemoryQueueState

    /// - Parameters:
    ///   - clock: Times leases and backoffs.
    ///   - locks: Whose locks a heartbeat renews (the same set's coordination store).
    public init(clock: any AsyncDashClock = SystemClock(), locks: MemoryCoordinationStore? = nil) {
        state = MemoryQueueState(clock: clock, locks: locks)
    }

    public func taskQueue(runner: any TaskJobRunner) -> any DurableTaskQueue & TaskQueueInspector {
        MemoryDurableTaskQueue(state: state, runner: runner)
    }

    public var isPersistent: Bool { false }

    public func pruneFinishedJobs(_ limit: RetentionLimit) async throws -> Int {
        await state.pruneFinished(limit)
    }

    public func exportJobs(after position: Int64, limit: Int) async throws -> TransferPage<TransferredJob> {
        await state.exportJobs(after: position, limit: limit)
    }

    public func importJobs(_ jobs: [TransferredJob]) async throws -> Int {
        await state.importJobs(jobs)
    }
}

/// A ``MemoryQueueStore``'s queue bound to the runner that finishes jobs cancelled before they ran.
struct MemoryDurableTaskQueue: DurableTaskQueue, TaskQueueInspector {
    let state: MemoryQueueState
    let runner: any TaskJobRunner

    func enqueue(_ job: TaskJob) async throws { try await state.enqueue(job) }

    @discardableResult
    func cancel(_ taskName: String) async -> Bool {
        switch await state.cancel(taskName) {
        case .notFound: return false
        case .requested: return true
        case .cancelledBeforeRun(let job):
            await runner.finishCancelledJob(job)
            return true
        }
    }

    func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob] {
        await state.claim(workerID: workerID, limit: limit, leaseTTL: leaseTTL)
    }

    func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal {
        await state.heartbeat(workerID: workerID, taskNames: taskNames, leaseTTL: leaseTTL, conflictTTL: conflictTTL)
    }

    @discardableResult
    func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool {
        await state.finish(taskName: taskName, workerID: workerID, outcome: outcome)
    }

    @discardableResult
    func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool {
        await state.requeue(taskName: taskName, workerID: workerID, notBefore: notBefore, attempt: attempt)
    }

    func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        await state.reclaimExpiredLeases(now: now, sparing: sparing, reclaimer: reclaimer, leaseTTL: leaseTTL)
    }

    @discardableResult
    func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) async throws -> Bool {
        await state.settleReclaimed(reclaimed, reclaimer: reclaimer)
    }

    func state(of taskName: String) async throws -> QueuedTaskState? {
        await state.state(of: taskName)
    }

    func announce(_ presence: WorkerPresence, until: Date) async throws {
        await state.announce(presence, until: until)
    }

    func retire(workerID: String) async throws {
        await state.retire(workerID: workerID)
    }

    func workers() async throws -> [WorkerLeases] {
        await state.workers()
    }
}

/// The jobs of a ``MemoryQueueStore``, behind one actor so every change is atomic.
actor MemoryQueueState {
    enum Phase: Equatable { case queued, running, finished }

    struct Entry {
        var job: TaskJob
        var phase: Phase
        var notBefore: Date
        var sequence: Int
        var leaseOwner: String?
        var leaseExpiresAt: Date?
        var heartbeatAt: Date?
        var startedAt: Date?
        var cancelRequested = false
        /// When the job finished (set with `phase = .finished`).
        var finishedAt: Date?
    }

    enum CancelResult { case notFound, requested, cancelledBeforeRun(TaskJob) }

    /// Deletes finished jobs by ``RetentionLimit``; returns how many.
    func pruneFinished(_ limit: RetentionLimit) -> Int {
        var finished = entries.values.filter { $0.phase == .finished }.sorted { ($0.finishedAt ?? .distantPast) < ($1.finishedAt ?? .distantPast) }
        let before = finished.count
        if let cutoff = limit.before { finished.removeAll { ($0.finishedAt ?? .distantPast) < cutoff } }
        if let keep = limit.keepNewest, finished.count > keep { finished.removeFirst(finished.count - keep) }
        let kept = Set(finished.map(\.job.taskName))
        entries = entries.filter { $0.value.phase != .finished || kept.contains($0.key) }
        return before - finished.count
    }

    /// Unfinished jobs in enqueue order after sequence `position` (``DurableQueueStore/exportJobs(after:limit:)``).
    func exportJobs(after position: Int64, limit: Int) -> TransferPage<TransferredJob> {
        let unfinished = entries.values
            .filter { $0.phase != .finished && Int64($0.sequence) > position }
            .sorted { $0.sequence < $1.sequence }
            .prefix(max(0, limit))
        let items = unfinished.map { entry in
            TransferredJob(job: entry.job, notBefore: entry.notBefore, leaseOwner: entry.phase == .running ? entry.leaseOwner : nil,
                           leaseExpiresAt: entry.phase == .running ? entry.leaseExpiresAt : nil, cancelRequested: entry.cancelRequested)
        }
        return TransferPage(items: items, limit: limit, lastPosition: unfinished.last.map { Int64($0.sequence) })
    }

    /// Adds jobs as queued, skipping task names already known (``DurableQueueStore/importJobs(_:)``).
    func importJobs(_ jobs: [TransferredJob]) -> Int {
        var added = 0
        for transferred in jobs where entries[transferred.job.taskName] == nil {
            nextSequence += 1
            entries[transferred.job.taskName] = Entry(job: transferred.job, phase: .queued, notBefore: transferred.notBefore, sequence: nextSequence)
            added += 1
        }
        return added
    }

    private let clock: any AsyncDashClock
    private let locks: MemoryCoordinationStore?
    private var entries: [String: Entry] = [:]
    private var nextSequence = 0
    private var presences: [String: (presence: WorkerPresence, until: Date, announcedAt: Date)] = [:]

    init(clock: any AsyncDashClock, locks: MemoryCoordinationStore?) {
        self.clock = clock
        self.locks = locks
    }

    func enqueue(_ job: TaskJob) throws {
        if let existing = entries[job.taskName], existing.phase != .finished {
            throw TaskQueueError(.duplicate, taskName: job.taskName, message: "task '\(job.taskName)' is already queued or running")
        }
        nextSequence += 1
        entries[job.taskName] = Entry(job: job, phase: .queued, notBefore: clock.now(), sequence: nextSequence)
    }

    func cancel(_ taskName: String) -> CancelResult {
        guard var entry = entries[taskName], entry.phase != .finished else { return .notFound }
        if entry.phase == .running {
            entry.cancelRequested = true
            entries[taskName] = entry
            return .requested
        }
        entry.phase = .finished
        entry.finishedAt = clock.now()
        entries[taskName] = entry
        return .cancelledBeforeRun(entry.job)
    }

    func claim(workerID: String, limit: Int, leaseTTL: Duration) -> [TaskJob] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        let claimable = entries.values
            .filter { $0.phase == .queued && $0.notBefore <= now }
            .sorted { ($0.notBefore, $0.sequence) < ($1.notBefore, $1.sequence) }
            .prefix(limit)
        return claimable.map { entry in
            var entry = entry
            entry.phase = .running
            entry.leaseOwner = workerID
            entry.leaseExpiresAt = now.addingTimeInterval(leaseTTL.timeInterval)
            entry.heartbeatAt = now
            entry.startedAt = now
            entries[entry.job.taskName] = entry
            return entry.job
        }
    }

    func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async -> LeaseRenewal {
        let now = clock.now()
        var renewed: Set<String> = []
        var cancelRequested: Set<String> = []
        for name in taskNames {
            guard var entry = entries[name], entry.phase == .running, entry.leaseOwner == workerID else { continue }
            entry.leaseExpiresAt = now.addingTimeInterval(leaseTTL.timeInterval)
            entry.heartbeatAt = now
            entries[name] = entry
            renewed.insert(name)
            if entry.cancelRequested { cancelRequested.insert(name) }
        }
        if !renewed.isEmpty, let locks {
            await locks.renewLocks(owners: renewed, until: now.addingTimeInterval(conflictTTL.timeInterval))
        }
        return LeaseRenewal(renewed: renewed, lost: Set(taskNames).subtracting(renewed), cancelRequested: cancelRequested)
    }

    func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) -> Bool {
        guard var entry = entries[taskName], entry.phase == .running, entry.leaseOwner == workerID else { return false }
        entry.phase = .finished
        entry.finishedAt = clock.now()
        entry.leaseExpiresAt = nil
        entries[taskName] = entry
        return true
    }

    func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) -> Bool {
        guard var entry = entries[taskName], entry.phase == .running, entry.leaseOwner == workerID else { return false }
        entry.phase = .queued
        entry.job.attempt = attempt
        entry.notBefore = notBefore
        entry.leaseOwner = nil
        entry.leaseExpiresAt = nil
        entry.startedAt = nil
        entries[taskName] = entry
        return true
    }

    func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) -> [ReclaimedJob] {
        let expired = entries.values
            .filter { $0.phase == .running && ($0.leaseExpiresAt ?? .distantFuture) <= now }
            .filter { !(sparing?.holds($0.job.taskName, owner: $0.leaseOwner) ?? false) }
            .sorted { $0.sequence < $1.sequence }
        let takenAt = clock.now()
        return expired.map { entry in
            var entry = entry
            let lostWorker = entry.leaseOwner ?? ""
            var job = entry.job
            let action = ReclaimedJob.Action.deciding(for: job, cancelRequested: entry.cancelRequested)
            if action == .requeued {
                entry.job.recovered += 1
                job.recovered += 1
                job.attempt += 1
            }
            entry.leaseOwner = reclaimer
            entry.leaseExpiresAt = takenAt.addingTimeInterval(leaseTTL.timeInterval)
            entry.heartbeatAt = takenAt
            entries[entry.job.taskName] = entry
            return ReclaimedJob(job: job, action: action, lostWorker: lostWorker)
        }
    }

    func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) -> Bool {
        let name = reclaimed.job.taskName
        switch reclaimed.action {
        case .requeued:
            return requeue(taskName: name, workerID: reclaimer, notBefore: clock.now(), attempt: reclaimed.job.attempt)
        case .failed:
            return finish(taskName: name, workerID: reclaimer, outcome: .failed(AsyncManager.workerLostMessage))
        case .cancelled:
            return finish(taskName: name, workerID: reclaimer, outcome: .cancelled)
        }
    }

    func announce(_ presence: WorkerPresence, until: Date) {
        let now = clock.now()
        presences = presences.filter { $0.value.until > now }
        presences[presence.workerID] = (presence, until, now)
    }

    func retire(workerID: String) {
        presences[workerID] = nil
    }

    func workers() -> [WorkerLeases] {
        let running = entries.values.filter { $0.phase == .running && $0.leaseOwner != nil }
        let leases = Dictionary(grouping: running) { $0.leaseOwner ?? "" }.map { owner, held in
            WorkerLeases(
                workerID: owner, taskNames: held.map(\.job.taskName).sorted(),
                lastHeartbeat: held.compactMap(\.heartbeatAt).max(), leaseExpiresAt: held.compactMap(\.leaseExpiresAt).max())
        }
        return WorkerLeases.merge(leases: leases, presences: Array(presences.values), now: clock.now())
    }

    func state(of taskName: String) -> QueuedTaskState? {
        guard let entry = entries[taskName] else { return nil }
        switch entry.phase {
        case .queued: return .queued
        case .running: return .running(since: entry.startedAt ?? entry.job.enqueuedAt)
        case .finished: return .finished
        }
    }
}
