import GRDB

extension SQLiteSchema {
    /// The durable queue's table (``SQLiteTaskQueue``): one row per task name, reused when a task
    /// of a finished name is launched again.
    ///
    /// - `state`: `queued`, `running`, `done` or `cancelled`; `outcome` says how a job ended
    ///   (`succeeded`, `failed`, `cancelled`, `worker lost`);
    /// - `not_before`: a queued job is not claimed earlier (a retry's backoff);
    /// - `lease_owner`, `lease_expires_at`, `heartbeat_at`: the worker running the job and how long
    ///   its claim lasts without a heartbeat;
    /// - `recovered`: how many times the job was taken back from a lost worker;
    /// - times are seconds since 1970.
    static func createJobsTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS \(jobs) (
                    task_name TEXT NOT NULL PRIMARY KEY,
                    function_name TEXT NOT NULL,
                    args TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    outcome TEXT,
                    not_before REAL NOT NULL,
                    lease_owner TEXT,
                    lease_expires_at REAL,
                    heartbeat_at REAL,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    recovered INTEGER NOT NULL DEFAULT 0,
                    enqueued_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL
                );
                CREATE INDEX IF NOT EXISTS \(jobs)_ready ON \(jobs) (state, not_before);
                CREATE INDEX IF NOT EXISTS \(jobs)_lease ON \(jobs) (state, lease_expires_at);
                """)
    }
}
