import AsyncDash
import Foundation
import GRDB

/// The worker side of ``SQLiteTaskQueue``: claims with a lease, heartbeats, finishing, retries,
/// and taking jobs back from lost workers. Each method is one immediate transaction, so two
/// processes on one file never claim the same job.
extension SQLiteTaskQueue {
    /// Claims up to `limit` claimable jobs (queued, not-before passed), oldest first: by the time
    /// they became claimable, then in enqueue order (one index range, however long the queue).
    ///
    /// ```swift
    /// let jobs = try await queue.claim(workerID: "w1", limit: 4, leaseTTL: .seconds(30))
    /// ```
    public func claim(workerID: String, limit: Int, leaseTTL: Duration) async throws -> [TaskJob] {
        guard limit > 0 else { return [] }
        let ttl = leaseTTL.timeInterval
        return try await store.write(savepoint: true) { [clock = store.clock] db in
            let now = clock.now().timeIntervalSince1970
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(Self.jobColumns) FROM \(T.jobs) WHERE state = 'queued' AND not_before <= ? ORDER BY not_before, rowid LIMIT ?",
                arguments: [now, limit])
            let take = try db.cachedStatement(
                sql: """
                    UPDATE \(T.jobs) SET state = 'running', lease_owner = ?, lease_expires_at = ?, heartbeat_at = ?, started_at = ?
                    WHERE task_name = ?
                    """)
            return try rows.map { row in
                let job = Self.job(from: row)
                try take.execute(arguments: [workerID, now + ttl, now, now, job.taskName])
                return job
            }
        }
    }

    /// Extends the leases `workerID` holds on `taskNames`, and renews the unexpired conflict locks
    /// of the tasks it still holds to `conflictTTL` from now (never shortening one).
    ///
    /// ```swift
    /// let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["t1"], leaseTTL: .seconds(30), conflictTTL: .seconds(3600))
    /// ```
    public func heartbeat(workerID: String, taskNames: [String], leaseTTL: Duration, conflictTTL: Duration) async throws -> LeaseRenewal {
        guard !taskNames.isEmpty else { return LeaseRenewal(renewed: [], lost: [], cancelRequested: []) }
        let names = JSONValue.array(taskNames.map(JSONValue.string)).jsonText
        let (leaseSeconds, lockSeconds) = (leaseTTL.timeInterval, conflictTTL.timeInterval)
        return try await store.write(savepoint: true) { [clock = store.clock] db in
            let now = clock.now().timeIntervalSince1970
            let held = try Row.fetchAll(
                db,
                sql: """
                    SELECT task_name, cancel_requested FROM \(T.jobs)
                    WHERE task_name IN (SELECT value FROM json_each(?)) AND state = 'running' AND lease_owner = ?
                    """,
                arguments: [names, workerID])
            let renewed = Set(held.map { $0["task_name"] as String })
            let cancelRequested = Set(held.filter { $0["cancel_requested"] as Bool }.map { $0["task_name"] as String })
            if !renewed.isEmpty {
                let renewedJSON = JSONValue.array(renewed.sorted().map(JSONValue.string)).jsonText
                try db.execute(
                    sql: """
                        UPDATE \(T.jobs) SET lease_expires_at = ?, heartbeat_at = ?
                        WHERE task_name IN (SELECT value FROM json_each(?)) AND state = 'running' AND lease_owner = ?
                        """,
                    arguments: [now + leaseSeconds, now, renewedJSON, workerID])
                try db.execute(
                    sql: """
                        UPDATE \(T.locks) SET expires_at = max(expires_at, ?)
                        WHERE expires_at > ? AND owner IN (SELECT value FROM json_each(?))
                        """,
                    arguments: [now + lockSeconds, now, renewedJSON])
            }
            return LeaseRenewal(renewed: renewed, lost: Set(taskNames).subtracting(renewed), cancelRequested: cancelRequested)
        }
    }

    /// Marks the job finished: `cancelled` for ``TaskJobOutcome/cancelled``, else `done` with the
    /// outcome (`succeeded` or `failed`). Returns `false` when `workerID` does not hold it.
    @discardableResult
    public func finish(taskName: String, workerID: String, outcome: TaskJobOutcome) async throws -> Bool {
        let (state, result): (String, String) =
            switch outcome {
            case .succeeded: ("done", "succeeded")
            case .failed, .retry: ("done", "failed")
            case .cancelled, .handedBack: ("cancelled", "cancelled")
            }
        return try await store.write(savepoint: false) { [clock = store.clock] db in
            try db.execute(
                sql: """
                    UPDATE \(T.jobs) SET state = ?, outcome = ?, finished_at = ?, lease_expires_at = NULL
                    WHERE task_name = ? AND state = 'running' AND lease_owner = ?
                    """,
                arguments: [state, result, clock.now().timeIntervalSince1970, taskName, workerID])
            return db.changesCount > 0
        }
    }

    /// Puts the running job back in the queue as attempt `attempt`, claimable from `notBefore`.
    @discardableResult
    public func requeue(taskName: String, workerID: String, notBefore: Date, attempt: Int) async throws -> Bool {
        try await store.write(savepoint: false) { db in
            try db.execute(
                sql: """
                    UPDATE \(T.jobs) SET state = 'queued', attempt = ?, not_before = ?,
                        lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL, started_at = NULL
                    WHERE task_name = ? AND state = 'running' AND lease_owner = ?
                    """,
                arguments: [attempt, notBefore.timeIntervalSince1970, taskName, workerID])
            return db.changesCount > 0
        }
    }

    /// Takes over every running job whose lease ended at or before `now`, except those `sparing`
    /// runs: each stays running, leased to `reclaimer` for `leaseTTL`, until
    /// ``settleReclaimed(_:reclaimer:)`` (a job to be queued again is counted as recovered now).
    ///
    /// ```swift
    /// for reclaimed in try await queue.reclaimExpiredLeases(now: Date(), reclaimer: "w1", leaseTTL: .seconds(30)) {
    ///     print(reclaimed.job.taskName, reclaimed.action)
    ///     try await queue.settleReclaimed(reclaimed, reclaimer: "w1")
    /// }
    /// ```
    public func reclaimExpiredLeases(now: Date, sparing: LeaseHolder?, reclaimer: String, leaseTTL: Duration) async throws -> [ReclaimedJob] {
        let time = now.timeIntervalSince1970
        let ttl = leaseTTL.timeInterval
        return try await store.write(savepoint: true) { [clock = store.clock] db in
            let takenAt = clock.now().timeIntervalSince1970
            let all = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.jobColumns), lease_owner, cancel_requested FROM \(T.jobs)
                    WHERE state = 'running' AND lease_expires_at <= ? ORDER BY rowid
                    """,
                arguments: [time])
            let rows = all.filter { row in !(sparing?.holds(row["task_name"], owner: row["lease_owner"]) ?? false) }
            let takeOver = try db.cachedStatement(
                sql: """
                    UPDATE \(T.jobs) SET lease_owner = ?, lease_expires_at = ?, heartbeat_at = ?, recovered = recovered + ?
                    WHERE task_name = ?
                    """)
            return try rows.map { row in
                var job = Self.job(from: row)
                let action = ReclaimedJob.Action.deciding(for: job, cancelRequested: row["cancel_requested"])
                let counted = action == .requeued ? 1 : 0
                try takeOver.execute(arguments: [reclaimer, takenAt + ttl, takenAt, counted, job.taskName])
                if action == .requeued { job.attempt += 1 }
                job.recovered += counted
                return ReclaimedJob(job: job, action: action, lostWorker: row["lease_owner"] ?? "")
            }
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
            return try await store.write(savepoint: false) { [clock = store.clock] db in
                try db.execute(
                    sql: """
                        UPDATE \(T.jobs) SET state = 'done', outcome = ?, finished_at = ?, lease_expires_at = NULL
                        WHERE task_name = ? AND state = 'running' AND lease_owner = ?
                        """,
                    arguments: [AsyncManager.workerLostMessage, clock.now().timeIntervalSince1970, name, reclaimer])
                return db.changesCount > 0
            }
        }
    }
}
