import AsyncDash
import GRDB

/// The change log behind the change feed.
///
/// Each write transaction that changed tasks appends one row to `asyncdash_changes` — the JSON
/// array of the tasks it changed — in the same transaction, whichever process wrote it; readers
/// see the rows in commit order (`seq`). To keep that cheap, the writer connection captures
/// changed tasks with TEMP triggers into a connection-local table (`temp.asyncdash_changed`; no
/// unique key, since a trigger's conflict clause gives way to an upsert's), and
/// ``SQLiteWriteBatcher`` moves the distinct tasks into the log, as one row, just before each
/// commit.
extension SQLiteSchema {
    static let changes = "asyncdash_changes"
    static let changed = "asyncdash_changed"

    /// How many change rows (transactions) are kept: when `seq` reaches a multiple of
    /// ``changesPruneEvery``, the rows older than the last ``changesKept`` are deleted. A listener
    /// that falls further behind gets a resync.
    static let changesKept = 20_000
    static let changesPruneEvery = 1_000

    /// Creates the change log (a migration).
    static func createChangesTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(changes) (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    tasks TEXT NOT NULL
                );
                CREATE TRIGGER IF NOT EXISTS \(changes)_prune AFTER INSERT ON \(changes)
                    WHEN NEW.seq % \(changesPruneEvery) = 0
                    BEGIN DELETE FROM \(changes) WHERE seq <= NEW.seq - \(changesKept); END;
                """)
    }

    /// The writer connection's capture of the coordination tables: a progress entry written or
    /// deleted, a lock taken or given up (not a renewal), a task entering or leaving the active set.
    static var coordinationCaptureSQL: String {
        """
        CREATE TEMP TABLE IF NOT EXISTS \(changed) (task TEXT NOT NULL);
        CREATE TEMP TRIGGER IF NOT EXISTS \(locks)_changed_update AFTER UPDATE OF owner ON main.\(locks)
            WHEN OLD.owner IS NOT NEW.owner
            BEGIN INSERT INTO \(changed) (task) VALUES (OLD.owner), (NEW.owner); END;

        """
            + captureTriggers(table: progress, key: "task", events: ["INSERT", "UPDATE", "DELETE"])
            + captureTriggers(table: locks, key: "owner", events: ["INSERT", "DELETE"])
            + captureTriggers(table: activeTasks, key: "task", events: ["INSERT", "DELETE"])
    }

    /// The writer connection's capture of a record table: every write of a record is a change of
    /// the task it is keyed by.
    static func recordCaptureSQL(_ model: RecordModel) -> String {
        captureTriggers(table: model.table, key: model.keyColumn, events: ["INSERT", "UPDATE", "DELETE"])
    }

    /// TEMP triggers that add the task in column `key` of `table` to the captured set.
    static func captureTriggers(table: String, key: String, events: [String]) -> String {
        events.map { event in
            let row = event == "DELETE" ? "OLD" : "NEW"
            let name = quote("\(table)_changed_\(event.lowercased())")
            return """
                CREATE TEMP TRIGGER IF NOT EXISTS \(name) AFTER \(event) ON main.\(quote(table))
                    BEGIN INSERT INTO \(changed) (task) VALUES (\(row).\(quote(key))); END;

                """
        }.joined()
    }

    /// Moves the captured tasks into the change log as one row (run in the write transaction,
    /// before commit; nothing when the transaction changed no task).
    static let flushChangedSQL =
        "INSERT INTO main.\(changes) (tasks) SELECT json_group_array(DISTINCT task) FROM temp.\(changed) HAVING count(*) > 0"
    static let clearChangedSQL = "DELETE FROM temp.\(changed)"
}
