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
            let taken = try SQLiteRawStatement(
                db,
                """
                SELECT key, owner FROM \(T.locks)
                WHERE key IN (SELECT value FROM json_each(?1)) AND expires_at > ?2 AND owner <> ?3
                """)
            defer { taken.reset() }
            taken.bind(keysJSON, at: 1)
            taken.bind(now, at: 2)
            taken.bind(owner, at: 3)
            var conflicts: [String: String] = [:]
            while try taken.step() { conflicts[taken.text(0)] = taken.text(1) }
            guard conflicts.isEmpty else { return .conflict(conflicts) }
            let lock = try SQLiteRawStatement(
                db,
                """
                INSERT INTO \(T.locks) (key, owner, expires_at)
                SELECT DISTINCT value, ?1, ?2 FROM json_each(?3) WHERE true
                ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                """)
            defer { lock.reset() }
            lock.bind(owner, at: 1)
            lock.bind(now + ttlSeconds, at: 2)
            lock.bind(keysJSON, at: 3)
            try lock.execute()
            let track = try SQLiteRawStatement(
                db, "INSERT OR IGNORE INTO \(T.lockTracking) (owner, key) SELECT ?1, value FROM json_each(?2)")
            defer { track.reset() }
            track.bind(owner, at: 1)
            track.bind(keysJSON, at: 2)
            try track.execute()
            return .reserved
        }
    }

    public func lockOwners(_ keys: [String]) async throws -> [String: String] {
        let keysJSON = Self.jsonArray(keys)
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            let select = try SQLiteRawStatement(
                db, "SELECT key, owner FROM \(T.locks) WHERE key IN (SELECT value FROM json_each(?1)) AND expires_at > ?2")
            defer { select.reset() }
            select.bind(keysJSON, at: 1)
            select.bind(now, at: 2)
            var owners: [String: String] = [:]
            while try select.step() { owners[select.text(0)] = select.text(1) }
            return owners
        }
    }

    @discardableResult
    public func releaseLocks(owner: String) async throws -> [String] {
        try await write(savepoint: true) { db in
            let release = try SQLiteRawStatement(
                db,
                """
                DELETE FROM \(T.locks)
                WHERE owner = ?1 AND key IN (SELECT key FROM \(T.lockTracking) WHERE owner = ?1)
                RETURNING key
                """)
            defer { release.reset() }
            release.bind(owner, at: 1)
            var released: [String] = []
            while try release.step() { released.append(release.text(0)) }
            release.reset()
            let untrack = try SQLiteRawStatement(db, "DELETE FROM \(T.lockTracking) WHERE owner = ?1")
            defer { untrack.reset() }
            untrack.bind(owner, at: 1)
            try untrack.execute()
            return released.sorted()
        }
    }

    public func locks() async throws -> [LockInfo] {
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            let select = try SQLiteRawStatement(db, "SELECT key, owner, expires_at FROM \(T.locks) WHERE expires_at > ?1 ORDER BY key")
            defer { select.reset() }
            select.bind(now, at: 1)
            var locks: [LockInfo] = []
            while try select.step() {
                locks.append(LockInfo(key: select.text(0), owner: select.text(1), expiresAt: Date(timeIntervalSince1970: select.double(2))))
            }
            return locks
        }
    }

    public func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws {
        let payload = progress.json.jsonText
        let ttlSeconds = ttl.timeInterval
        try await write(savepoint: false) { [clock] db in
            let upsert = try SQLiteRawStatement(
                db,
                """
                INSERT INTO \(T.progress) (task, payload, expires_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (task) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at
                """)
            defer { upsert.reset() }
            upsert.bind(task, at: 1)
            upsert.bind(payload, at: 2)
            upsert.bind(clock.now().timeIntervalSince1970 + ttlSeconds, at: 3)
            try upsert.execute()
        }
    }

    public func progress(for task: String) async throws -> ProgressPayload? {
        let now = clock.now().timeIntervalSince1970
        let json = try await read { db -> JSONValue? in
            let select = try SQLiteRawStatement(db, "SELECT payload FROM \(T.progress) WHERE task = ?1 AND expires_at > ?2")
            defer { select.reset() }
            select.bind(task, at: 1)
            select.bind(now, at: 2)
            return try select.step() ? SQLiteRecordCodec.parseJSON(select.text(0)) : nil
        }
        return json.flatMap(ProgressPayload.init(json:))
    }

    @discardableResult
    public func deleteProgress(for task: String) async throws -> Bool {
        try await write(savepoint: false) { [clock] db in
            let delete = try SQLiteRawStatement(db, "DELETE FROM \(T.progress) WHERE task = ?1 RETURNING expires_at")
            defer { delete.reset() }
            delete.bind(task, at: 1)
            guard try delete.step() else { return false }
            let expiresAt = delete.double(0)
            try delete.execute()
            return expiresAt > clock.now().timeIntervalSince1970
        }
    }

    public func addActiveTask(_ task: String) async throws {
        try await write(savepoint: false) { db in
            let insert = try SQLiteRawStatement(db, "INSERT OR IGNORE INTO \(T.activeTasks) (task) VALUES (?1)")
            defer { insert.reset() }
            insert.bind(task, at: 1)
            try insert.execute()
        }
    }

    @discardableResult
    public func removeActiveTask(_ task: String) async throws -> Bool {
        try await write(savepoint: false) { db in
            let delete = try SQLiteRawStatement(db, "DELETE FROM \(T.activeTasks) WHERE task = ?1")
            defer { delete.reset() }
            delete.bind(task, at: 1)
            try delete.execute()
            return db.changesCount > 0
        }
    }

    public func activeTasks() async throws -> [String] {
        try await read { db in
            let select = try SQLiteRawStatement(db, "SELECT task FROM \(T.activeTasks) ORDER BY task")
            defer { select.reset() }
            var tasks: [String] = []
            while try select.step() { tasks.append(select.text(0)) }
            return tasks
        }
    }

    public func deadLetter(_ letter: DeadLetter) async throws {
        let event = letter.event.jsonText
        try await write(savepoint: false) { db in
            let insert = try SQLiteRawStatement(db, "INSERT INTO \(T.deadLetters) (task_name, event, reason, at) VALUES (?1, ?2, ?3, ?4)")
            defer { insert.reset() }
            insert.bind(letter.taskName, at: 1)
            insert.bind(event, at: 2)
            insert.bind(letter.reason, at: 3)
            insert.bind(letter.at.timeIntervalSince1970, at: 4)
            try insert.execute()
        }
    }

    public func deadLetters() async throws -> [DeadLetter] {
        try await read { db in
            let select = try SQLiteRawStatement(db, "SELECT task_name, event, reason, at FROM \(T.deadLetters) ORDER BY id")
            defer { select.reset() }
            var letters: [DeadLetter] = []
            while try select.step() {
                letters.append(
                    DeadLetter(
                        taskName: select.text(0), event: SQLiteRecordCodec.parseJSON(select.text(1)), reason: select.text(2),
                        at: Date(timeIntervalSince1970: select.double(3))))
            }
            return letters
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
        try db.execute(sql: "DELETE FROM \(T.locks) WHERE expires_at <= ?", arguments: [now])
        try db.execute(sql: "DELETE FROM \(T.progress) WHERE expires_at <= ?", arguments: [now])
        try db.execute(
            sql: """
                DELETE FROM \(T.lockTracking) WHERE NOT EXISTS (
                    SELECT 1 FROM \(T.locks) l WHERE l.key = \(T.lockTracking).key AND l.owner = \(T.lockTracking).owner)
                """)
    }

    /// `strings` as JSON array text, for `json_each(?)`.
    private static func jsonArray(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).jsonText
    }
}
