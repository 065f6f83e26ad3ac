import AsyncDash
import Foundation
import PostgresNIO

/// What a PostgreSQL store hands over, and takes in, when an installation moves (``StoreCopy``):
/// each import is one transaction per batch, the queue's, the audit log's and the outbox's one
/// statement each.
extension PostgresStore {
    /// Writes a batch of records in one transaction, each replacing the record with its key.
    public func importRecords(_ model: RecordModel, _ records: [Record]) async throws {
        guard !records.isEmpty else { return }
        let sql = sql(for: model)
        let rows = try records.map { record in
            guard case .text = record[model.keyColumn] else {
                throw AsyncDashError(
                    .invalidArgument, value: record[model.keyColumn].json.jsonText,
                    message: "a record to import into '\(model.name)' has no text key in column '\(model.keyColumn)'")
            }
            return try sql.parameters(of: record).values
        }
        let placeholders = sql.quotedNames.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let assignments = sql.quotedNames.enumerated().compactMap { index, name in index == sql.keyIndex ? nil : "\(name) = excluded.\(name)" }
        let conflict = assignments.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(assignments.joined(separator: ", "))"
        let insert = "INSERT INTO \(sql.table) (\(sql.quotedNames.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT (\(sql.key)) \(conflict)"
        try await transaction("importing \(records.count) records of \(model.table)") { connection in
            for values in rows { try await connection.run(insert, values, logger: self.logger) }
        }
    }

    public func exportEntries(after position: Int64, limit: Int) async throws -> TransferPage<AuditEntry> {
        let rows = try await run(
            "reading audit entries to copy",
            "SELECT id, task_name, action, actor, at, outcome FROM \(names.audit) WHERE id > $1 ORDER BY id LIMIT $2",
            [.int(Int(position)), .int(max(0, limit))])
        let entries = try rows.map { row in
            AuditEntry(
                taskName: try row.required(1), action: try row.required(2), actor: try row.required(3),
                at: Date(timeIntervalSince1970: try row.required(4)), outcome: try row.required(5))
        }
        return TransferPage(items: entries, limit: limit, lastPosition: try rows.last.map { Int64(try $0.required(0, as: Int.self)) })
    }

    public func importEntries(_ entries: [AuditEntry]) async throws -> Int {
        var seen = Set<AuditEntry>()
        let distinct = entries.filter { seen.insert($0).inserted }
        guard !distinct.isEmpty else { return 0 }
        let audit = names.audit
        return try await run(
            "importing \(distinct.count) audit entries",
            """
            INSERT INTO \(audit) (task_name, action, actor, at, outcome)
            SELECT t, a, r, w, o FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[]) WITH ORDINALITY AS m(t, a, r, w, o, i)
            WHERE NOT EXISTS (SELECT 1 FROM \(audit) x WHERE x.task_name = m.t AND x.action = m.a AND x.actor = m.r AND x.at = m.w AND x.outcome = m.o)
            ORDER BY i RETURNING 1
            """,
            [.texts(distinct.map(\.taskName)), .texts(distinct.map(\.action)), .texts(distinct.map(\.actor)),
             .doubles(distinct.map(\.at.timeIntervalSince1970)), .texts(distinct.map(\.outcome))]
        ).count
    }

    public func exportUndelivered(after id: Int64, limit: Int) async throws -> TransferPage<OutboxEntry> {
        let entries = try await run(
            "reading outbox entries to copy",
            "SELECT \(Self.outboxColumns) FROM \(names.outbox) WHERE id > $1 AND state <> 'delivered' ORDER BY id LIMIT $2",
            [.int(Int(id)), .int(max(0, limit))]
        ).map(Self.outboxEntry(from:))
        return TransferPage(items: entries, limit: limit, lastPosition: entries.last?.id)
    }

    public func importUndelivered(_ entries: [OutboxEntry]) async throws -> Int {
        let undelivered = entries.filter { $0.state != .delivered }
        guard !undelivered.isEmpty else { return 0 }
        return try await run(
            "importing \(undelivered.count) outbox entries",
            """
            INSERT INTO \(names.outbox) (consumer, event, created_at, state, attempts, last_error, next_attempt_at, event_id, order_key)
            SELECT c, e, t, s, n, CASE WHEN h THEN l END, x, nullif(d, ''), k
            FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::int8[], $6::text[], $7::bool[], $8::float8[], $9::text[], $10::text[])
                WITH ORDINALITY AS m(c, e, t, s, n, l, h, x, d, k, i)
            WHERE d <> '' OR NOT EXISTS (
                SELECT 1 FROM \(names.outbox) o WHERE o.consumer = m.c AND o.event_id IS NULL AND o.created_at = m.t AND o.event = m.e)
            ORDER BY i
            ON CONFLICT (consumer, event_id) WHERE event_id IS NOT NULL DO NOTHING RETURNING 1
            """,
            [.texts(undelivered.map(\.message.consumer)), .texts(undelivered.map(\.message.event.jsonText)),
             .doubles(undelivered.map(\.message.createdAt.timeIntervalSince1970)), .texts(undelivered.map(\.state.rawValue)),
             .ints(undelivered.map(\.attempts)), .texts(undelivered.map { $0.lastError ?? "" }), .bools(undelivered.map { $0.lastError != nil }),
             .doubles(undelivered.map(\.nextAttemptAt.timeIntervalSince1970)), .texts(undelivered.map { $0.message.eventID ?? "" }),
             .texts(undelivered.map(\.message.orderKey))]
        ).count
    }

    public func exportJobs(after position: Int64, limit: Int) async throws -> TransferPage<TransferredJob> {
        let rows = try await run(
            "reading jobs to copy",
            """
            SELECT \(PostgresTaskQueue.jobColumns), seq, state, not_before, lease_owner, lease_expires_at, cancel_requested
            FROM \(names.jobs) WHERE seq > $1 AND state IN ('queued', 'running') ORDER BY seq LIMIT $2
            """,
            [.int(Int(position)), .int(max(0, limit))])
        let jobs = try rows.map { row in
            let running = try row.required(8, as: String.self) == "running"
            return TransferredJob(
                job: try PostgresTaskQueue.job(from: row), notBefore: Date(timeIntervalSince1970: try row.required(9)),
                leaseOwner: running ? try row.value(10) : nil,
                leaseExpiresAt: running ? try row.value(11, as: Double.self).map(Date.init(timeIntervalSince1970:)) : nil,
                cancelRequested: try row.required(12))
        }
        return TransferPage(items: jobs, limit: limit, lastPosition: try rows.last.map { Int64(try $0.required(7, as: Int.self)) })
    }

    public func importJobs(_ jobs: [TransferredJob]) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await run(
            "importing \(jobs.count) jobs",
            """
            INSERT INTO \(names.jobs) (task_name, function_name, args, attempt, max_attempts, state, not_before, enqueued_at, recovered, cancel_requested)
            SELECT n, f, a, t, m, 'queued', b, e, r, c
            FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::float8[], $7::float8[], $8::int8[], $9::bool[])
                WITH ORDINALITY AS j(n, f, a, t, m, b, e, r, c, i)
            ORDER BY i
            ON CONFLICT (task_name) DO NOTHING RETURNING 1
            """,
            [.texts(jobs.map(\.job.taskName)), .texts(jobs.map(\.job.functionName)), .texts(jobs.map(\.job.args.jsonText)),
             .ints(jobs.map(\.job.attempt)), .ints(jobs.map(\.job.maxAttempts)), .doubles(jobs.map(\.notBefore.timeIntervalSince1970)),
             .doubles(jobs.map(\.job.enqueuedAt.timeIntervalSince1970)), .ints(jobs.map(\.job.recovered)), .bools(jobs.map(\.cancelRequested))]
        ).count
    }
}
