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
                    "CREATE OR REPLACE TRIGGER asyncdash_changes AFTER INSERT OR UPDATE OF owner OR DELETE ON \(n.locks) "
                        + "FOR EACH ROW EXECUTE FUNCTION \(n.notifyFunction)('owner', \(PostgresNames.literal(n.channel)))",
                    "CREATE OR REPLACE TRIGGER asyncdash_changes AFTER INSERT OR UPDATE OR DELETE ON \(n.progress) "
                        + "FOR EACH ROW EXECUTE FUNCTION \(n.notifyFunction)('task', \(PostgresNames.literal(n.channel)))",
                    "CREATE OR REPLACE TRIGGER asyncdash_changes AFTER INSERT OR DELETE ON \(n.activeTasks) "
                        + "FOR EACH ROW EXECUTE FUNCTION \(n.notifyFunction)('task', \(PostgresNames.literal(n.channel)))",
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
                "asyncdash.core.v3.batches",
                [
                    // A group-committed batch of short writes in one call (PostgresStatementBatch):
                    // each statement reads its values as $1[n] of the one parameter array; the rows
                    // of those that return rows (as JSON text) come back numbered by statement.
                    """
                    CREATE OR REPLACE FUNCTION \(n.batchFunction)(statements text[], returns_rows boolean[], parameters text[])
                    RETURNS TABLE (n integer, r text) LANGUAGE plpgsql AS $$
                    DECLARE
                        i integer;
                        t text;
                    BEGIN
                        FOR i IN 1 .. coalesce(array_length(statements, 1), 0) LOOP
                            IF returns_rows[i] THEN
                                FOR t IN EXECUTE statements[i] USING parameters LOOP
                                    n := i;
                                    r := t;
                                    RETURN NEXT;
                                END LOOP;
                            ELSE
                                EXECUTE statements[i] USING parameters;
                            END IF;
                        END LOOP;
                    END $$
                    """,
                    // A lock reservation, all or nothing, in one statement: the free, expired and
                    // own keys are taken in key order (two reservations never deadlock); when not
                    // every key could be taken, the inserts are undone and the holders of the
                    // others returned — or one row of NULLs when they left meanwhile (try again).
                    """
                    CREATE OR REPLACE FUNCTION \(n.reserveFunction)(p_owner text, p_expires double precision, p_now double precision, p_keys text[])
                    RETURNS TABLE (lock_key text, holder text) LANGUAGE plpgsql AS $$
                    DECLARE
                        taken integer;
                        any_holder boolean := false;
                    BEGIN
                        BEGIN
                            INSERT INTO \(n.locks) AS l (key, owner, expires_at, acquired_at)
                            SELECT k, p_owner, p_expires, p_now FROM unnest(p_keys) AS k ORDER BY k COLLATE "C"
                            ON CONFLICT (key) DO UPDATE SET
                                acquired_at = CASE WHEN l.owner = excluded.owner AND l.expires_at > p_now
                                    THEN coalesce(l.acquired_at, p_now) ELSE p_now END,
                                owner = excluded.owner, expires_at = excluded.expires_at
                            WHERE l.owner = excluded.owner OR l.expires_at <= p_now;
                            GET DIAGNOSTICS taken = ROW_COUNT;
                            IF taken >= cardinality(p_keys) THEN
                                RETURN;
                            END IF;
                            -- The keys not taken are held by others (their rows are locked by the insert).
                            FOR lock_key, holder IN
                                SELECT l.key, l.owner FROM \(n.locks) AS l
                                WHERE l.key = ANY(p_keys) AND l.expires_at > p_now AND l.owner <> p_owner
                            LOOP
                                any_holder := true;
                                RETURN NEXT;
                            END LOOP;
                            RAISE EXCEPTION USING ERRCODE = 'AD001';
                        EXCEPTION WHEN SQLSTATE 'AD001' THEN
                            IF NOT any_holder THEN
                                lock_key := NULL;
                                holder := NULL;
                                RETURN NEXT;
                            END IF;
                        END;
                    END $$
                    """,
                ]
            ),
            (
                // The change-feed triggers of the store's tables: per statement, reading their column directly.
                "asyncdash.core.v4.statement-notify",
                notifyTrigger(table: n.locks, name: "asyncdash_locks", column: "owner", names: n, events: .columnChanges(key: "key"))
                    + notifyTrigger(table: n.progress, name: "asyncdash_progress", column: "task", names: n, events: .all)
                    + notifyTrigger(table: n.activeTasks, name: "asyncdash_active_tasks", column: "task", names: n, events: .insertsAndDeletes)
            ),
            (
                "asyncdash.core.v5.prepared-batches",
                [
                    // Like asyncdash_run_batch, but each statement reads $1[k] of its own slice of
                    // the parameters (`counts` says how many are its), so the text of a statement
                    // does not depend on where it falls in a batch, and is prepared once per
                    // connection (named by its md5) and then executed with a generic plan: parsing
                    // and planning every statement of every batch was about half of the server's
                    // time. Past 256 prepared statements on a connection, a new shape runs unprepared.
                    """
                    CREATE OR REPLACE FUNCTION \(n.preparedBatchFunction)(statements text[], returns_rows boolean[], parameters text[], counts integer[])
                    RETURNS TABLE (n integer, r text) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
                    DECLARE
                        i integer;
                        t text;
                        first integer := 1;
                        own text[];
                        prepared text[];
                        statement_name text;
                        command text;
                    BEGIN
                        SELECT coalesce(array_agg(p.name::text), '{}') INTO prepared
                        FROM pg_prepared_statements AS p WHERE p.name LIKE 'asyncdash\\_%';
                        FOR i IN 1 .. coalesce(array_length(statements, 1), 0) LOOP
                            own := coalesce(parameters[first : first + counts[i] - 1], '{}');
                            first := first + counts[i];
                            statement_name := 'asyncdash_' || md5(statements[i]);
                            IF NOT statement_name = ANY(prepared) AND cardinality(prepared) < 256 THEN
                                EXECUTE format('PREPARE %I(text[]) AS %s', statement_name, statements[i]);
                                prepared := prepared || statement_name;
                            END IF;
                            IF statement_name = ANY(prepared) THEN
                                command := format('EXECUTE %I(%L)', statement_name, own);
                                IF returns_rows[i] THEN
                                    FOR t IN EXECUTE command LOOP
                                        n := i;
                                        r := t;
                                        RETURN NEXT;
                                    END LOOP;
                                ELSE
                                    EXECUTE command;
                                END IF;
                            ELSIF returns_rows[i] THEN
                                FOR t IN EXECUTE statements[i] USING own LOOP
                                    n := i;
                                    r := t;
                                    RETURN NEXT;
                                END LOOP;
                            ELSE
                                EXECUTE statements[i] USING own;
                            END IF;
                        END LOOP;
                    END $$
                    """,
                ]
            ),
            (
                // Delivery is in order per consumer and order key (the event's task), not per
                // consumer; existing rows take their event's task_name (row by row only when some
                // stored event is not JSON). The partial index serves the claim's look back.
                "asyncdash.core.v6.outbox-order-key",
                [
                    "ALTER TABLE \(n.outbox) ADD COLUMN IF NOT EXISTS order_key text NOT NULL DEFAULT ''",
                    """
                    DO $$
                    DECLARE
                        r record;
                    BEGIN
                        BEGIN
                            UPDATE \(n.outbox) SET order_key = coalesce(event::jsonb ->> 'task_name', '');
                        EXCEPTION WHEN others THEN
                            FOR r IN SELECT id, event FROM \(n.outbox) LOOP
                                BEGIN
                                    UPDATE \(n.outbox) SET order_key = coalesce(r.event::jsonb ->> 'task_name', '') WHERE id = r.id;
                                EXCEPTION WHEN others THEN NULL;
                                END;
                            END LOOP;
                        END;
                    END $$
                    """,
                    "CREATE INDEX IF NOT EXISTS asyncdash_outbox_order ON \(n.outbox) (consumer, order_key, id) WHERE state = 'pending'",
                ]
            ),
        ]
    }

    /// Runs the migrations not yet recorded, in the caller's transaction, under an advisory lock.
    static func migrate(_ connection: PostgresConnection, names: PostgresNames, logger: Logger) async throws {
        try await lock(connection, "schema", names: names, logger: logger)
        try await connection.run("CREATE SCHEMA IF NOT EXISTS \(names.q)", logger: logger)
        try await connection.run(
            "CREATE TABLE IF NOT EXISTS \(names.migrations) (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
        let applied = Set(try await connection.run("SELECT id FROM \(names.migrations)", logger: logger).map { try $0.required(0, as: String.self) })
        var statements: [String] = []
        for migration in migrations(names) where !applied.contains(migration.id) {
            statements += migration.statements + ["INSERT INTO \(names.migrations) (id) VALUES (\(PostgresNames.literal(migration.id)))"]
        }
        try await runAll(statements, connection, logger: logger)
    }

    /// Runs `statements` in order in one round trip (one `DO` block that executes each), where a
    /// statement by statement would take dozens: a first use under load stays short. A statement
    /// holding a backslash or the block's own quote tag runs on its own instead (a literal reads
    /// backslashes by `standard_conforming_strings`).
    static func runAll(_ statements: [String], _ connection: PostgresConnection, logger: Logger) async throws {
        let tag = "$asyncdash_ddl$"
        var block: [String] = []
        func flush() async throws {
            guard !block.isEmpty else { return }
            let body = block.map { "EXECUTE \(PostgresNames.literal($0));" }.joined(separator: "\n")
            block = []
            try await connection.run("DO \(tag) BEGIN\n\(body)\nEND \(tag)", logger: logger)
        }
        for statement in statements {
            if statement.contains("\\") || statement.contains(tag) {
                try await flush()
                try await connection.run(statement, logger: logger)
            } else {
                block.append(statement)
            }
        }
        try await flush()
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

    /// The SQL type of a column type's values, without collation (for casts).
    static func valueType(_ type: ColumnType) -> String {
        switch type {
        case .text, .json: "text"
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
