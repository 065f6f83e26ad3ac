import GRDB

extension SQLiteSchema {
    /// The outbox of durable observers (``SQLiteStore`` as an `OutboxStore`): one row per
    /// (consumer, event), in append order (`id`).
    ///
    /// - `state`: `pending`, `delivered` or `dead`; `attempts` and `last_error` say how delivery went;
    /// - `next_attempt_at`: a pending row is not tried earlier (a retry's backoff);
    /// - `lease_owner`, `lease_until`: the process delivering it now;
    /// - times are seconds since 1970.
    static func createOutboxTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(outbox) (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    consumer TEXT NOT NULL,
                    event TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    next_attempt_at REAL NOT NULL,
                    lease_owner TEXT,
                    lease_until REAL,
                    delivered_at REAL
                );
                CREATE INDEX IF NOT EXISTS \(outbox)_consumer ON \(outbox) (consumer, state, id);
                """)
    }

    /// Entries carry an order key (their event's task): delivery is in order per consumer and
    /// key, not per consumer. Existing rows take their event's `task_name`. The partial index
    /// serves the claim's look back at a key's earlier pending entries.
    static func addOutboxOrderKey(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE \(outbox) ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
                UPDATE \(outbox) SET order_key = coalesce(CASE WHEN json_valid(event) THEN json_extract(event, '$.task_name') END, '');
                CREATE INDEX IF NOT EXISTS \(outbox)_order ON \(outbox) (consumer, order_key, id) WHERE state = 'pending';
                """)
    }
}
