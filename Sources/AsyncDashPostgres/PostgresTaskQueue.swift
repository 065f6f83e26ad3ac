import AsyncDash
import Foundation
import PostgresNIO

/// The durable task queue of a ``PostgresStore``: workers on any machine claim jobs with
/// `FOR UPDATE SKIP LOCKED` (two workers never wait on, or take, the same job), keep them by
/// heartbeating, and a job whose worker stopped heartbeating is taken back by any process.
///
/// Every method is one statement or one transaction, so it is atomic across processes and
/// durable when the call returns. A `QueueWorker` runs the jobs.
///
/// ```swift
/// let store = try PostgresStore(url: "postgres://app@db/app")
/// let queue = store.taskQueue(runner: manager)
/// try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 5], queue: queue)
/// ```
public final class PostgresTaskQueue: DurableTaskQueue, TaskQueueInspector {
    public let store: PostgresStore
    let runner: any TaskJobRunner
    private var jobs: String { store.names.jobs }

    public init(store: PostgresStore, runner: any TaskJobRunner) {
        self.store = store
        self.runner = runner
    }

    /// The columns ``job(from:)`` reads, in order.
    static let jobColumns = "task_name, function_name, args, attempt, max_attempts, enqueued_at, recovered"

    static func job(from row: PostgresRow) throws -> TaskJob {
        TaskJob(
            taskName: try row.required(0), functionName: try row.required(1), args: PostgresRecordCodec.parseJSON(try row.required(2)),
            attempt: try row.required(3), maxAttempts: try row.required(4), enqueuedAt: Date(timeIntervalSince1970: try row.required(5)),
            recovered: try row.required(6))
    }

    /// Stores `job` as queued, claimable at once; durable when this returns.
    ///
    /// - Throws: `TaskQueueError` (`duplicate`) when a job of that task is queued or running. A
    ///   finished job of the same name is replaced.
    public func enqueue(_ job: TaskJob) async throws {
        let jobs = jobs
        let now = store.clock.now().timeIntervalSince1970
        let values: [PostgresValue] = [
            .text(job.taskName), .text(job.functionName), .text(job.args.jsonText), .int(job.attempt), .int(job.maxAttempts),
            .double(now), .double(job.enqueuedAt.timeIntervalSince1970), .int(job.recovered),
        ]
        // Inserts, or replaces a finished row (a new `seq`: it queues behind the others); a queued
        // or running row is left alone and nothing is returned.
        let written = try await store.write(
            "queueing task '\(job.taskName)'",
            statements: [PostgresStatement("""
            INSERT INTO \(jobs) AS j (task_name, function_name, args, attempt, max_attempts, state, not_before, enqueued_at, recovered)
            VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8)
            ON CONFLICT (task_name) DO UPDATE SET
                seq = nextval(pg_get_serial_sequence('\(jobs)', 'seq')), function_name = excluded.function_name, args = excluded.args,
                attempt = excluded.attempt, max_attempts = excluded.max_attempts, state = 'queued', outcome = NULL,
                not_before = excluded.not_before, lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                cancel_requested = false, recovered = excluded.recovered, enqueued_at = excluded.enqueued_at,
                started_at = NULL, finished_at = NULL
            WHERE j.state NOT IN ('queued', 'running')
            RETURNING task_name
            """, values, returnsRows: true)])
        // Nothing written: a job of that name is queued or running — or this very job, committed
        // by an attempt whose acknowledgement was lost (same enqueue and not-before times).
        if written.isEmpty, try await store.run(
            "queueing task '\(job.taskName)'",
            "SELECT 1 FROM \(jobs) WHERE task_name = $1 AND enqueued_at = $2 AND not_before = $3 AND function_name = $4",
            [.text(job.taskName), .double(job.enqueuedAt.timeIntervalSince1970), .double(now), .text(job.functionName)]
        ).isEmpty {
            throw TaskQueueError(.duplicate, taskName: job.taskName, message: "task '\(job.taskName)' is already queued or running")
        }
    }

    /// Cancels the task's job: a queued one is marked cancelled and finished through the runner
    /// before this returns; a running one gets a cancel request its worker sees on its next
    /// heartbeat. Returns whether a queued or running job of the task was found (a database
    /// error counts as not found).
    @discardableResult
    public func cancel(_ taskName: String) async -> Bool {
        let jobs = jobs
        let found = try? await store.transaction("cancelling task '\(taskName)'") { connection -> (TaskJob, Bool)? in
            guard let row = try await connection.run(
                "SELECT \(Self.jobColumns), state FROM \(jobs) WHERE task_name = $1 AND state IN ('queued', 'running') FOR UPDATE",
                [.text(taskName)], logger: self.store.logger
            ).first else { return nil }
            let running = try row.required(7, as: String.self) == "running"
            if running {
                try await connection.run("UPDATE \(jobs) SET cancel_requested = true WHERE task_name = $1", [.text(taskName)], logger: self.store.logger)
            } else {
                try await connection.run(
                    "UPDATE \(jobs) SET state = 'cancelled', outcome = 'cancelled', finished_at = $1 WHERE task_name = $2",
                    [.double(self.store.clock.now().timeIntervalSince1970), .text(taskName)], logger: self.store.logger)
            }
            return (try Self.job(from: row), running)
        }
        guard let (job, running) = found ?? nil else { return false }
        if !running { await runner.finishCancelledJob(job) }
        return true
    }

    /// Claims up to `limit` claimable jobs, oldest first (by the time they became claimable, then
    /// in enqueue order), skipping rows other claimers have locked. A claim sent again after its
    /// acknowledgement was lost returns the jobs the first one took (its write token).
    public func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob] {
        guard limit > 0 else { return [] }
        let now = store.clock.now().timeIntervalSince1970
        let rows = try await store.run(
            "claiming jobs for worker '\(workerID)'",
            """
            WITH earlier AS (
                SELECT task_name FROM \(jobs) WHERE state = 'running' AND lease_owner = $1 AND write_token = $5
            ), picked AS (
                SELECT task_name FROM \(jobs) WHERE state = 'queued' AND not_before <= $3
                ORDER BY not_before, seq LIMIT greatest(0, $4 - (SELECT count(*) FROM earlier)) FOR UPDATE SKIP LOCKED
            )
            UPDATE \(jobs) AS j SET state = 'running', lease_owner = $1, lease_expires_at = $2, heartbeat_at = $3, started_at = $3,
                write_token = $5
            FROM (SELECT task_name FROM picked UNION ALL SELECT task_name FROM earlier) AS taken
            WHERE j.task_name = taken.task_name
            RETURNING \(Self.jobColumns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")), j.not_before, j.seq
            """, [.text(workerID), .double(now + leaseTTL.timeInterval), .double(now), .int(limit), .text(UUID().uuidString)])
        return try rows.map { row in (try Self.job(from: row), try row.required(7, as: Double.self), try row.required(8, as: Int.self)) }
            .sorted { ($0.1, $0.2) < ($1.1, $1.2) }
            .map(\.0)
    }

    /// Extends the leases `workerID` holds on `taskNames`, and renews the unexpired conflict locks
    /// of the tasks it still holds to `conflictTTL` from now (never shortening one), in one transaction.
    public func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal {
        guard !taskNames.isEmpty else { return LeaseRenewal(renewed: [], lost: [], cancelRequested: []) }
        let (jobs, locks) = (jobs, store.names.locks)
        let now = store.clock.now().timeIntervalSince1970
        let (leaseEnd, lockEnd) = (now + leaseTTL.timeInterval, now + conflictTTL.timeInterval)
        return try await store.transaction("heartbeat of worker '\(workerID)'") { connection in
            let held = try await connection.run(
                """
                UPDATE \(jobs) SET lease_expires_at = $1, heartbeat_at = $2
                WHERE task_name = ANY($3::text[]) AND state = 'running' AND lease_owner = $4
                RETURNING task_name, cancel_requested
                """, [.double(leaseEnd), .double(now), .texts(taskNames), .text(workerID)], logger: self.store.logger)
            var renewed: Set<String> = []
            var cancelRequested: Set<String> = []
            for row in held {
                let name = try row.required(0, as: String.self)
                renewed.insert(name)
                if try row.required(1, as: Bool.self) { cancelRequested.insert(name) }
            }
            if !renewed.isEmpty {
                try await connection.run(
                    "UPDATE \(locks) SET expires_at = greatest(expires_at, $1) WHERE expires_at > $2 AND owner = ANY($3::text[])",
                    [.double(lockEnd), .double(now), .texts(renewed.sorted())], logger: self.store.logger)
            }
            return LeaseRenewal(renewed: renewed, lost: Set(taskNames).subtracting(renewed), cancelRequested: cancelRequested)
        }
    }

    /// Marks the job finished: `cancelled` for a cancelled outcome, else `done` with the outcome.
    /// Returns `false` when `workerID` does not hold it.
    @discardableResult
    public func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool {
        let (state, result): (String, String) =
            switch outcome {
            case .succeeded: ("done", "succeeded")
            case .failed, .retry: ("done", "failed")
            case .cancelled, .handedBack: ("cancelled", "cancelled")
            }
        // A finish sent again after its acknowledgement was lost finds its own earlier commit.
        let now = store.clock.now().timeIntervalSince1970
        return try await !store.write(
            "finishing task '\(taskName)'",
            statements: [
                PostgresStatement(
                    """
                    UPDATE \(jobs) SET state = $1, outcome = $2, finished_at = $3, lease_expires_at = NULL, write_token = $6
                    WHERE task_name = $4 AND lease_owner = $5 AND (state = 'running' OR (state = $1 AND write_token = $6))
                    RETURNING task_name
                    """, [.text(state), .text(result), .double(now), .text(taskName), .text(workerID), .text(UUID().uuidString)], returnsRows: true)
            ]
        ).isEmpty
    }

    /// Puts the running job back in the queue as attempt `attempt`, claimable from `notBefore`.
    @discardableResult
    public func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool {
        try await !store.write(
            "requeueing task '\(taskName)'",
            statements: [
                PostgresStatement(
                    """
                    UPDATE \(jobs) SET state = 'queued', attempt = $1, not_before = $2,
                        lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL, started_at = NULL
                    WHERE task_name = $3 AND state = 'running' AND lease_owner = $4 RETURNING task_name
                    """, [.int(attempt), .double(notBefore.timeIntervalSince1970), .text(taskName), .text(workerID)], returnsRows: true)
            ]
        ).isEmpty
    }

    /// Takes over every running job whose lease ended at or before `now`, except those `sparing`
    /// runs, in one transaction (rows another process is taking over are skipped, not waited for):
    /// each stays running, leased to `reclaimer` for `leaseTTL`, until
    /// ``settleReclaimed(_:reclaimer:)`` (a job to be queued again is counted as recovered now).
    public func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        let jobs = jobs
        let time = now.timeIntervalSince1970
        let takenAt = store.clock.now().timeIntervalSince1970
        return try await store.transaction("taking over expired leases") { connection in
            let rows = try await connection.run(
                """
                SELECT \(Self.jobColumns), lease_owner, cancel_requested FROM \(jobs)
                WHERE state = 'running' AND lease_expires_at <= $1 ORDER BY seq FOR UPDATE SKIP LOCKED
                """, [.double(time)], logger: self.store.logger)
            var reclaimed: [ReclaimedJob] = []
            for row in rows {
                var job = try Self.job(from: row)
                let lostWorker = try row.value(7, as: String.self) ?? ""
                if sparing?.holds(job.taskName, owner: lostWorker) ?? false { continue }
                let action = ReclaimedJob.Action.deciding(for: job, cancelRequested: try row.required(8, as: Bool.self))
                let counted = action == .requeued ? 1 : 0
                try await connection.run(
                    """
                    UPDATE \(jobs) SET lease_owner = $1, lease_expires_at = $2, heartbeat_at = $3, recovered = recovered + $4
                    WHERE task_name = $5
                    """,
                    [.text(reclaimer), .double(takenAt + leaseTTL.timeInterval), .double(takenAt), .int(counted), .text(job.taskName)],
                    logger: self.store.logger)
                if action == .requeued { job.attempt += 1 }
                job.recovered += counted
                reclaimed.append(ReclaimedJob(job: job, action: action, lostWorker: lostWorker))
            }
            return reclaimed
        }
    }

    /// Queues again, or ends, a job `reclaimer` took over, as its ``ReclaimedJob/action`` says.
    @discardableResult
    public func settleReclaimed(_ reclaimed: ReclaimedJob, reclaimer: String) async throws -> Bool {
        let name = reclaimed.job.taskName
        switch reclaimed.action {
        case .requeued:
            return try await requeue(taskName: name, workerID: reclaimer, notBefore: store.clock.now(), attempt: reclaimed.job.attempt)
        case .cancelled:
            return try await finish(taskName: name, workerID: reclaimer, outcome: .cancelled)
        case .failed:
            return try await !store.run(
                "ending reclaimed task '\(name)'",
                """
                UPDATE \(jobs) SET state = 'done', outcome = $1, finished_at = $2, lease_expires_at = NULL
                WHERE task_name = $3 AND state = 'running' AND lease_owner = $4 RETURNING 1
                """,
                [.text(AsyncManager.workerLostMessage), .double(store.clock.now().timeIntervalSince1970), .text(name), .text(reclaimer)]
            ).isEmpty
        }
    }

    /// Upserts the worker's row in the workers table; rows of workers gone for a day are deleted.
    public func announce(_ presence: WorkerPresence, until: Date) async throws {
        let workers = store.names.workers
        let now = store.clock.now().timeIntervalSince1970
        try await store.transaction("announcing worker '\(presence.workerID)'") { connection in
            try await connection.run(
                """
                INSERT INTO \(workers) (worker_id, host, pid, started_at, concurrency, announced_at, present_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,
                    concurrency = excluded.concurrency, announced_at = excluded.announced_at, present_until = excluded.present_until
                """,
                [.text(presence.workerID), .text(presence.host), .int(presence.pid), .double(presence.startedAt.timeIntervalSince1970),
                 .int(presence.concurrency), .double(now), .double(until.timeIntervalSince1970)], logger: self.store.logger)
            try await connection.run("DELETE FROM \(workers) WHERE present_until < $1", [.double(now - 86_400)], logger: self.store.logger)
        }
    }

    public func retire(workerID: String) async throws {
        try await store.run("retiring worker '\(workerID)'", "DELETE FROM \(store.names.workers) WHERE worker_id = $1", [.text(workerID)])
    }

    /// The workers holding leases on running jobs and the announced ones whose presence has not ended.
    public func workers() async throws -> [WorkerLeases] {
        let now = store.clock.now()
        let leases = try await store.run(
            "reading the workers",
            """
            SELECT lease_owner, array_agg(task_name ORDER BY task_name), max(heartbeat_at), max(lease_expires_at)
            FROM \(jobs) WHERE state = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner
            """
        ).map { row in
            WorkerLeases(
                workerID: try row.required(0), taskNames: try row.required(1, as: [String].self),
                lastHeartbeat: try row.value(2, as: Double.self).map(Date.init(timeIntervalSince1970:)),
                leaseExpiresAt: try row.value(3, as: Double.self).map(Date.init(timeIntervalSince1970:)))
        }
        let presences = try await store.run(
            "reading the workers",
            "SELECT worker_id, host, pid, started_at, concurrency, present_until, announced_at FROM \(store.names.workers) WHERE present_until > $1",
            [.double(now.timeIntervalSince1970)]
        ).map { row in
            (presence: WorkerPresence(
                workerID: try row.required(0), host: try row.required(1), pid: try row.required(2),
                startedAt: Date(timeIntervalSince1970: try row.required(3)), concurrency: try row.required(4)),
             until: Date(timeIntervalSince1970: try row.required(5)), announcedAt: Date(timeIntervalSince1970: try row.required(6)))
        }
        return WorkerLeases.merge(leases: leases, presences: presences, now: now)
    }

    /// The job's state: queued (or waiting out a retry's backoff), running since a worker claimed
    /// it, or finished; `nil` when the queue has no such job.
    public func state(of taskName: String) async throws -> QueuedTaskState? {
        guard let row = try await store.run(
            "reading the job of '\(taskName)'", "SELECT state, started_at, enqueued_at FROM \(jobs) WHERE task_name = $1", [.text(taskName)]
        ).first else { return nil }
        switch try row.required(0, as: String.self) {
        case "queued": return .queued
        case "running":
            return .running(since: Date(timeIntervalSince1970: try row.value(1, as: Double.self) ?? row.required(2, as: Double.self)))
        default: return .finished
        }
    }
}

extension PostgresStore: DurableQueueStore {
    /// The durable queue in this store's database (``PostgresTaskQueue``).
    public func taskQueue(runner: any TaskJobRunner) -> any DurableTaskQueue & TaskQueueInspector {
        PostgresTaskQueue(store: self, runner: runner)
    }

    public var isPersistent: Bool { true }

    public func pruneFinishedJobs(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: names.jobs, time: "finished_at", where: "finished_at IS NOT NULL", limit, id: "seq")
    }
}

extension PostgresStore: ChangeFeed {
    /// Notices of the tasks changed by any process on this database (`LISTEN/NOTIFY`).
    public func subscribe() async throws -> ChangeSubscription {
        try await ensureReady()
        return try await changeFeed.subscribe()
    }
}

extension StoreSet {
    /// One ``PostgresStore`` serving every role: records, coordination, queue, audit log, outbox
    /// and change feed. (Integrity checking is the server's: `pg_amcheck`.)
    public static func postgres(_ store: PostgresStore) -> StoreSet {
        StoreSet(records: store, coordination: store, queue: store, audit: store, outbox: store, changes: store, integrity: nil)
    }

    /// One ``PostgresStore`` serving every role, from a `postgres://` URL (see ``PostgresStoreOptions``).
    ///
    /// ```swift
    /// let stores = try StoreSet.postgres(url: "postgres://app@db.internal/app?password_env=APP_DB_PASSWORD")
    /// ```
    public static func postgres(url: String, clock: any AsyncDashClock = SystemClock()) throws -> StoreSet {
        postgres(try PostgresStore(url: url, clock: clock))
    }
}

extension Registry {
    /// Registers the `postgres:` and `postgresql:` store schemes
    /// (`postgres://USER@HOST:PORT/DATABASE?sslmode=…`, see ``PostgresStoreOptions``).
    public mutating func registerPostgres() {
        register(from: "built-in (AsyncDashPostgres)") { registry in
            for scheme in ["postgres", "postgresql"] {
                registry.register(storeScheme: scheme, validate: { url in _ = try PostgresStoreOptions(url: url) }) { url, clock in
                    try StoreSet.postgres(url: url, clock: clock)
                }
            }
        }
    }
}
