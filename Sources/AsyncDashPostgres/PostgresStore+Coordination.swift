import AsyncDash
import Foundation
import PostgresNIO
import Synchronization

extension PostgresStore: CoordinationStore {
    /// Takes every key for `owner` or none, in one transaction: one `INSERT … ON CONFLICT DO
    /// UPDATE … WHERE` takes the free, expired and own keys in key order (so two reservations
    /// never deadlock); when it could not take all of them, the transaction is rolled back and
    /// the holders of the others are reported.
    public func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation {
        let unique = Array(Set(keys)).sorted()
        guard !unique.isEmpty else { return .reserved }
        let ttlSeconds = ttl.timeInterval
        for _ in 0..<5 {
            switch try await reserve(unique, owner: owner, ttlSeconds: ttlSeconds) {
            case nil: return .reserved
            case let conflicts? where !conflicts.isEmpty: return .conflict(conflicts)
            case _?: continue  // the holders left between the two statements: try again
            }
        }
        guard let conflicts = try await reserve(unique, owner: owner, ttlSeconds: ttlSeconds), !conflicts.isEmpty else { return .reserved }
        return .conflict(conflicts)
    }

    /// One attempt, in a group-committed batch (the store's reservation function, all or
    /// nothing): `nil` when every key was taken, else the holders of the others (empty when they
    /// left meanwhile).
    private func reserve(_ unique: [String], owner: String, ttlSeconds: Double) async throws -> [String: String]? {
        let now = clock.now().timeIntervalSince1970
        var statements = purgeStatementsIfDue(now: now)
        statements.append(
            PostgresStatement(
                "SELECT lock_key, holder FROM \(names.reserveFunction)($1, $2, $3, $4::text[])",
                [.text(owner), .double(now + ttlSeconds), .double(now), .texts(unique)], returnsRows: true))
        let rows = try await write("reserving locks for '\(owner)'", statements: statements)
        guard !rows.isEmpty else { return nil }
        var conflicts: [String: String] = [:]
        for row in rows where row["lock_key"] != .null {
            conflicts[try row.text("lock_key")] = try row.text("holder")
        }
        return conflicts
    }

    public func lockOwners(_ keys: [String]) async throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await run(
            "reading lock owners", "SELECT key, owner FROM \(names.locks) WHERE key = ANY($1::text[]) AND expires_at > $2",
            [.texts(keys), .double(clock.now().timeIntervalSince1970)])
        var owners: [String: String] = [:]
        for row in rows { owners[try row.required(0, as: String.self)] = try row.required(1, as: String.self) }
        return owners
    }

    /// Releases the locks `owner` still holds (its tracking set is the owner index of the lock table).
    @discardableResult
    public func releaseLocks(owner: String) async throws -> [String] {
        try await write(
            "releasing the locks of '\(owner)'",
            statements: [.delete(from: names.locks, where: "owner", equals: owner, returning: ["key"])]
        ).map { try $0.text("key") }.sorted()
    }

    public func locks() async throws -> [LockInfo] {
        try await run(
            "reading the locks", "SELECT key, owner, expires_at, acquired_at FROM \(names.locks) WHERE expires_at > $1",
            [.double(clock.now().timeIntervalSince1970)]
        ).map { row in
            LockInfo(
                key: try row.required(0), owner: try row.required(1), expiresAt: Date(timeIntervalSince1970: try row.required(2)),
                acquiredAt: try row.value(3, as: Double.self).map(Date.init(timeIntervalSince1970:)))
        }.sorted { $0.key < $1.key }
    }

    public func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws {
        try await write(
            "writing the progress of '\(task)'",
            statements: [
                .insert(
                    "INSERT INTO \(names.progress) (task, payload, expires_at)", types: ["text", "text", "double precision"],
                    row: [.text(task), .text(progress.json.jsonText), .double(clock.now().timeIntervalSince1970 + ttl.timeInterval)],
                    "ON CONFLICT (task) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at", key: 0)
            ])
    }

    public func progress(for task: String) async throws -> ProgressPayload? {
        try await run(
            "reading the progress of '\(task)'", "SELECT payload FROM \(names.progress) WHERE task = $1 AND expires_at > $2",
            [.text(task), .double(clock.now().timeIntervalSince1970)]
        ).first.flatMap { ProgressPayload(json: PostgresRecordCodec.parseJSON(try $0.required(0))) }
    }

    @discardableResult
    public func deleteProgress(for task: String) async throws -> Bool {
        let rows = try await write(
            "deleting the progress of '\(task)'",
            statements: [.delete(from: names.progress, where: "task", equals: task, returning: ["expires_at"])])
        guard let expiresAt = try rows.first?.double("expires_at") else { return false }
        return expiresAt > clock.now().timeIntervalSince1970
    }

    public func addActiveTask(_ task: String) async throws {
        try await write(
            "adding '\(task)' to the active set",
            statements: [.insert("INSERT INTO \(names.activeTasks) (task)", types: ["text"], row: [.text(task)], "ON CONFLICT (task) DO NOTHING")])
    }

    @discardableResult
    public func removeActiveTask(_ task: String) async throws -> Bool {
        try await !write(
            "removing '\(task)' from the active set",
            statements: [.delete(from: names.activeTasks, where: "task", equals: task, returning: [])]
        ).isEmpty
    }

    public func activeTasks() async throws -> [String] {
        try await run("reading the active set", "SELECT task FROM \(names.activeTasks)").map { try $0.required(0, as: String.self) }.sorted()
    }

    public func isActiveTask(_ task: String) async throws -> Bool {
        try await !run("reading the active set", "SELECT 1 FROM \(names.activeTasks) WHERE task = $1", [.text(task)]).isEmpty
    }

    public func deadLetter(_ letter: DeadLetter) async throws {
        try await write(
            "keeping a dead letter of '\(letter.taskName)'",
            statements: [
                .insert(
                    "INSERT INTO \(names.deadLetters) (task_name, event, reason, at)", types: ["text", "text", "text", "double precision"],
                    row: [.text(letter.taskName), .text(letter.event.jsonText), .text(letter.reason), .double(letter.at.timeIntervalSince1970)], "")
            ])
    }

    public func deadLetters() async throws -> [DeadLetter] {
        let names = names
        return try await scan("the dead letters") { connection in
            try await connection.run("SELECT task_name, event, reason, at FROM \(names.deadLetters) ORDER BY id", logger: self.logger).map { row in
                DeadLetter(
                    taskName: try row.required(0), event: PostgresRecordCodec.parseJSON(try row.required(1)), reason: try row.required(2),
                    at: Date(timeIntervalSince1970: try row.required(3)))
            }
        }
    }

    /// The deletes of expired locks and progress entries, at most once per ``purgeInterval``
    /// (else none). They already read as absent; this only keeps the tables small.
    func purgeStatementsIfDue(now: TimeInterval) -> [PostgresStatement] {
        let due = nextPurge.withLock { next in
            guard now >= next else { return false }
            next = now + Self.purgeInterval
            return true
        }
        guard due else { return [] }
        return [
            PostgresStatement("DELETE FROM \(names.locks) WHERE expires_at <= $1", [.double(now)]),
            PostgresStatement("DELETE FROM \(names.progress) WHERE expires_at <= $1", [.double(now)]),
        ]
    }
}

extension PostgresStore: AuditLog {
    public func append(_ entry: AuditEntry) async throws {
        try await write(
            "writing an audit entry of '\(entry.taskName)'",
            statements: [
                .insert(
                    "INSERT INTO \(names.audit) (task_name, action, actor, at, outcome)", types: ["text", "text", "text", "double precision", "text"],
                    row: [.text(entry.taskName), .text(entry.action), .text(entry.actor), .double(entry.at.timeIntervalSince1970), .text(entry.outcome)], "")
            ])
    }

    public func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry] {
        try await run(
            "reading the audit entries of '\(taskName)'",
            "SELECT task_name, action, actor, at, outcome FROM \(names.audit) WHERE task_name = $1 ORDER BY id DESC LIMIT $2",
            [.text(taskName), .int(max(0, limit))]
        ).map { row in
            AuditEntry(
                taskName: try row.required(0), action: try row.required(1), actor: try row.required(2),
                at: Date(timeIntervalSince1970: try row.required(3)), outcome: try row.required(4))
        }
    }
}
