/// What ``AsyncManager/cleanupCompletedTasks(queue:clock:)`` did, in powercrud's summary shape.
///
/// As JSON (``json``, or `Codable`):
///
/// ```json
/// {"active_tasks": 2,
///  "cleaned": {"import-41": {"reason": "missing from the queue", "conflict_lock_keys": 2,
///                            "progress_entries": 1, "dashboard_records": 1}},
///  "skipped": {"import-42": "still running"}}
/// ```
///
/// ```swift
/// let summary = try await manager.cleanupCompletedTasks(queue: queue)
/// print(summary.humanReadable)
/// ```
public struct CleanupSummary: Codable, Sendable, Hashable {
    /// What was released for one cleaned task.
    public struct Cleaned: Codable, Sendable, Hashable {
        /// Why the task was cleaned: ``CleanupSummary/Reason``.
        public var reason: String
        /// How many conflict locks were released.
        public var conflictLockKeys: Int
        /// How many progress entries were deleted (0 or 1).
        public var progressEntries: Int
        /// Dashboard records marked `cleaned_up` (a ``ModelTrackingAsyncManager``'s record) plus
        /// what ``AsyncManager/cleanupDashboardData(_:)`` reported.
        public var dashboardRecords: Int

        public init(reason: String, conflictLockKeys: Int = 0, progressEntries: Int = 0, dashboardRecords: Int = 0) {
            self.reason = reason
            self.conflictLockKeys = conflictLockKeys
            self.progressEntries = progressEntries
            self.dashboardRecords = dashboardRecords
        }

        enum CodingKeys: String, CodingKey {
            case reason
            case conflictLockKeys = "conflict_lock_keys"
            case progressEntries = "progress_entries"
            case dashboardRecords = "dashboard_records"
        }

        /// `{"reason", "conflict_lock_keys", "progress_entries", "dashboard_records"}`.
        public var json: JSONValue {
            [
                "reason": .string(reason), "conflict_lock_keys": .int(conflictLockKeys),
                "progress_entries": .int(progressEntries), "dashboard_records": .int(dashboardRecords),
            ]
        }
    }

    /// The reasons clean-up gives, as they appear in the summary.
    public enum Reason {
        /// The queue does not know the task (never queued there, or its process is gone).
        public static let missing = "missing from the queue"
        /// The queue ran the task to its end but the task was still in the active set.
        public static let finished = "finished"
        /// Skipped: the task has been running longer than `MAX_TASK_DURATION`. Its worker cancels
        /// it (it then ends `failed` with the reason) and it keeps its locks until it stops; a run
        /// that ignores the cancel loses its lease after one `LEASE_TTL` and is recovered as lost.
        public static let exceededMaxDuration = "exceeded MAX_TASK_DURATION: its worker stops it; its locks are kept until it does"
        /// Skipped: a worker is running the task (within `MAX_TASK_DURATION`).
        public static let stillRunning = "still running"
        /// Skipped: the task waits for a worker or for a retry.
        public static let queued = "queued"
    }

    /// How many active tasks were examined.
    public var activeTasks: Int
    /// Task name → what was released.
    public var cleaned: [String: Cleaned]
    /// Task name → why it was left alone.
    public var skipped: [String: String]
    /// `true` when nothing was examined because `ASYNC_ENABLED` is false (absent otherwise).
    public var asyncDisabled: Bool?

    public init(activeTasks: Int = 0, cleaned: [String: Cleaned] = [:], skipped: [String: String] = [:]) {
        self.activeTasks = activeTasks
        self.cleaned = cleaned
        self.skipped = skipped
    }

    enum CodingKeys: String, CodingKey {
        case activeTasks = "active_tasks"
        case cleaned
        case skipped
        case asyncDisabled = "async_disabled"
    }

    /// `{"active_tasks": N, "cleaned": {name: {...}}, "skipped": {name: reason}}`.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "active_tasks": .int(activeTasks),
            "cleaned": .object(cleaned.mapValues(\.json)),
            "skipped": .object(skipped.mapValues { .string($0) }),
        ]
        if asyncDisabled == true { object["async_disabled"] = true }
        return .object(object)
    }

    /// Released locks, deleted progress entries and cleaned records, summed over cleaned tasks.
    public var totals: (locks: Int, progressEntries: Int, records: Int) {
        cleaned.values.reduce((0, 0, 0)) { ($0.0 + $1.conflictLockKeys, $0.1 + $1.progressEntries, $0.2 + $1.dashboardRecords) }
    }

    /// A few readable lines: the totals, then one line per task (sorted by name) with its reason.
    ///
    /// ```text
    /// Examined 2 active tasks; cleaned 1 (locks released 2, progress entries 1, records 1); skipped 1
    ///   cleaned import-41: missing from the queue (locks 2, progress entries 1, records 1)
    ///   skipped import-42: still running
    /// ```
    public var humanReadable: String {
        if asyncDisabled == true { return "Async is disabled (ASYNC_ENABLED: false): nothing was examined or cleaned up" }
        let totals = self.totals
        var lines = [
            "Examined \(activeTasks) active task\(activeTasks == 1 ? "" : "s"); cleaned \(cleaned.count) "
                + "(locks released \(totals.locks), progress entries \(totals.progressEntries), records \(totals.records)); "
                + "skipped \(skipped.count)"
        ]
        for (name, item) in cleaned.sorted(by: { $0.key < $1.key }) {
            lines.append("  cleaned \(name): \(item.reason) (locks \(item.conflictLockKeys), progress entries \(item.progressEntries), records \(item.dashboardRecords))")
        }
        for (name, reason) in skipped.sorted(by: { $0.key < $1.key }) {
            lines.append("  skipped \(name): \(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
