/// The change-feed triggers of the store's tables (see ``PostgresChangeFeed``).
extension PostgresSchema {
    /// The row changes a change-feed trigger reports.
    enum NotifyEvents {
        /// Inserts, updates and deletes.
        case all
        /// Inserts and deletes (rows that are never updated).
        case insertsAndDeletes
        /// Inserts, deletes, and updates that change the column (rows matched on primary key
        /// `key` before and after: a lock's owner, not its extended expiry).
        case columnChanges(key: String)
    }

    /// The triggers that name the tasks of the changed rows of `table` (qualified; `name`
    /// unqualified) on the change feed, and the function they run. The triggers are per
    /// statement, over its transition tables: one run per statement, each task named once,
    /// however many rows it changed (a merged insert of a batch changes many). (`column` is an
    /// SQL identifier of letters, digits and `_`, as ``RecordModel`` requires: it cannot end the
    /// function's `$$` body.)
    static func notifyTrigger(table: String, name: String, column: String, names: PostgresNames, events: NotifyEvents) -> [String] {
        let channel = PostgresNames.literal(names.channel)
        let function = "\(names.q).\(PostgresNames.quote(objectName("notify", name, [column])))"
        let field = PostgresNames.quote(column)
        let updated: String
        switch events {
        case .columnChanges(let key):
            let key = PostgresNames.quote(key)
            updated = """
                SELECT o.\(field)::text FROM old_rows AS o JOIN new_rows AS n USING (\(key)) WHERE o.\(field) IS DISTINCT FROM n.\(field)
                UNION SELECT n.\(field)::text FROM old_rows AS o JOIN new_rows AS n USING (\(key)) WHERE o.\(field) IS DISTINCT FROM n.\(field)
                """
        case .all, .insertsAndDeletes:
            updated = "SELECT \(field)::text FROM old_rows UNION SELECT \(field)::text FROM new_rows"
        }
        func notify(_ source: String) -> String {
            "PERFORM pg_notify(\(channel), CASE WHEN octet_length(v) > 7000 THEN '' ELSE v END) FROM (\(source)) AS s (v) WHERE v IS NOT NULL;"
        }
        var statements = [
            """
            CREATE OR REPLACE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    \(notify("SELECT DISTINCT \(field)::text FROM new_rows"))
                ELSIF TG_OP = 'DELETE' THEN
                    \(notify("SELECT DISTINCT \(field)::text FROM old_rows"))
                ELSE
                    \(notify(updated))
                END IF;
                RETURN NULL;
            END $$
            """,
            "DROP TRIGGER IF EXISTS asyncdash_changes ON \(table)",
            """
            CREATE OR REPLACE TRIGGER asyncdash_changes_insert AFTER INSERT ON \(table)
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function)()
            """,
            """
            CREATE OR REPLACE TRIGGER asyncdash_changes_delete AFTER DELETE ON \(table)
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function)()
            """,
        ]
        if case .insertsAndDeletes = events {
            statements.append("DROP TRIGGER IF EXISTS asyncdash_changes_update ON \(table)")
        } else {
            statements.append(
                """
                CREATE OR REPLACE TRIGGER asyncdash_changes_update AFTER UPDATE ON \(table)
                    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(function)()
                """)
        }
        return statements
    }
}
