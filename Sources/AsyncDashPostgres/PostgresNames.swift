import Foundation

/// The qualified names of a ``PostgresStore``'s tables in its schema.
struct PostgresNames: Sendable, Hashable {
    /// The schema, unquoted.
    let schema: String
    /// The schema, quoted.
    let q: String

    init(schema: String) {
        self.schema = schema
        q = Self.quote(schema)
    }

    var locks: String { "\(q).asyncdash_locks" }
    var progress: String { "\(q).asyncdash_progress" }
    var activeTasks: String { "\(q).asyncdash_active_tasks" }
    var deadLetters: String { "\(q).asyncdash_dead_letters" }
    var jobs: String { "\(q).asyncdash_jobs" }
    var audit: String { "\(q).asyncdash_audit" }
    var outbox: String { "\(q).asyncdash_outbox" }
    var workers: String { "\(q).asyncdash_workers" }
    var counts: String { "\(q).asyncdash_counts" }
    var migrations: String { "\(q).asyncdash_migrations" }
    var notifyFunction: String { "\(q).asyncdash_notify_task" }
    var countFunction: String { "\(q).asyncdash_count_values" }
    /// The first batch function (migration v3), no longer called; kept for processes of earlier
    /// versions still running on the same schema.
    var batchFunction: String { "\(q).asyncdash_run_batch" }
    /// The batch function whose statements are prepared once per connection (migration v5).
    var preparedBatchFunction: String { "\(q).asyncdash_run_prepared_batch" }
    var reserveFunction: String { "\(q).asyncdash_reserve_locks" }

    /// The `LISTEN/NOTIFY` channel of this schema's change feed.
    var channel: String { "asyncdash_changes_\(schema)" }

    /// The tables of the store's own, which a record model may not use.
    static let reservedTables: Set<String> = [
        "asyncdash_locks", "asyncdash_progress", "asyncdash_active_tasks", "asyncdash_dead_letters", "asyncdash_jobs",
        "asyncdash_audit", "asyncdash_outbox", "asyncdash_workers", "asyncdash_counts", "asyncdash_migrations",
    ]

    /// A record table, qualified and quoted.
    func table(_ name: String) -> String { "\(q).\(Self.quote(name))" }

    /// `name` as a quoted SQL identifier.
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text` as a SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
