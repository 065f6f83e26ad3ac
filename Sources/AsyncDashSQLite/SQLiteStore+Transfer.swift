import AsyncDash
import Foundation
import GRDB

/// What a SQLite store hands over, and takes in, when an installation moves (``StoreCopy``):
/// each import is one transaction per batch.
extension SQLiteStore {
    /// Writes a batch of records in one transaction, each replacing the record with its key.
    public func importRecords(_ model: RecordModel, _ records: [AsyncDash.Record]) async throws {
        guard !records.isEmpty else { return }
        let sql = sql(for: model)
        let keyed: [(key: String, record: AsyncDash.Record)] = try records.map { record in
            guard case .text(let key) = record[model.keyColumn] else {
                throw AsyncDashError(
                    .invalidArgument, value: record[model.keyColumn].json.jsonText,
                    message: "a record to import into '\(model.name)' has no text key in column '\(model.keyColumn)'")
            }
            return (key, record)
        }
        try await writeRecords(model, savepoint: true) { db in
            let select = try SQLiteRawStatement(db, sql.selectByKey)
            defer { select.reset() }
            for (key, record) in keyed {
                select.bind(key, at: 1)
                let rowID: Int64? = try select.step() ? select.int64(0) : nil
                select.reset()
                let write = try SQLiteRawStatement(db, rowID == nil ? sql.insert : sql.update)
                defer { write.reset() }
                _ = try sql.bind(record, to: write)
                if let rowID { write.bind(rowID, at: Int32(model.columns.count + 1)) }
                try write.execute()
            }
        }
    }

    public func exportEntries(after position: Int64, limit: Int) async throws -> TransferPage<AuditEntry> {
        let rows = try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, task_name, action, actor, at, outcome FROM \(SQLiteSchema.audit) WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [position, max(0, limit)]
            ).map { row in
                (id: row[0] as Int64,
                 entry: AuditEntry(taskName: row[1], action: row[2], actor: row[3], at: Date(timeIntervalSince1970: row[4]), outcome: row[5]))
            }
        }
        return TransferPage(items: rows.map(\.entry), limit: limit, lastPosition: rows.last?.id)
    }

    public func importEntries(_ entries: [AuditEntry]) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        return try await write(savepoint: true) { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO \(SQLiteSchema.audit) (task_name, action, actor, at, outcome)
                    SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (
                        SELECT 1 FROM \(SQLiteSchema.audit) WHERE task_name = ?1 AND action = ?2 AND actor = ?3 AND at = ?4 AND outcome = ?5)
                    """)
            var added = 0
            for entry in entries {
                try insert.execute(arguments: [entry.taskName, entry.action, entry.actor, entry.at.timeIntervalSince1970, entry.outcome])
                added += db.changesCount
            }
            return added
        }
    }

    public func exportUndelivered(after id: Int64, limit: Int) async throws -> TransferPage<OutboxEntry> {
        let entries = try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM \(SQLiteSchema.outbox) WHERE id > ? AND state <> 'delivered' ORDER BY id LIMIT ?",
                arguments: [id, max(0, limit)]
            ).map(Self.entry(from:))
        }
        return TransferPage(items: entries, limit: limit, lastPosition: entries.last?.id)
    }

    public func importUndelivered(_ entries: [OutboxEntry]) async throws -> Int {
        let undelivered = entries.filter { $0.state != .delivered }
        guard !undelivered.isEmpty else { return 0 }
        return try await write(savepoint: true) { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO \(SQLiteSchema.outbox) (consumer, event, created_at, state, attempts, last_error, next_attempt_at, event_id, order_key)
                    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
                    WHERE ?8 IS NOT NULL OR NOT EXISTS (
                        SELECT 1 FROM \(SQLiteSchema.outbox) WHERE consumer = ?1 AND event_id IS NULL AND created_at = ?3 AND event = ?2)
                    ON CONFLICT DO NOTHING
                    """)
            var added = 0
            for entry in undelivered {
                let message = entry.message
                try insert.execute(arguments: [
                    message.consumer, message.event.jsonText, message.createdAt.timeIntervalSince1970, entry.state.rawValue,
                    entry.attempts, entry.lastError, entry.nextAttemptAt.timeIntervalSince1970, message.eventID, message.orderKey,
                ])
                added += db.changesCount
            }
            return added
        }
    }

    public func exportJobs(after position: Int64, limit: Int) async throws -> TransferPage<TransferredJob> {
        let rows = try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT rowid, \(SQLiteTaskQueue.jobColumns), state, not_before, lease_owner, lease_expires_at, cancel_requested
                    FROM \(SQLiteSchema.jobs) WHERE rowid > ? AND state IN ('queued', 'running') ORDER BY rowid LIMIT ?
                    """,
                arguments: [position, max(0, limit)]
            ).map { row in
                let running = row["state"] as String == "running"
                return (
                    position: row["rowid"] as Int64,
                    job: TransferredJob(
                        job: SQLiteTaskQueue.job(from: row), notBefore: Date(timeIntervalSince1970: row["not_before"]),
                        leaseOwner: running ? row["lease_owner"] : nil,
                        leaseExpiresAt: running ? (row["lease_expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)) : nil,
                        cancelRequested: row["cancel_requested"]))
            }
        }
        return TransferPage(items: rows.map(\.job), limit: limit, lastPosition: rows.last?.position)
    }

    public func importJobs(_ jobs: [TransferredJob]) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await write(savepoint: true) { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO \(SQLiteSchema.jobs)
                        (task_name, function_name, args, attempt, max_attempts, state, not_before, enqueued_at, recovered, cancel_requested)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (task_name) DO NOTHING
                    """)
            var added = 0
            for transferred in jobs {
                let job = transferred.job
                try insert.execute(arguments: [
                    job.taskName, job.functionName, job.args.jsonText, job.attempt, job.maxAttempts,
                    transferred.notBefore.timeIntervalSince1970, job.enqueuedAt.timeIntervalSince1970, job.recovered,
                    transferred.cancelRequested,
                ])
                added += db.changesCount
            }
            return added
        }
    }
}
