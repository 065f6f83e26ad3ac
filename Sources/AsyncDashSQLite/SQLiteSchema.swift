import AsyncDash
import Foundation
import GRDB

/// The schema of a ``SQLiteStore``: the coordination tables, and record tables built from record models.
///
/// Everything is created by GRDB migrations (recorded in `grdb_migrations`), so a store opened on an
/// older file upgrades it, and a record model that gains columns gains them by running
/// ``SQLiteStore/prepare(_:)`` again.
enum SQLiteSchema {
    static let locks = "asyncdash_locks"
    static let progress = "asyncdash_progress"
    static let activeTasks = "asyncdash_active_tasks"
    static let deadLetters = "asyncdash_dead_letters"
    static let jobs = "asyncdash_jobs"
    static let audit = "asyncdash_audit"
    static let outbox = "asyncdash_outbox"
    static let workers = "asyncdash_workers"

    /// The record-table column SQLite numbers rows with (insertion order).
    static let rowIDColumn = "id"

    /// The coordination tables, in one fixed migration.
    ///
    /// An owner's lock tracking set is the index `asyncdash_locks_owner` on (owner, key): a lock
    /// row is only ever written together with its owner's tracking entry and deleted with it, so
    /// "the keys in the owner's tracking set that the owner still holds" are exactly the lock rows
    /// of that owner. Keeping it as an index makes reserving and releasing one statement each.
    static var coordinationMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("asyncdash.coordination.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(locks) (
                        key TEXT NOT NULL PRIMARY KEY,
                        owner TEXT NOT NULL,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX IF NOT EXISTS \(locks)_owner ON \(locks) (owner);
                    CREATE TABLE IF NOT EXISTS \(progress) (
                        task TEXT NOT NULL PRIMARY KEY,
                        payload TEXT NOT NULL,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS \(activeTasks) (
                        task TEXT NOT NULL PRIMARY KEY
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS \(deadLetters) (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        task_name TEXT NOT NULL,
                        event TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        at REAL NOT NULL
                    );
                    """)
        }
        // Files made by pre-release builds, whose v1 kept tracking sets in a table of their own.
        migrator.registerMigration("asyncdash.coordination.v2") { db in
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS \(locks)_owner ON \(locks) (owner);
                    DROP TABLE IF EXISTS asyncdash_lock_tracking;
                    DROP INDEX IF EXISTS \(locks)_expires_at;
                    DROP INDEX IF EXISTS \(progress)_expires_at;
                    """)
        }
        migrator.registerMigration("asyncdash.coordination.v3.jobs", migrate: createJobsTable)
        migrator.registerMigration("asyncdash.coordination.v4.audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(audit) (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        task_name TEXT NOT NULL,
                        action TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        at REAL NOT NULL,
                        outcome TEXT NOT NULL
                    );
                    CREATE INDEX IF NOT EXISTS \(audit)_task ON \(audit) (task_name, id);
                    """)
        }
        migrator.registerMigration("asyncdash.coordination.v5.outbox", migrate: createOutboxTable)
        // When each lock was taken (its age on the operator's dashboard); NULL for older rows.
        migrator.registerMigration("asyncdash.coordination.v6.lock_age") { db in
            try db.execute(sql: "ALTER TABLE \(locks) ADD COLUMN acquired_at REAL")
        }
        migrator.registerMigration("asyncdash.coordination.v7.changes", migrate: createChangesTable)
        // Outbox entries carry their event's id; one entry per consumer and event.
        migrator.registerMigration("asyncdash.coordination.v9.outbox-event-id") { db in
            try db.execute(
                sql: """
                    ALTER TABLE \(outbox) ADD COLUMN event_id TEXT;
                    CREATE UNIQUE INDEX IF NOT EXISTS \(outbox)_event ON \(outbox) (consumer, event_id) WHERE event_id IS NOT NULL;
                    """)
        }
        // Workers announce themselves (idle ones too), for operators.
        migrator.registerMigration("asyncdash.coordination.v8.workers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(workers) (
                        worker_id TEXT NOT NULL PRIMARY KEY,
                        host TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        started_at REAL NOT NULL,
                        concurrency INTEGER NOT NULL,
                        announced_at REAL NOT NULL,
                        present_until REAL NOT NULL
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("asyncdash.coordination.v10.outbox-order-key", migrate: addOutboxOrderKey)
        return migrator
    }

    /// The migrations of a record model's table: `record.<table>.create`, then one
    /// `record.<table>.column.<name>` per column, and `record.<table>.index.updated_at`
    /// after the `updated_at` column when the model has one.
    static func recordMigrator(for model: RecordModel) -> DatabaseMigrator {
        let table = quote(model.table)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("record.\(model.table).create") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(table) (
                        \(quote(rowIDColumn)) INTEGER PRIMARY KEY AUTOINCREMENT,
                        \(quote(model.keyColumn)) TEXT NOT NULL UNIQUE
                    )
                    """)
        }
        for column in model.columns {
            migrator.registerMigration("record.\(model.table).column.\(column.name)") { db in
                let existing = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [model.table])
                guard !existing.contains(where: { $0.lowercased() == column.name.lowercased() }) else { return }
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(quote(column.name)) \(sqlType(column.type))")
            }
            if column.name == "updated_at" {
                migrator.registerMigration("record.\(model.table).index.updated_at") { db in
                    try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(quote(model.table + "_updated_at")) ON \(table) (\"updated_at\")")
                }
            }
        }
        return migrator
    }

    /// Runs `migrator`, retrying when another process ran the same migrations at the same time.
    ///
    /// GRDB reads the applied migrations before taking the write lock, so two processes can both
    /// decide to run a migration; the second one then fails (its identifier is already recorded).
    /// Every migration here is idempotent, and a retry reads the applied migrations afresh. Each
    /// such failure means another process applied at least one migration, so a process needs at
    /// most one retry per migration (``migrationAttempts(_:)``); the bound is never a guess.
    static func migrate(_ migrator: DatabaseMigrator, _ pool: DatabasePool) throws {
        var attempt = 0
        while true {
            do {
                return try migrator.migrate(pool)
            } catch is DatabaseError where attempt < migrationAttempts(migrator) {
                attempt += 1
                usleep(useconds_t(migrationRetryPause(attempt) * 1_000_000))
            }
        }
    }

    /// How many times a migration run is retried after a clash with another process: one more
    /// than the number of migrations (every clash means another process applied one).
    static func migrationAttempts(_ migrator: DatabaseMigrator) -> Int {
        migrator.migrations.count + 2
    }

    /// A short jittered pause before the `attempt`th retry, in seconds (at most 50 ms), so that
    /// processes that clashed do not clash again in lock-step.
    static func migrationRetryPause(_ attempt: Int) -> Double {
        Double.random(in: 0.001...0.005) * Double(min(attempt, 10))
    }

    /// The SQL column type of a column type.
    static func sqlType(_ type: ColumnType) -> String {
        switch type {
        case .text, .json: "TEXT"
        case .bool, .integer: "INTEGER"
        case .real, .timestamp: "REAL"
        }
    }

    /// `name` as a quoted SQL identifier.
    static func quote(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + name + "\"" }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Checks that `model` can be stored: no column named like the row id, no two columns whose
    /// names differ only in case (SQLite names are case-insensitive), no reserved table name.
    static func validate(_ model: RecordModel) throws {
        let reservedTables = [locks, progress, activeTasks, deadLetters, jobs, audit, outbox, changes, workers, "grdb_migrations"]
        let lowerTable = model.table.lowercased()
        if reservedTables.contains(lowerTable) || lowerTable.hasPrefix("sqlite_") {
            throw SQLiteStoreError(
                .invalidModel, value: model.name,
                reason: "table name '\(model.table)' is reserved by the SQLite store; choose another table name")
        }
        var seen: [String: String] = [:]
        for column in model.columns {
            let lower = column.name.lowercased()
            if lower == rowIDColumn {
                throw SQLiteStoreError(
                    .invalidModel, value: model.name,
                    reason: "column '\(column.name)' clashes with the row id column '\(rowIDColumn)' the SQLite store adds; rename it")
            }
            if let other = seen.updateValue(column.name, forKey: lower) {
                throw SQLiteStoreError(
                    .invalidModel, value: model.name,
                    reason: "columns '\(other)' and '\(column.name)' differ only in case, which SQLite treats as the same name")
            }
        }
    }
}

extension SQLiteSchema {
    /// Runs `migrator` without blocking the caller's thread, retrying like ``migrate(_:_:)``.
    static func migrate(_ migrator: DatabaseMigrator, _ pool: DatabasePool) async throws {
        var attempt = 0
        while true {
            do {
                return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    migrator.asyncMigrate(pool) { result in
                        continuation.resume(with: result.map { _ in () })
                    }
                }
            } catch is DatabaseError where attempt < migrationAttempts(migrator) {
                attempt += 1
                try await Task.sleep(for: .seconds(migrationRetryPause(attempt)))
            }
        }
    }
}
