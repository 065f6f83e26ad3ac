import AsyncDash
import Foundation
import PostgresNIO

/// The ``OutboxStore`` of a PostgreSQL store: table `asyncdash_outbox`. A claim takes the
/// consumer's advisory lock for its transaction, so two processes never claim at once and each
/// task's events (one order key's) stay in order.
extension PostgresStore: OutboxStore {
    public func append(_ messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await write("appending \(messages.count) outbox events", statements: [outboxStatement(messages)])
    }

    /// The insert of `messages` (an event already there for its consumer is not added twice).
    func outboxStatement(_ messages: [OutboxMessage]) -> PostgresStatement {
        PostgresStatement(
            """
            INSERT INTO \(names.outbox) (consumer, event, created_at, next_attempt_at, event_id, order_key)
            SELECT c, e, t, $4, nullif(d, ''), k FROM unnest($1::text[], $2::text[], $3::float8[], $5::text[], $6::text[]) WITH ORDINALITY AS m(c, e, t, d, k, i)
            ORDER BY i
            ON CONFLICT (consumer, event_id) WHERE event_id IS NOT NULL DO NOTHING
            """,
            [.texts(messages.map(\.consumer)), .texts(messages.map(\.event.jsonText)),
             .doubles(messages.map(\.createdAt.timeIntervalSince1970)), .double(clock.now().timeIntervalSince1970),
             .texts(messages.map { $0.eventID ?? "" }), .texts(messages.map(\.orderKey))])
    }

    public func claim(consumer: String, owner: String, limit: Int, leaseTTL: Duration) async throws -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        let names = names
        let clock = clock
        let ttl = leaseTTL.timeInterval
        return try await transaction("claiming outbox events of '\(consumer)'") { connection in
            // One claim per consumer at a time, so two processes never lease one key's entries together.
            try await PostgresSchema.lock(connection, "outbox.\(consumer)", names: names, logger: self.logger)
            let now = clock.now().timeIntervalSince1970
            // Oldest first: due, unleased entries with no earlier pending entry of their order key
            // in flight or waiting for a retry (ordered delivery per key).
            let rows = try await connection.run(
                """
                UPDATE \(names.outbox) SET lease_owner = $4, lease_until = $5
                WHERE id IN (
                    SELECT o.id FROM \(names.outbox) AS o
                    WHERE o.consumer = $1 AND o.state = 'pending' AND o.next_attempt_at <= $2 AND (o.lease_until IS NULL OR o.lease_until <= $2)
                        AND NOT EXISTS (
                            SELECT 1 FROM \(names.outbox) AS p
                            WHERE p.consumer = o.consumer AND p.order_key = o.order_key AND p.state = 'pending' AND p.id < o.id
                                AND (p.next_attempt_at > $2 OR p.lease_until > $2))
                    ORDER BY o.id LIMIT $3)
                RETURNING \(Self.outboxColumns)
                """, [.text(consumer), .double(now), .int(limit), .text(owner), .double(now + ttl)], logger: self.logger)
            return try rows.map(Self.outboxEntry(from:)).sorted { $0.id < $1.id }
        }
    }

    public func markDelivered(_ ids: [Int64], owner: String) async throws {
        guard !ids.isEmpty else { return }
        try await run(
            "marking outbox events delivered",
            """
            UPDATE \(names.outbox) SET state = 'delivered', attempts = attempts + 1, delivered_at = $1, lease_owner = NULL, lease_until = NULL
            WHERE id = ANY($2::bigint[]) AND lease_owner = $3 AND state = 'pending'
            """, [.double(clock.now().timeIntervalSince1970), .ints(ids.map { Int($0) }), .text(owner)])
    }

    public func markFailed(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        try await run(
            "recording a failed delivery",
            """
            UPDATE \(names.outbox) SET attempts = attempts + 1, last_error = $1, lease_owner = NULL, lease_until = NULL,
                state = CASE WHEN $2::float8 IS NULL THEN 'dead' ELSE 'pending' END, next_attempt_at = coalesce($2::float8, next_attempt_at)
            WHERE id = $3 AND lease_owner = $4 AND state = 'pending'
            """, [.text(error), retryAt.map { .double($0.timeIntervalSince1970) } ?? .null, .int(Int(id)), .text(owner)])
    }

    public func release(_ ids: [Int64], owner: String) async throws {
        guard !ids.isEmpty else { return }
        try await run(
            "releasing outbox events",
            "UPDATE \(names.outbox) SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::bigint[]) AND lease_owner = $2",
            [.ints(ids.map { Int($0) }), .text(owner)])
    }

    public func entries(consumer: String?, states: Set<OutboxState>, limit: Int) async throws -> [OutboxEntry] {
        let names = names
        let parameters: [PostgresValue] = [
            consumer.map(PostgresValue.text) ?? .null, .bool(states.isEmpty), .texts(states.map(\.rawValue)), .int(max(0, limit)),
        ]
        return try await scan("the outbox entries") { connection in
            try await connection.run(
                """
                SELECT \(Self.outboxColumns) FROM \(names.outbox)
                WHERE ($1::text IS NULL OR consumer = $1::text) AND ($2::boolean OR state = ANY($3::text[]))
                ORDER BY id LIMIT $4
                """, parameters, logger: self.logger
            ).map(Self.outboxEntry(from:))
        }
    }

    @discardableResult
    public func retryDead(_ id: Int64) async throws -> Bool {
        try await !run(
            "retrying outbox event \(id)",
            "UPDATE \(names.outbox) SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state = 'dead' RETURNING 1",
            [.double(clock.now().timeIntervalSince1970), .int(Int(id))]
        ).isEmpty
    }

    @discardableResult
    public func requeue(_ ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await run(
            "requeueing outbox events",
            """
            UPDATE \(names.outbox) SET state = 'pending', attempts = 0, next_attempt_at = $1, delivered_at = NULL,
                lease_owner = NULL, lease_until = NULL
            WHERE id = ANY($2) AND state <> 'pending' RETURNING 1
            """,
            [.double(clock.now().timeIntervalSince1970), .ints(ids.map { Int($0) })]
        ).count
    }

    @discardableResult
    public func removeDead(_ ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await run(
            "removing dead outbox events", "DELETE FROM \(names.outbox) WHERE id = ANY($1) AND state = 'dead' RETURNING 1", [.ints(ids.map { Int($0) })]
        ).count
    }

    @discardableResult
    public func prune(_ state: OutboxState, _ limit: RetentionLimit) async throws -> Int {
        switch state {
        case .pending: 0
        case .delivered: try await prune(table: names.outbox, time: "delivered_at", where: "state = 'delivered'", limit)
        case .dead: try await prune(table: names.outbox, time: "created_at", where: "state = 'dead'", limit)
        }
    }

    static let outboxColumns = "id, consumer, event, created_at, state, attempts, last_error, next_attempt_at, delivered_at, event_id, order_key"

    static func outboxEntry(from row: PostgresRow) throws -> OutboxEntry {
        OutboxEntry(
            id: Int64(try row.required(0, as: Int.self)),
            message: OutboxMessage(
                consumer: try row.required(1), event: PostgresRecordCodec.parseJSON(try row.required(2)),
                createdAt: Date(timeIntervalSince1970: try row.required(3)), eventID: try row.value(9), orderKey: try row.required(10)),
            state: OutboxState(rawValue: try row.required(4)) ?? .pending,
            attempts: try row.required(5),
            lastError: try row.value(6),
            nextAttemptAt: Date(timeIntervalSince1970: try row.required(7)),
            deliveredAt: try row.value(8, as: Double.self).map(Date.init(timeIntervalSince1970:)))
    }
}

extension PostgresStore {
    /// How many rows one retention statement deletes, so no transaction holds many row locks.
    static let pruneBatch = 5_000

    public func prune(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: names.audit, time: "at", where: "true", limit)
    }

    public func pruneDeadLetters(_ limit: RetentionLimit) async throws -> Int {
        try await prune(table: names.deadLetters, time: "at", where: "true", limit)
    }

    /// Deletes the rows of `table` matching `condition` whose `time` (seconds since 1970) is before
    /// `limit.before`, then all but the newest `limit.keepNewest` of them (by time, then `id`), in
    /// batches of ``pruneBatch``; returns how many. (`id` is the row's serial column.)
    func prune(table: String, time: String, where condition: String, _ limit: RetentionLimit, id: String = "id") async throws -> Int {
        var deleted = 0
        func batches(_ match: String, _ values: [PostgresValue]) async throws {
            let statement = """
                WITH gone AS (DELETE FROM \(table) WHERE \(id) IN (
                    SELECT \(id) FROM \(table) WHERE \(condition) AND \(match) LIMIT \(Self.pruneBatch)) RETURNING 1)
                SELECT count(*) FROM gone
                """
            while true {
                let count = try await run("pruning \(table)", statement, values).first?.required(0, as: Int.self) ?? 0
                deleted += count
                if count < Self.pruneBatch { return }
            }
        }
        if let cutoff = limit.before {
            try await batches("\(time) < $1", [.double(cutoff.timeIntervalSince1970)])
        }
        if let keep = limit.keepNewest {
            // The newest row past the ones kept: it and everything older goes.
            let pivot = try await run(
                "pruning \(table)", "SELECT \(time), \(id) FROM \(table) WHERE \(condition) ORDER BY \(time) DESC, \(id) DESC LIMIT 1 OFFSET $1",
                [.int(keep)]
            ).first
            if let pivot {
                let at = try pivot.required(0, as: Double.self)
                let rowID = try pivot.required(1, as: Int.self)
                try await batches("(\(time) < $1 OR (\(time) = $1 AND \(id) <= $2))", [.double(at), .int(rowID)])
            }
        }
        return deleted
    }
}
