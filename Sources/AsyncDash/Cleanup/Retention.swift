import Foundation
import Logging

/// How much of one kind of data the scheduled clean-up keeps: nothing older than ``maxAge``, and
/// no more than the newest ``maxCount``. `nil` lifts that limit.
///
/// ```yaml
/// RETENTION:
///   records: {max_age_days: 90, max_count: 100000}
///   dead_letters: {max_age_days: 30}
/// ```
public struct RetentionRule: Sendable, Hashable {
    /// Older items are deleted; `nil`: no age limit.
    public var maxAge: Duration?
    /// Only the newest this many are kept; `nil`: no count limit.
    public var maxCount: Int?

    public init(maxAge: Duration? = nil, maxCount: Int? = nil) {
        self.maxAge = maxAge
        self.maxCount = maxCount
    }

    /// A rule keeping `days` days and `count` items (0 lifts a limit).
    public static func days(_ days: Int, count: Int) -> RetentionRule {
        RetentionRule(maxAge: days > 0 ? .seconds(days * 86_400) : nil, maxCount: count > 0 ? count : nil)
    }

    /// The limit as of `now`, for a store's prune call.
    public func limit(now: Date) -> RetentionLimit {
        RetentionLimit(before: maxAge.map { now.addingTimeInterval(-$0.timeInterval) }, keepNewest: maxCount)
    }

    /// `90 days, newest 100000` (for reports).
    public var description: String {
        let age = maxAge.map { "\(Int($0.components.seconds / 86_400)) days" } ?? "any age"
        let count = maxCount.map { "newest \($0)" } ?? "any number"
        return "\(age), \(count)"
    }
}

/// What a store deletes in one prune: items from before ``before`` and items beyond the newest
/// ``keepNewest``. Either may be `nil` (no such limit).
public struct RetentionLimit: Sendable, Hashable {
    public var before: Date?
    public var keepNewest: Int?

    public init(before: Date?, keepNewest: Int?) {
        self.before = before
        self.keepNewest = keepNewest
    }

    /// Whether the limit deletes nothing.
    public var isUnlimited: Bool { before == nil && keepNewest == nil }
}

/// `RETENTION`: what the scheduled clean-up keeps of finished records, audit entries, dead
/// letters and the durable queue's finished jobs. The defaults keep a busy dashboard's tables
/// small enough to stay fast for years (see the README's limits).
public struct RetentionSettings: Sendable, Hashable {
    /// Dashboard records of finished tasks (a terminal status); records of running or queued
    /// tasks are never deleted. Default: 90 days, newest 100,000.
    public var records = RetentionRule.days(90, count: 100_000)
    /// The audit log. Default: 365 days, newest 1,000,000.
    public var audit = RetentionRule.days(365, count: 1_000_000)
    /// Events that could not be recorded. Default: 30 days, newest 10,000.
    public var deadLetters = RetentionRule.days(30, count: 10_000)
    /// The durable queue's finished jobs. Default: 7 days, newest 100,000.
    public var finishedJobs = RetentionRule.days(7, count: 100_000)
    /// Events durable observers (webhooks, commands, JSON lines) were delivered, kept as history
    /// for `webhooks list` and `webhooks replay`. Default: 7 days, newest 100,000.
    public var outboxDelivered = RetentionRule.days(7, count: 100_000)
    /// Events durable observers gave up on, kept for an operator to retry or discard. Default:
    /// 30 days, newest 10,000.
    public var outboxDead = RetentionRule.days(30, count: 10_000)

    public init() {}

    /// The kinds, as named in `RETENTION`, with their rules.
    public var named: [(String, RetentionRule)] {
        [
            ("records", records), ("audit", audit), ("dead_letters", deadLetters), ("finished_jobs", finishedJobs),
            ("outbox_delivered", outboxDelivered), ("outbox_dead", outboxDead),
        ]
    }

    /// The names `RETENTION` accepts.
    public static let kinds = ["records", "audit", "dead_letters", "finished_jobs", "outbox_delivered", "outbox_dead"]

    /// The rule of `kind` (one of ``kinds``).
    public subscript(kind: String) -> RetentionRule? {
        get { named.first { $0.0 == kind }?.1 }
        set {
            guard let newValue else { return }
            switch kind {
            case "records": records = newValue
            case "audit": audit = newValue
            case "dead_letters": deadLetters = newValue
            case "finished_jobs": finishedJobs = newValue
            case "outbox_delivered": outboxDelivered = newValue
            case "outbox_dead": outboxDead = newValue
            default: break
            }
        }
    }
}

/// What one retention run deleted, per kind (`records`, `audit`, `dead_letters`,
/// `finished_jobs`), and what it could not do.
public struct RetentionSummary: Sendable, Hashable {
    /// Kind → items deleted.
    public var deleted: [String: Int] = [:]
    /// Kind → the error that stopped its pruning (it is tried again on the next run).
    public var failed: [String: String] = [:]

    public init() {}

    /// `{"records": 3, …, "failed": {…}}`.
    public var json: JSONValue {
        var object = deleted.mapValues { JSONValue.int($0) }
        if !failed.isEmpty { object["failed"] = .object(failed.mapValues { .string($0) }) }
        return .object(object)
    }

    /// `Retention deleted 3 records, 0 audit entries, …`.
    public var humanReadable: String {
        let parts = RetentionSettings.kinds.map { "\(deleted[$0] ?? 0) \($0.replacingOccurrences(of: "_", with: " "))" }
        let failures = failed.sorted { $0.key < $1.key }.map { "; \($0.key) failed: \($0.value)" }.joined()
        return "Retention deleted " + parts.joined(separator: ", ") + failures
    }
}

extension AsyncManager {
    /// Applies ``AsyncSettings/retention`` (`RETENTION`) as of `clock`'s now: deletes finished
    /// records (never those of active tasks), audit entries, dead letters, the durable
    /// queue's finished jobs, and durable observers' delivered and dead events beyond their rules. Run by the scheduled clean-up and
    /// `asyncdash cleanup`; does nothing when `ASYNC_ENABLED` is false. A kind whose store call
    /// fails is reported in ``RetentionSummary/failed`` and logged; the others still run.
    ///
    /// ```swift
    /// let summary = await manager.applyRetention()
    /// print(summary.humanReadable)   // Retention deleted 12 records, 0 audit, …
    /// ```
    public func applyRetention(clock: any AsyncDashClock = SystemClock()) async -> RetentionSummary {
        var summary = RetentionSummary()
        guard settings.asyncEnabled else { return summary }
        let now = clock.now()
        let retention = settings.retention
        func run(_ kind: String, _ rule: RetentionRule, _ prune: (RetentionLimit) async throws -> Int) async {
            let limit = rule.limit(now: now)
            guard !limit.isUnlimited else { return }
            do {
                summary.deleted[kind] = try await prune(limit)
            } catch {
                summary.failed[kind] = "\(error)"
                logger.error("retention could not prune; it is tried again on the next clean-up", metadata: ["kind": "\(kind)", "error": "\(error)"])
            }
        }
        if let tracking = self as? ModelTrackingAsyncManager, let filter = try? await tracking.finishedRecordFilter() {
            await run("records", retention.records) { limit in
                try await stores.records.pruneRecords(tracking.recordModel, finished: filter, limit)
            }
        }
        await run("audit", retention.audit) { try await stores.audit.prune($0) }
        await run("dead_letters", retention.deadLetters) { try await stores.coordination.pruneDeadLetters($0) }
        await run("finished_jobs", retention.finishedJobs) { try await stores.queue.pruneFinishedJobs($0) }
        await run("outbox_delivered", retention.outboxDelivered) { try await stores.outbox.prune(.delivered, $0) }
        await run("outbox_dead", retention.outboxDead) { try await stores.outbox.prune(.dead, $0) }
        return summary
    }
}

/// Which records count as finished for retention: a terminal value in ``statusColumn``, aged by
/// ``timeColumn``, and not one of ``excludedKeys`` (tasks still active).
public struct FinishedRecordFilter: Sendable, Hashable {
    public var statusColumn: String
    public var terminalValues: [RecordValue]
    public var timeColumn: String
    public var excludedKeys: Set<String>

    public init(statusColumn: String, terminalValues: [RecordValue], timeColumn: String, excludedKeys: Set<String>) {
        self.statusColumn = statusColumn
        self.terminalValues = terminalValues
        self.timeColumn = timeColumn
        self.excludedKeys = excludedKeys
    }
}

extension ModelTrackingAsyncManager {
    /// The filter of this manager's finished records; `nil` when its field map has no status or
    /// no timestamp column (then retention keeps every record).
    func finishedRecordFilter() async throws -> FinishedRecordFilter? {
        guard let status = resolvedFieldMap["status"] else { return nil }
        guard let time = ["updated_at", "completed_at", "failed_at", "created_at"].lazy.compactMap({ self.resolvedFieldMap[$0] }).first else { return nil }
        let terminal = TaskStatus.allCases.filter(\.isTerminal).map { RecordValue.text($0.rawValue) }
        return FinishedRecordFilter(statusColumn: status.name, terminalValues: terminal, timeColumn: time.name,
                                    excludedKeys: Set(try await stores.coordination.activeTasks()))
    }
}

extension RecordStore {
    /// Deletes finished records beyond `limit` (see ``FinishedRecordFilter``), oldest first;
    /// returns how many.
    ///
    /// This default works on every store through ``list(_:query:)``, ``counts(_:groupedBy:)``
    /// and ``delete(_:key:)``, reading ``prunePage`` records per status at a time (a run with
    /// nothing to delete reads one page per status); a database store may do it in SQL.
    public func pruneRecords(_ model: RecordModel, finished filter: FinishedRecordFilter, _ limit: RetentionLimit) async throws -> Int {
        let counts = try await counts(model, groupedBy: filter.statusColumn)
        // The count limit is over the records it may delete: excluded ones stay anyway.
        var excludedFinished = 0
        if limit.keepNewest != nil {
            for key in filter.excludedKeys {
                if let record = try await fetch(model, key: key), filter.terminalValues.contains(record[filter.statusColumn]) { excludedFinished += 1 }
            }
        }
        let finished = filter.terminalValues.reduce(0) { $0 + (counts[$1] ?? 0) } - excludedFinished
        var over = limit.keepNewest.map { keep in max(0, finished - keep) } ?? 0
        // The oldest unread finished records of each status (a k-way merge by age).
        var heads: [RecordValue: [Record]] = [:]
        var exhausted: Set<RecordValue> = []
        var skipped: [RecordValue: Set<String>] = [:]
        func refill(_ status: RecordValue) async throws {
            guard heads[status]?.isEmpty ?? true, !exhausted.contains(status) else { return }
            let page = try await list(model, query: RecordQuery(
                filters: [filter.statusColumn: status], orderBy: filter.timeColumn, descending: false, limit: Self.prunePage + (skipped[status]?.count ?? 0)))
            let fresh = page.filter { !(skipped[status]?.contains($0[model.keyColumn].text ?? "") ?? false) }
            heads[status] = fresh
            if fresh.isEmpty { exhausted.insert(status) }
        }
        var deleted = 0
        while true {
            for status in filter.terminalValues { try await refill(status) }
            let candidates = heads.compactMap { status, records in records.first.map { (status, $0) } }
            guard let (status, oldest) = candidates.min(by: { (Self.age($0.1[filter.timeColumn]) ?? .distantPast) < (Self.age($1.1[filter.timeColumn]) ?? .distantPast) }) else { break }
            heads[status]?.removeFirst()
            let key = oldest[model.keyColumn].text ?? ""
            if filter.excludedKeys.contains(key) {
                skipped[status, default: []].insert(key)
                continue
            }
            let old = limit.before.map { cutoff in Self.age(oldest[filter.timeColumn]).map { $0 < cutoff } ?? false } ?? false
            guard old || over > 0 else { break }
            if try await delete(model, key: key) {
                deleted += 1
                over = max(0, over - 1)
            }
        }
        return deleted
    }

    /// How many records ``pruneRecords(_:finished:_:)`` reads per status at a time.
    public static var prunePage: Int { 100 }

    /// A time column's value as a date (timestamps, ISO 8601 text, seconds since 1970).
    static func age(_ value: RecordValue) -> Date? {
        switch value {
        case .timestamp(let date): date
        case .text(let text): ISO8601.parse(text)
        case .real(let seconds): Date(timeIntervalSince1970: seconds)
        case .integer(let seconds): Date(timeIntervalSince1970: Double(seconds))
        default: nil
        }
    }
}
