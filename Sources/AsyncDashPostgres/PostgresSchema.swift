import AsyncDash
import Logging
import PostgresNIO

/// The store's own tables and functions, created by numbered migrations recorded in
/// `asyncdash_migrations`, under an advisory lock so processes starting together do not race.
///
/// Times are seconds since 1970 in `double precision` (the store clock's, as on SQLite); JSON is
/// kept as text, exactly as written. Text that is compared or sorted uses the `"C"` collation
/// (byte order), the order every driver lists in.
enum PostgresSchema {
    /// The migrations, in order: an identifier and its statements.
    static func migrations(_ n: PostgresNames) -> [(id: String, statements: [String])] {
        [
            (
                "asyncdash.core.v1",
                [
                    """
                    CREATE TABLE IF NOT EXISTS \(n.locks) (
                        key text COLLATE "C" PRIMARY KEY, owner text COLLATE "C" NOT NULL,
                        expires_at double precision NOT NULL, acquired_at double precision)
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_locks_owner ON \(n.locks) (owner)",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.progress) (
                        task text COLLATE "C" PRIMARY KEY, payload text NOT NULL, expires_at double precision NOT NULL)
                    """,
                    "CREATE TABLE IF NOT EXISTS \(n.activeTasks) (task text COLLATE \"C\" PRIMARY KEY)",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.deadLetters) (
                        id bigserial PRIMARY KEY, task_name text NOT NULL, event text NOT NULL, reason text NOT NULL,
                        at double precision NOT NULL)
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_dead_letters_at ON \(n.deadLetters) (at, id)",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.jobs) (
                        task_name text COLLATE "C" PRIMARY KEY, seq bigserial NOT NULL, function_name text NOT NULL,
                        args text NOT NULL, attempt integer NOT NULL, max_attempts integer NOT NULL, state text NOT NULL,
                        outcome text, not_before double precision NOT NULL, lease_owner text, lease_expires_at double precision,
                        heartbeat_at double precision, cancel_requested boolean NOT NULL DEFAULT false,
                        recovered integer NOT NULL DEFAULT 0, enqueued_at double precision NOT NULL,
                        started_at double precision, finished_at double precision)
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_jobs_ready ON \(n.jobs) (not_before, seq) WHERE state = 'queued'",
                    "CREATE INDEX IF NOT EXISTS asyncdash_jobs_lease ON \(n.jobs) (lease_expires_at) WHERE state = 'running'",
                    "CREATE INDEX IF NOT EXISTS asyncdash_jobs_finished ON \(n.jobs) (finished_at, seq) WHERE finished_at IS NOT NULL",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.audit) (
                        id bigserial PRIMARY KEY, task_name text NOT NULL, action text NOT NULL, actor text NOT NULL,
                        at double precision NOT NULL, outcome text NOT NULL)
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_audit_task ON \(n.audit) (task_name, id)",
                    "CREATE INDEX IF NOT EXISTS asyncdash_audit_at ON \(n.audit) (at, id)",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.outbox) (
                        id bigserial PRIMARY KEY, consumer text NOT NULL, event text NOT NULL, created_at double precision NOT NULL,
                        state text NOT NULL DEFAULT 'pending', attempts integer NOT NULL DEFAULT 0, last_error text,
                        next_attempt_at double precision NOT NULL, lease_owner text, lease_until double precision,
                        delivered_at double precision)
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_outbox_consumer ON \(n.outbox) (consumer, state, id)",
                    """
                    CREATE TABLE IF NOT EXISTS \(n.workers) (
                        worker_id text PRIMARY KEY, host text NOT NULL, pid bigint NOT NULL, started_at double precision NOT NULL,
                        concurrency integer NOT NULL, announced_at double precision NOT NULL, present_until double precision NOT NULL)
                    """,
                    """
                    CREATE TABLE IF NOT EXISTS \(n.counts) (
                        tbl text NOT NULL, col text NOT NULL, is_null boolean NOT NULL, v text NOT NULL, slot integer NOT NULL,
                        n bigint NOT NULL, PRIMARY KEY (tbl, col, is_null, v, slot))
                    """,
                    // The change feed: the task named by column TG_ARGV[0] of the changed row (both the
                    // old and the new one when an update changes it), on channel TG_ARGV[1]. A name too
                    // long for a payload is sent empty: listeners resync.
                    """
                    CREATE OR REPLACE FUNCTION \(n.notifyFunction)() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        old_name text;
                        new_name text;
                    BEGIN
                        IF TG_OP <> 'INSERT' THEN old_name := to_jsonb(OLD) ->> TG_ARGV[0]; END IF;
                        IF TG_OP <> 'DELETE' THEN new_name := to_jsonb(NEW) ->> TG_ARGV[0]; END IF;
                        IF old_name IS NOT NULL AND old_name IS DISTINCT FROM new_name THEN
                            PERFORM pg_notify(TG_ARGV[1], CASE WHEN octet_length(old_name) > 7000 THEN '' ELSE old_name END);
                        END IF;
                        IF new_name IS NOT NULL THEN
                            PERFORM pg_notify(TG_ARGV[1], CASE WHEN octet_length(new_name) > 7000 THEN '' ELSE new_name END);
                        END IF;
                        RETURN NULL;
                    END $$
                    """,
                    // Per-value counts of column TG_ARGV[0], kept in 8 slots per value (by backend) so
                    // concurrent writers rarely wait on one counter row.
                    """
                    CREATE OR REPLACE FUNCTION \(n.countFunction)() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        old_v text;
                        new_v text;
                        s integer := pg_backend_pid() % 8;
                    BEGIN
                        IF TG_OP <> 'INSERT' THEN old_v := to_jsonb(OLD) ->> TG_ARGV[0]; END IF;
                        IF TG_OP <> 'DELETE' THEN new_v := to_jsonb(NEW) ->> TG_ARGV[0]; END IF;
                        IF TG_OP = 'UPDATE' AND old_v IS NOT DISTINCT FROM new_v THEN RETURN NULL; END IF;
                        IF TG_OP <> 'INSERT' THEN
                            INSERT INTO \(n.counts) AS c (tbl, col, is_null, v, slot, n)
                            VALUES (TG_TABLE_NAME, TG_ARGV[0], old_v IS NULL, coalesce(old_v, ''), s, -1)
                            ON CONFLICT (tbl, col, is_null, v, slot) DO UPDATE SET n = c.n - 1;
                        END IF;
                        IF TG_OP <> 'DELETE' THEN
                            INSERT INTO \(n.counts) AS c (tbl, col, is_null, v, slot, n)
                            VALUES (TG_TABLE_NAME, TG_ARGV[0], new_v IS NULL, coalesce(new_v, ''), s, 1)
                            ON CONFLICT (tbl, col, is_null, v, slot) DO UPDATE SET n = c.n + 1;
                        END IF;
                        RETURN NULL;
                    END $$
                    """,
                    notifyTrigger(table: n.locks, column: "owner", names: n, events: "INSERT OR UPDATE OF owner OR DELETE"),
                    notifyTrigger(table: n.progress, column: "task", names: n, events: "INSERT OR UPDATE OR DELETE"),
                    notifyTrigger(table: n.activeTasks, column: "task", names: n, events: "INSERT OR DELETE"),
                ]
            ),
            (
                "asyncdash.core.v2.write-ids",
                [
                    "ALTER TABLE \(n.outbox) ADD COLUMN IF NOT EXISTS event_id text",
                    "CREATE UNIQUE INDEX IF NOT EXISTS asyncdash_outbox_event ON \(n.outbox) (consumer, event_id) WHERE event_id IS NOT NULL",
                    // The token of the claim or finish that last wrote a job: a write sent again after
                    // its acknowledgement was lost recognizes its own commit.
                    "ALTER TABLE \(n.jobs) ADD COLUMN IF NOT EXISTS write_token text",
                ]
            ),
            (
                "asyncdash.core.v3.run-batch",
                [
                    // A group-committed batch of short writes in one call (PostgresStatementBatch):
                    // each statement reads its values as $1[n] of the one parameter array.
                    """
                    CREATE OR REPLACE FUNCTION \(n.batchFunction)(statements text[], parameters text[]) RETURNS void
                    LANGUAGE plpgsql AS $$
                    DECLARE
                        s text;
                    BEGIN
                        FOREACH s IN ARRAY statements LOOP
                            EXECUTE s USING parameters;
                        END LOOP;
                    END $$
                    """
                ]
            ),
        ]
    }

    /// The trigger that names the task of each changed row of `table` on the change feed.
    static func notifyTrigger(table: String, column: String, names: PostgresNames, events: String) -> String {
        """
        CREATE OR REPLACE TRIGGER asyncdash_changes AFTER \(events) ON \(table)
            FOR EACH ROW EXECUTE FUNCTION \(names.notifyFunction)(\(PostgresNames.literal(column)), \(PostgresNames.literal(names.channel)))
        """
    }

    /// Runs the migrations not yet recorded, in the caller's transaction, under an advisory lock.
    static func migrate(_ connection: PostgresConnection, names: PostgresNames, logger: Logger) async throws {
        try await lock(connection, "schema", names: names, logger: logger)
        try await connection.run("CREATE SCHEMA IF NOT EXISTS \(names.q)", logger: logger)
        try await connection.run(
            "CREATE TABLE IF NOT EXISTS \(names.migrations) (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
        let applied = Set(try await connection.run("SELECT id FROM \(names.migrations)", logger: logger).map { try $0.required(0, as: String.self) })
        for migration in migrations(names) where !applied.contains(migration.id) {
            for statement in migration.statements { try await connection.run(statement, logger: logger) }
            try await connection.run("INSERT INTO \(names.migrations) (id) VALUES ($1)", [.text(migration.id)], logger: logger)
        }
    }

    /// Takes the transaction-scoped advisory lock of `purpose` in this schema (DDL from several
    /// processes at once is serialized instead of failing on catalog conflicts).
    static func lock(_ connection: PostgresConnection, _ purpose: String, names: PostgresNames, logger: Logger) async throws {
        try await connection.run(
            "SELECT pg_advisory_xact_lock(hashtext($1))", [.text("asyncdash.\(names.schema).\(purpose)")], logger: logger)
    }

    /// The SQL type of a column type.
    static func sqlType(_ type: ColumnType) -> String {
        switch type {
        case .text: "text COLLATE \"C\""
        case .json: "text"
        case .bool: "boolean"
        case .integer: "bigint"
        case .real, .timestamp: "double precision"
        }
    }

    /// The lowest value of a column type: a sort key puts NULL below it with `(col IS NOT NULL)`.
    static func zero(_ type: ColumnType) -> String {
        switch type {
        case .text, .json: "''"
        case .bool: "false"
        case .integer: "0::bigint"
        case .real, .timestamp: "0::double precision"
        }
    }

    /// A name for an index or trigger of `table` (at most 63 bytes, PostgreSQL's limit): readable
    /// when short enough, else a hash keeps it unique.
    static func objectName(_ kind: String, _ table: String, _ parts: [String]) -> String {
        let readable = "asyncdash_\(kind)_\(table.utf8.count)_\(table)_" + parts.joined(separator: "_")
        if readable.utf8.count <= 63 { return readable }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(table)\u{0}\(parts.joined(separator: "\u{0}"))".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "asyncdash_\(kind)_" + String(hash, radix: 16)
    }
}
