import AsyncDash
import Foundation
import GRDB
import Synchronization

extension SQLiteStore: CoordinationStore {
    private typealias T = SQLiteSchema

    /// Takes every key for `owner` or none, in one immediate transaction (atomic across processes).
    public func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation {
        let keysJSON = Self.jsonArray(keys)
        let ttlSeconds = ttl.timeInterval
        return try await write(savepoint: true) { [clock] db in
            let now = clock.now().timeIntervalSince1970
            try self.purgeExpiredIfDue(db, now: now)
            let taken = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT key, owner FROM \(T.locks)
                        WHERE key IN (SELECT value FROM json_each(?)) AND expires_at > ? AND owner <> ?
                        """),
                arguments: [keysJSON, now, owner])
            guard taken.isEmpty else {
                return .conflict(Dictionary(taken.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first }))
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO \(T.locks) (key, owner, expires_at)
                    SELECT DISTINCT value, ?, ? FROM json_each(?) WHERE true
                    ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                    """
            ).execute(arguments: [owner, now + ttlSeconds, keysJSON])
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO \(T.lockTracking) (owner, key) SELECT ?, value FROM json_each(?)"
            ).execute(arguments: [owner, keysJSON])
            return .reserved
        }
    }

    public func lockOwners(_ keys: [String]) async throws -> [String: String] {
        let keysJSON = Self.jsonArray(keys)
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT key, owner FROM \(T.locks) WHERE key IN (SELECT value FROM json_each(?)) AND expires_at > ?"),
                arguments: [keysJSON, now])
            return Dictionary(rows.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
        }
    }

    @discardableResult
    public func releaseLocks(owner: String) async throws -> [String] {
        try await write(savepoint: true) { db in
            let released = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        DELETE FROM \(T.locks)
                        WHERE owner = ?1 AND key IN (SELECT key FROM \(T.lockTracking) WHERE owner = ?1)
                        RETURNING key
                        """),
                arguments: [owner])
            try db.cachedStatement(sql: "DELETE FROM \(T.lockTracking) WHERE owner = ?").execute(arguments: [owner])
            return released.sorted()
        }
    }

    public func locks() async throws -> [LockInfo] {
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT key, owner, expires_at FROM \(T.locks) WHERE expires_at > ? ORDER BY key"),
                arguments: [now]
            ).map { LockInfo(key: $0[0], owner: $0[1], expiresAt: Date(timeIntervalSince1970: $0[2])) }
        }
    }

    public func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws {
        let payload = progress.json.jsonText
        let ttlSeconds = ttl.timeInterval
        try await write(savepoint: false) { [clock] db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO \(T.progress) (task, payload, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (task) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at
                    """
            ).execute(arguments: [task, payload, clock.now().timeIntervalSince1970 + ttlSeconds])
        }
    }

    public func progress(for task: String) async throws -> ProgressPayload? {
        let now = clock.now().timeIntervalSince1970
        let text = try await read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT payload FROM \(T.progress) WHERE task = ? AND expires_at > ?"),
                arguments: [task, now])
        }
        return text.flatMap { ProgressPayload(json: SQLiteRecordCodec.parseJSON($0)) }
    }

    @discardableResult
    public func deleteProgress(for task: String) async throws -> Bool {
        try await write(savepoint: false) { [clock] db in
            let expiresAt = try Double.fetchOne(
                db.cachedStatement(sql: "DELETE FROM \(T.progress) WHERE task = ? RETURNING expires_at"),
                arguments: [task])
            return expiresAt.map { $0 > clock.now().timeIntervalSince1970 } ?? false
        }
    }

    public func addActiveTask(_ task: String) async throws {
        try await write(savepoint: false) { db in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO \(T.activeTasks) (task) VALUES (?)").execute(arguments: [task])
        }
    }

    @discardableResult
    public func removeActiveTask(_ task: String) async throws -> Bool {
        try await write(savepoint: false) { db in
            try db.cachedStatement(sql: "DELETE FROM \(T.activeTasks) WHERE task = ?").execute(arguments: [task])
            return db.changesCount > 0
        }
    }

    public func activeTasks() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT task FROM \(T.activeTasks) ORDER BY task"))
        }
    }

    public func deadLetter(_ letter: DeadLetter) async throws {
        let event = letter.event.jsonText
        try await write(savepoint: false) { db in
            try db.cachedStatement(sql: "INSERT INTO \(T.deadLetters) (task_name, event, reason, at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [letter.taskName, event, letter.reason, letter.at.timeIntervalSince1970])
        }
    }

    public func deadLetters() async throws -> [DeadLetter] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT task_name, event, reason, at FROM \(T.deadLetters) ORDER BY id")).map {
                DeadLetter(
                    taskName: $0[0], event: SQLiteRecordCodec.parseJSON($0[1]), reason: $0[2],
                    at: Date(timeIntervalSince1970: $0[3]))
            }
        }
    }

    /// Deletes expired locks and progress entries, and tracking entries of locks their owner no
    /// longer holds, at most once per ``purgeInterval``. They already read as absent; this only
    /// keeps the tables small.
    private func purgeExpiredIfDue(_ db: Database, now: TimeInterval) throws {
        let due = nextPurge.withLock { next in
            guard now >= next else { return false }
            next = now + Self.purgeInterval
            return true
        }
        guard due else { return }
        try db.execute(
            sql: """
                DELETE FROM \(T.locks) WHERE expires_at <= ?1;
                DELETE FROM \(T.progress) WHERE expires_at <= ?1;
                DELETE FROM \(T.lockTracking) WHERE NOT EXISTS (
                    SELECT 1 FROM \(T.locks) l WHERE l.key = \(T.lockTracking).key AND l.owner = \(T.lockTracking).owner);
                """,
            arguments: [now])
    }

    /// `strings` as JSON array text, for `json_each(?)`.
    private static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).jsonText
    }
}
