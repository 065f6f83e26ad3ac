import AsyncDash
import Foundation
import GRDB
import Synchronization

extension SQLiteStore: CoordinationStore {
    private typealias T = SQLiteSchema

    /// Takes every key for `owner` or none, in one immediate transaction (atomic across processes).
    public func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation {
        var seen = Set<String>()
        let keysJSON = JSONValue.array(keys.filter { seen.insert($0).inserted }.map(JSONValue.string)).jsonText
        let ttlSeconds = ttl.timeInterval
        // One writing statement (the purge aside, which changes nothing visible): no savepoint needed.
        return try await write(savepoint: false) { [clock] db in
            let now = clock.now().timeIntervalSince1970
            try self.purgeExpiredIfDue(db, now: now)
            let taken = try SQLiteRawStatement(
                db,
                """
                SELECT l.key, l.owner FROM json_each(?1) AS k JOIN \(T.locks) AS l ON l.key = k.value
                WHERE l.expires_at > ?2 AND l.owner <> ?3
                """)
            defer { taken.reset() }
            taken.bind(keysJSON, at: 1)
            taken.bind(now, at: 2)
            taken.bind(owner, at: 3)
            var conflicts: [String: String] = [:]
            while try taken.step() { conflicts[taken.text(0)] = taken.text(1) }
            guard conflicts.isEmpty else { return .conflict(conflicts) }
            taken.reset()
            let lock = try SQLiteRawStatement(
                db,
                """
                INSERT INTO \(T.locks) (key, owner, expires_at, acquired_at)
                SELECT value, ?1, ?2, ?4 FROM json_each(?3) WHERE true
                ON CONFLICT (key) DO UPDATE SET
                    acquired_at = CASE WHEN owner = excluded.owner AND expires_at > ?4 THEN coalesce(acquired_at, ?4) ELSE ?4 END,
                    owner = excluded.owner, expires_at = excluded.expires_at
                """)
            defer { lock.reset() }
            lock.bind(owner, at: 1)
            lock.bind(now + ttlSeconds, at: 2)
            lock.bind(keysJSON, at: 3)
            lock.bind(now, at: 4)
            try lock.execute()
            return .reserved
        }
    }

    public func lockOwners(_ keys: [String]) async throws -> [String: String] {
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            let holder = try SQLiteRawStatement(db, "SELECT owner FROM \(T.locks) WHERE key = ?1 AND expires_at > ?2")
            defer { holder.reset() }
            var owners: [String: String] = [:]
            for key in keys {
                holder.bind(key, at: 1)
                holder.bind(now, at: 2)
                if try holder.step() { owners[key] = holder.text(0) }
                holder.reset()
            }
            return owners
        }
    }

    /// Releases the locks `owner` still holds (its tracking set is the owner index of the lock table).
    @discardableResult
    public func releaseLocks(owner: String) async throws -> [String] {
        try await write(savepoint: false) { db in
            let held = try SQLiteRawStatement(db, "SELECT key FROM \(T.locks) WHERE owner = ?1")
            defer { held.reset() }
            held.bind(owner, at: 1)
            var released: [String] = []
            while try held.step() { released.append(held.text(0)) }
            held.reset()
            guard !released.isEmpty else { return [] }
            let release = try SQLiteRawStatement(db, "DELETE FROM \(T.locks) WHERE owner = ?1")
            defer { release.reset() }
            release.bind(owner, at: 1)
            try release.execute()
            return released.sorted()  // Swift's order, as the memory store sorts
        }
    }

    public func locks() async throws -> [LockInfo] {
        let now = clock.now().timeIntervalSince1970
        return try await read { db in
            let select = try SQLiteRawStatement(db, "SELECT key, owner, expires_at, acquired_at FROM \(T.locks) WHERE expires_at > ?1")
            defer { select.reset() }
            select.bind(now, at: 1)
            var locks: [LockInfo] = []
            while try select.step() {
                locks.append(LockInfo(
                    key: select.text(0), owner: select.text(1), expiresAt: Date(timeIntervalSince1970: select.double(2)),
                    acquiredAt: select.isNull(3) ? nil : Date(timeIntervalSince1970: select.double(3))))
            }
            return locks.sorted { $0.key < $1.key }
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
        let json = try pointReader.read("SELECT payload FROM \(T.progress) WHERE task = ?1 AND expires_at > ?2") { select -> JSONValue? in
            select.bind(task, at: 1)
            select.bind(now, at: 2)
            return try select.step() ? SQLiteRecordCodec.parseJSON(select.text(0)) : nil
        }
        return json.flatMap(ProgressPayload.init(json:))
    }

    @discardableResult
    public func deleteProgress(for task: String) async throws -> Bool {
        try await write(savepoint: false) { [clock] db in
            let entry = try SQLiteRawStatement(db, "SELECT expires_at FROM \(T.progress) WHERE task = ?1")
            defer { entry.reset() }
            entry.bind(task, at: 1)
            guard try entry.step() else { return false }
            let expiresAt = entry.double(0)
            entry.reset()
            let delete = try SQLiteRawStatement(db, "DELETE FROM \(T.progress) WHERE task = ?1")
            defer { delete.reset() }
            delete.bind(task, at: 1)
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
            let select = try SQLiteRawStatement(db, "SELECT task FROM \(T.activeTasks)")
            defer { select.reset() }
            var tasks: [String] = []
            while try select.step() { tasks.append(select.text(0)) }
            return tasks.sorted()
        }
    }

    public func isActiveTask(_ task: String) async throws -> Bool {
        try pointReader.read("SELECT 1 FROM \(T.activeTasks) WHERE task = ?1") { select in
            select.bind(task, at: 1)
            return try select.step()
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
        try await scans.read("the dead letters") { db in
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

    /// Deletes expired locks and progress entries at most once per ``purgeInterval``. They already
    /// read as absent; this only keeps the tables small.
    private func purgeExpiredIfDue(_ db: Database, now: TimeInterval) throws {
        let due = nextPurge.withLock { next in
            guard now >= next else { return false }
            next = now + Self.purgeInterval
            return true
        }
        guard due else { return }
        try db.execute(sql: "DELETE FROM \(T.locks) WHERE expires_at <= ?", arguments: [now])
        try db.execute(sql: "DELETE FROM \(T.progress) WHERE expires_at <= ?", arguments: [now])
    }
}
