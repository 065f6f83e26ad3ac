/// The scalar settings of `config.yaml` that managers and stores use (times in seconds there).
public struct AsyncSettings: Sendable, Hashable {
    /// `ASYNC_ENABLED` (default true). Read and validated; the task launcher (a later feature) uses it.
    public var asyncEnabled: Bool = true
    /// `CONFLICT_TTL`: how long a conflict lock lives without renewal (default 3600 s).
    public var conflictTTL: Duration = .seconds(3600)
    /// `PROGRESS_TTL`: how long a progress entry lives (default 7200 s).
    public var progressTTL: Duration = .seconds(7200)
    /// `CLEANUP_GRACE_PERIOD`: how long finished records are kept before clean-up may remove artefacts (default 86400 s).
    public var cleanupGracePeriod: Duration = .seconds(86400)
    /// `MAX_TASK_DURATION`: an active task older than this is considered stuck (default 3600 s).
    public var maxTaskDuration: Duration = .seconds(3600)
    /// `CLEANUP_SCHEDULE_INTERVAL`: how often `serve` and `worker` run clean-up (default 300 s).
    public var cleanupScheduleInterval: Duration = .seconds(300)
    /// `LEASE_TTL`: how long a worker's claim lasts without a heartbeat (default 30 s).
    public var leaseTTL: Duration = .seconds(30)
    /// `RETENTION`: what the scheduled clean-up keeps of finished records, audit entries, dead
    /// letters and finished queue jobs (see ``RetentionSettings`` for the defaults).
    public var retention = RetentionSettings()

    public init() {}
}
