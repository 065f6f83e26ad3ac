import Foundation
import Logging

/// Runs the jobs of a ``DurableTaskQueue`` with a manager, at most ``concurrency`` at a time.
///
/// Its loop claims jobs (lease ``QueueWorkerTiming/leaseTTL``), runs each with
/// ``AsyncManager/runJob(_:)``, then finishes it in the queue — or requeues it after the retry
/// backoff. While jobs run it heartbeats every ``QueueWorkerTiming/heartbeatInterval`` (extending
/// the leases and the tasks' conflict locks by `CONFLICT_TTL`, and cancelling a run whose cancel was
/// requested). Every ``QueueWorkerTiming/reclaimInterval`` it takes back jobs of lost workers and
/// records what became of them (``AsyncManager/recordRecovery(_:)``). Times come from `clock`.
///
/// ```swift
/// let worker = QueueWorker(queue: queue, manager: manager, concurrency: 4)
/// await worker.start()
/// // …
/// await worker.stop(gracePeriod: .seconds(30))   // finish running jobs, hand back the rest
/// ```
public actor QueueWorker {
    /// The id the worker's leases carry.
    public nonisolated let workerID: String
    /// The most jobs running at once.
    public nonisolated let concurrency: Int
    public nonisolated let timing: QueueWorkerTiming

    private struct Running {
        var job: TaskJob
        var task: Task<Void, Never>
        var handBack: JobHandBack
        /// When this worker started the run.
        var startedAt: Date
        /// When this worker cancelled the run for passing `MAX_TASK_DURATION`, if it did.
        var stoppedAt: Date?
    }

    private enum State { case idle, running, stopping, stopped }

    private let queue: any DurableTaskQueue
    private let manager: AsyncManager
    private let clock: any AsyncDashClock
    private var state = State.idle
    private var running: [String: Running] = [:]
    private var cancelRequested: Set<String> = []
    private var claiming = false
    private var loop: Task<Void, Never>?
    /// The reclaim round in flight, if any: it runs beside the loop, so recovery work (records,
    /// events) never delays a heartbeat.
    private var reclaiming: Task<Void, Never>?
    private var nextHeartbeat = Date.distantPast
    private var nextReclaim = Date.distantPast
    private var startedAt = Date.distantPast

    /// - Parameters:
    ///   - queue: Where jobs come from.
    ///   - manager: Runs the jobs and records their lifecycle.
    ///   - workerID: The id of this worker's leases (default: a new UUID).
    ///   - concurrency: The most jobs running at once (≥ 1, a programmer error otherwise).
    ///   - timing: Lease, heartbeat, reclaim and poll intervals (default: from the manager's `LEASE_TTL`).
    ///   - clock: When heartbeats and reclaims are due, and retries' not-before times.
    public init(
        queue: any DurableTaskQueue, manager: AsyncManager, workerID: String = "worker-\(UUID().uuidString.lowercased())",
        concurrency: Int = 4, timing: QueueWorkerTiming? = nil, clock: any AsyncDashClock = SystemClock()
    ) {
        precondition(concurrency >= 1, "a queue worker needs a concurrency of at least 1")
        self.queue = queue
        self.manager = manager
        self.workerID = workerID
        self.concurrency = concurrency
        self.timing = timing ?? QueueWorkerTiming(leaseTTL: manager.settings.leaseTTL)
        self.clock = clock
    }

    /// Starts the loop (idempotent). It announces the worker to the queue
    /// (``DurableTaskQueue/announce(_:until:)``, repeated every heartbeat round so that idle
    /// workers are listed too) and reclaims expired leases at once, then claims.
    public func start() {
        guard state == .idle else { return }
        state = .running
        startedAt = clock.now()
        nextHeartbeat = .distantPast
        loop = Task { await self.runLoop() }
    }

    /// Stops claiming, lets running jobs finish for up to `gracePeriod`, then hands the others back
    /// to the queue (their runs are cancelled; the same attempt runs again later, with the task's
    /// locks kept); returns when no job runs any more. A run that ignores cancellation for another
    /// `gracePeriod` (at least 5 s) is left behind like ``abandon()`` does: its lease expires and
    /// another worker reclaims it. Idempotent.
    public func stop(gracePeriod: Duration = .seconds(30)) async {
        guard state == .running else {
            while state == .stopping { try? await Task.sleep(for: .milliseconds(10)) }
            return
        }
        state = .stopping
        let deadline = ContinuousClock.now.advanced(by: gracePeriod)
        while !running.isEmpty && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        for run in running.values {
            run.handBack.request()
            run.task.cancel()
        }
        let handBackDeadline = ContinuousClock.now.advanced(by: max(gracePeriod, .seconds(5)))
        while !running.isEmpty && ContinuousClock.now < handBackDeadline { try? await Task.sleep(for: .milliseconds(10)) }
        if !running.isEmpty {
            manager.logger.error("running jobs ignored cancellation; left for another worker to reclaim",
                                 metadata: ["tasks": "\(running.keys.sorted())", "worker": "\(workerID)"])
        }
        loop?.cancel()
        state = .stopped
        await loop?.value
        await reclaiming?.value
        do {
            try await queue.retire(workerID: workerID)
        } catch {
            manager.logger.warning("could not remove the stopped worker from the queue's list; it drops out when its presence ends",
                                   metadata: ["worker": "\(workerID)", "error": "\(error)"])
        }
    }

    /// Stops at once as a killed process would: no more claims, heartbeats or queue updates. Jobs
    /// already running are left alone, their leases expire and another worker reclaims them.
    /// For tests of crash recovery.
    public func abandon() {
        state = .stopped
        loop?.cancel()
        reclaiming?.cancel()
    }

    /// The tasks whose jobs this worker is running.
    public var runningTasks: Set<String> { Set(running.keys) }

    /// Whether the loop runs (started and not stopped).
    public var isRunning: Bool { state == .running || state == .stopping }

    private func runLoop() async {
        while state == .running || state == .stopping, !Task.isCancelled {
            let claimed = await tick()
            if !claimed { try? await Task.sleep(for: timing.pollInterval) }
        }
    }

    /// One round: heartbeat and reclaim when due, then claim into free slots; returns whether it claimed.
    private func tick() async -> Bool {
        let now = clock.now()
        if now >= nextHeartbeat {
            nextHeartbeat = now.addingTimeInterval(timing.heartbeatInterval.timeInterval)
            await heartbeat()
        }
        if now >= nextReclaim, state == .running, reclaiming == nil {
            nextReclaim = now.addingTimeInterval(timing.reclaimInterval.timeInterval)
            // What this worker holds, read now: the reclaim task runs on this actor only once the
            // claim below has suspended, and would then always see a claim in flight.
            let mine = LeaseHolder(workerID: workerID, taskNames: claiming ? nil : renewable)
            reclaiming = Task {
                await self.reclaim(now: now, sparing: mine)
                await self.reclaimFinished()
            }
        }
        return await fill()
    }

    private func reclaimFinished() {
        reclaiming = nil
    }

    private func heartbeat() async {
        await announce()
        guard !running.isEmpty else { return }
        stopOverdueRuns()
        do {
            let renewal = try await queue.heartbeat(
                workerID: workerID, taskNames: renewable.sorted(), leaseTTL: timing.leaseTTL, conflictTTL: manager.settings.conflictTTL)
            for name in renewal.cancelRequested where cancelRequested.insert(name).inserted {
                running[name]?.task.cancel()
            }
            if !renewal.lost.isEmpty {
                manager.logger.warning("lost the lease of running tasks; another worker may run them",
                                       metadata: ["tasks": "\(renewal.lost.sorted())", "worker": "\(workerID)"])
            }
        } catch {
            manager.logger.error("heartbeat failed; leases expire unless the next one succeeds",
                                 metadata: ["worker": "\(workerID)", "error": "\(error)"])
        }
    }

    /// Cancels the runs older than `MAX_TASK_DURATION` (DESIGN §10): each ends `failed` with the
    /// reason when it stops, and keeps its locks (renewed) until then.
    private func stopOverdueRuns() {
        let now = clock.now()
        let limit = manager.settings.maxTaskDuration
        for (name, run) in running where run.stoppedAt == nil && now.timeIntervalSince(run.startedAt) > limit.timeInterval {
            run.handBack.exceedDuration(limit)
            run.task.cancel()
            running[name]?.stoppedAt = now
            manager.logger.warning("a task ran past MAX_TASK_DURATION; cancelled, it ends failed when it stops", metadata: [
                "task": "\(name)", "worker": "\(workerID)", "max_task_duration_s": "\(limit.components.seconds)",
            ])
        }
    }

    /// The runs whose leases this worker still renews: all but those that ignored their
    /// `MAX_TASK_DURATION` cancel for a whole `LEASE_TTL`. Those leases lapse, and the task is
    /// recovered as a lost worker's (by this worker's own reclaim too) while the run is abandoned.
    private var renewable: Set<String> {
        let now = clock.now()
        let patience = timing.leaseTTL.timeInterval
        return Set(running.filter { _, run in run.stoppedAt.map { now.timeIntervalSince($0) < patience } ?? true }.keys)
    }

    /// Tells the queue this worker is alive for another lease period, running or idle.
    private func announce() async {
        let presence = WorkerPresence.thisProcess(workerID: workerID, startedAt: startedAt, concurrency: concurrency)
        do {
            try await queue.announce(presence, until: clock.now().addingTimeInterval(timing.leaseTTL.timeInterval))
        } catch {
            manager.logger.warning("could not announce the worker to the queue; operators may not see it while it is idle",
                                   metadata: ["worker": "\(workerID)", "error": "\(error)"])
        }
    }

    /// Takes over expired leases as of `now`, sparing `mine`, records each recovery, then settles
    /// the job — in that order, so that a worker killed in between leaves the job to the next
    /// reclaim, never a task whose record does not end. Leases granted after `now` cannot have
    /// expired by it; those granted before are of jobs in `running` (whose leases this worker
    /// still renews), or of a claim in flight when `mine` was read — then it spares every lease of
    /// this worker.
    private func reclaim(now: Date, sparing mine: LeaseHolder) async {
        let reclaimedJobs: [ReclaimedJob]
        do {
            reclaimedJobs = try await queue.reclaimExpiredLeases(now: now, sparing: mine, reclaimer: workerID, leaseTTL: timing.leaseTTL)
        } catch {
            manager.logger.error("could not reclaim expired leases", metadata: ["worker": "\(workerID)", "error": "\(error)"])
            return
        }
        for reclaimed in reclaimedJobs {
            manager.logger.warning("reclaimed a job of a lost worker", metadata: [
                "task": "\(reclaimed.job.taskName)", "action": "\(reclaimed.action.rawValue)", "lost_worker": "\(reclaimed.lostWorker)",
            ])
            await manager.recordRecovery(reclaimed)
            do {
                if try await !queue.settleReclaimed(reclaimed, reclaimer: workerID) {
                    manager.logger.warning("a reclaimed job was taken over by another worker before this one settled it",
                                           metadata: ["task": "\(reclaimed.job.taskName)", "worker": "\(workerID)"])
                }
            } catch {
                manager.logger.error("could not settle a reclaimed job; its lease ends and it is taken back again",
                                     metadata: ["task": "\(reclaimed.job.taskName)", "worker": "\(workerID)", "error": "\(error)"])
            }
        }
    }

    /// Claims jobs into the free slots and starts them; returns whether it claimed any.
    private func fill() async -> Bool {
        guard state == .running, !claiming, running.count < concurrency else { return false }
        claiming = true
        defer { claiming = false }
        let jobs: [TaskJob]
        do {
            jobs = try await queue.claim(workerID: workerID, limit: concurrency - running.count, leaseTTL: timing.leaseTTL)
        } catch {
            manager.logger.error("could not claim jobs", metadata: ["worker": "\(workerID)", "error": "\(error)"])
            return false
        }
        for job in jobs { launch(job) }
        return !jobs.isEmpty
    }

    private func launch(_ job: TaskJob) {
        let handBack = JobHandBack()
        let manager = self.manager
        let task = Task {
            let outcome = await JobHandBack.$current.withValue(handBack) { await manager.runJob(job) }
            await self.ended(job, outcome)
        }
        running[job.taskName] = Running(job: job, task: task, handBack: handBack, startedAt: clock.now())
    }

    /// Tells the queue how the job ended, then fills the freed slot.
    private func ended(_ job: TaskJob, _ outcome: TaskJobOutcome) async {
        if state != .stopped { await report(job, outcome) }  // abandoned: a killed worker tells nobody
        running[job.taskName] = nil
        cancelRequested.remove(job.taskName)
        _ = await fill()
    }

    private func report(_ job: TaskJob, _ outcome: TaskJobOutcome) async {
        let name = job.taskName
        do {
            switch outcome {
            case .retry where cancelRequested.contains(name):
                await manager.finishCancelledJob(job)  // cancelled after a failed attempt: no retry
                try await queue.finish(taskName: name, workerID: workerID, outcome: .cancelled)
            case .retry(let delay):
                let notBefore = clock.now().addingTimeInterval(delay.timeInterval)
                try await queue.requeue(taskName: name, workerID: workerID, notBefore: notBefore, attempt: job.attempt + 1)
            case .handedBack:
                try await queue.requeue(taskName: name, workerID: workerID, notBefore: clock.now(), attempt: job.attempt)
            case .succeeded, .failed, .cancelled:
                try await queue.finish(taskName: name, workerID: workerID, outcome: outcome)
            }
        } catch {
            manager.logger.error("could not update a finished job in the queue; its lease will expire and it is reclaimed",
                                 metadata: ["task": "\(name)", "worker": "\(workerID)", "error": "\(error)"])
        }
    }
}
