import GRDB

extension SQLiteSchema {
    /// The change log behind the change feed: one row per write that changes a task, written by
    /// triggers in the writer's own transaction, so every process sees every change, in commit
    /// order (`seq`).
    static let changes = "asyncdash_changes"

    /// How many change rows are kept: when `seq` reaches a multiple of ``changesPruneEvery``, the
    /// rows older than the last ``changesKept`` are deleted. A listener that falls further behind
    /// gets a resync.
    static let changesKept = 20_000
    static let changesPruneEvery = 1_000

    /// Creates the change log and the triggers that fill it from the coordination tables: a
    /// progress entry written or deleted, a lock taken or given up (not a renewal), a task
    /// entering or leaving the active set.
    static func createChangesTable(_ db: Database) throws {
        var sql = """
            CREATE TABLE IF NOT EXISTS \(changes) (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                task TEXT NOT NULL
            );
            CREATE TRIGGER IF NOT EXISTS \(changes)_prune AFTER INSERT ON \(changes)
                WHEN NEW.seq % \(changesPruneEvery) = 0
                BEGIN DELETE FROM \(changes) WHERE seq <= NEW.seq - \(changesKept); END;
            CREATE TRIGGER IF NOT EXISTS \(locks)_changed_update AFTER UPDATE OF owner ON \(locks)
                WHEN OLD.owner IS NOT NEW.owner
                BEGIN INSERT INTO \(changes) (task) VALUES (OLD.owner), (NEW.owner); END;

            """
        sql += changeTriggers(table: progress, key: "task", events: ["INSERT", "UPDATE", "DELETE"])
        sql += changeTriggers(table: locks, key: "owner", events: ["INSERT", "DELETE"])
        sql += changeTriggers(table: activeTasks, key: "task", events: ["INSERT", "DELETE"])
        try db.execute(sql: sql)
    }

    /// Triggers that log the task in column `key` of `table` for each of `events`.
    static func changeTriggers(table: String, key: String, events: [String]) -> String {
        events.map { event in
            let row = event == "DELETE" ? "OLD" : "NEW"
            let name = quote("\(table)_changed_\(event.lowercased())")
            return """
                CREATE TRIGGER IF NOT EXISTS \(name) AFTER \(event) ON \(quote(table))
                    BEGIN INSERT INTO \(changes) (task) VALUES (\(row).\(quote(key))); END;

                """
        }.joined()
    }
}
