import AsyncDash
import Foundation
import GRDB

/// The ``OutboxStore`` of a SQLite store: table `asyncdash_outbox`. Each change is one immediate
/// transaction (the store's group commit), so processes on one file never deliver one task's
/// events (one order key's) out of order.
extension SQLiteStore: OutboxStore {
    typealias O = SQLiteSchema

    public func append(_ messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await write(savepoint: messages.count > 1) { [clock] db in
            try Self.insert(messages, now: clock.now(), db)
        }
    }

    /// Applies `change` and appends `messages` in one transaction.
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return try await apply(model, key: key, change) }
        let (sql, values) = try applyStatement(for: change, model: model, key: key)
        try await writeRecords(model, savepoint: true) { [clock] db in
            let insert = try SQLiteRawStatement(db, sql)
            defer { insert.reset() }
            for (offset, value) in values.enumerated() { insert.bind(value, at: Int32(offset + 1)) }
            try insert.execute()
            try Self.insert(messages, now: clock.now(), db)
        }
    }

    static func insert(_ messages: [OutboxMessage], now: Date, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO \(O.outbox) (consumer, event, created_at, next_attempt_at, event_id, order_key) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """)
        for message in messages {
            try statement.execute(arguments: [
                message.consumer, message.event.jsonText, message.createdAt.timeIntervalSince1970, now.timeIntervalSince1970, message.eventID,
                message.orderKey,
            ])
        }
    }

    public func claim(consumer: String, owner: String, limit: Int, leaseTTL: Duration) async throws -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        let ttl = leaseTTL.timeInterval
        return try await write(savepoint: true) { [clock] db in
            let now = clock.now().timeIntervalSince1970
            // Oldest first: due, unleased entries with no earlier pending entry of their order key
            // in flight or waiting for a retry (ordered delivery per key).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM \(O.outbox) AS o
                    WHERE o.consumer = ?1 AND o.state = 'pending' AND o.next_attempt_at <= ?2 AND (o.lease_until IS NULL OR o.lease_until <= ?2)
                        AND NOT EXISTS (
                            SELECT 1 FROM \(O.outbox) AS p
                            WHERE p.consumer = o.consumer AND p.order_key = o.order_key AND p.state = 'pending' AND p.id < o.id
                                AND (p.next_attempt_at > ?2 OR p.lease_until > ?2))
                    ORDER BY o.id LIMIT ?3
                    """,
                arguments: [consumer, now, limit])
            let take = try db.cachedStatement(sql: "UPDATE \(O.outbox) SET lease_owner = ?, lease_until = ? WHERE id = ?")
            for row in rows { try take.execute(arguments: [owner, now + ttl, row["id"] as Int64]) }
            return rows.map(Self.entry(from:))
        }
    }

    public func markDelivered(_ ids: [Int64], owner: String) async throws {
        guard !ids.isEmpty else { return }
        let list = JSONValue.array(ids.map { .int(Int($0)) }).jsonText
        try await write(savepoint: false) { [clock] db in
            try db.execute(
                sql: """
                    UPDATE \(O.outbox) SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, lease_owner = NULL, lease_until = NULL
                    WHERE id IN (SELECT value FROM json_each(?)) AND lease_owner = ? AND state = 'pending'
                    """,
                arguments: [clock.now().timeIntervalSince1970, list, owner])
        }
    }

    public func markFailed(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        try await write(savepoint: false) { db in
            try db.execute(
                sql: """
                    UPDATE \(O.outbox) SET attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = NULL,
                        state = CASE WHEN ? IS NULL THEN 'dead' ELSE 'pending' END, next_attempt_at = coalesce(?, next_attempt_at)
                    WHERE id = ? AND lease_owner = ? AND state = 'pending'
                    """,
                arguments: [error, retryAt?.timeIntervalSince1970, retryAt?.timeIntervalSince1970, id, owner])
        }
    }

    public func release(_ ids: [Int64], owner: String) async throws {
        guard !ids.isEmpty else { return }
        let list = JSONValue.array(ids.map { .int(Int($0)) }).jsonText
        try await write(savepoint: false) { db in
            try db.execute(
                sql: "UPDATE \(O.outbox) SET lease_owner = NULL, lease_until = NULL WHERE id IN (SELECT value FROM json_each(?)) AND lease_owner = ?",
                arguments: [list, owner])
        }
    }

    public func entries(consumer: String?, states: Set<OutboxState>, limit: Int) async throws -> [OutboxEntry] {
        let stateList = JSONValue.array(states.map { .string($0.rawValue) }).jsonText
        return try await scans.read("the outbox entries") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM \(O.outbox)
                    WHERE (? IS NULL OR consumer = ?) AND (? OR state IN (SELECT value FROM json_each(?)))
                    ORDER BY id LIMIT ?
                    """,
                arguments: [consumer, consumer, states.isEmpty, stateList, max(0, limit)]
            ).map(Self.entry(from:))
        }
    }

    @discardableResult
    public func retryDead(_ id: Int64) async throws -> Bool {
        try await write(savepoint: false) { [clock] db in
            try db.execute(
                sql: "UPDATE \(O.outbox) SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state = 'dead'",
                arguments: [clock.now().timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func requeue(_ ids: [Int64]) async throws -> Int {
        try await changeOutbox(ids) { [clock] ids, db in
            try db.execute(
                sql: """
                    UPDATE \(O.outbox) SET state = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL,
                        lease_owner = NULL, lease_until = NULL
                    WHERE state <> 'pending' AND id IN (\(Self.placeholders(ids.count)))
                    """,
                arguments: StatementArguments([clock.now().timeIntervalSince1970 as any DatabaseValueConvertible] + ids.map { $0 as any DatabaseValueConvertible }))
        }
    }

    @discardableResult
    public func removeDead(_ ids: [Int64]) async throws -> Int {
        try await changeOutbox(ids) { ids, db in
            try db.execute(
                sql: "DELETE FROM \(O.outbox) WHERE state = 'dead' AND id IN (\(Self.placeholders(ids.count)))", arguments: StatementArguments(ids))
        }
    }

    /// Runs `statement` over `ids` (distinct, 500 at a time) in one write; returns the rows changed.
    private func changeOutbox(_ ids: [Int64], _ statement: @escaping @Sendable ([Int64], Database) throws -> Void) async throws -> Int {
        let distinct = Array(Set(ids)).sorted()
        guard !distinct.isEmpty else { return 0 }
        return try await write(savepoint: false) { db in
            var changed = 0
            for start in stride(from: 0, to: distinct.count, by: 500) {
                try statement(Array(distinct[start..<min(start + 500, distinct.count)]), db)
                changed += db.changesCount
            }
            return changed
        }
    }

    /// `?, ?, …` (`count` of them).
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    @discardableResult
    public func prune(_ state: OutboxState, _ limit: RetentionLimit) async throws -> Int {
        switch state {
        case .pending: 0
        case .delivered: try await prune(table: O.outbox, time: "delivered_at", where: "state = 'delivered'", limit)
        case .dead: try await prune(table: O.outbox, time: "created_at", where: "state = 'dead'", limit)
        }
    }

    static func entry(from row: Row) -> OutboxEntry {
        let event: String = row["event"]
        return OutboxEntry(
            id: row["id"],
            message: OutboxMessage(
                consumer: row["consumer"], event: SQLiteRecordCodec.parseJSON(event), createdAt: Date(timeIntervalSince1970: row["created_at"]),
                eventID: row["event_id"], orderKey: row["order_key"]),
            state: OutboxState(rawValue: row["state"]) ?? .pending,
            attempts: row["attempts"],
            lastError: row["last_error"],
            nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]),
            deliveredAt: (row["delivered_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
