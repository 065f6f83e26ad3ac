import Foundation

/// Moves an installation from one store to another (`asyncdash migrate --from … --to …`): the
/// records of each model, the audit log, the unfinished jobs, the undelivered outbox entries, and
/// what the coordination role holds for them (unexpired locks, the active set, dead letters).
/// Progress entries are not copied: they are rewritten by the next progress report.
///
/// It works through the roles' public transfer calls, so it copies between any two drivers. It
/// refuses to start while a worker is live on the source (its jobs would change under the copy)
/// and, unless `intoNonEmpty`, when the target already holds anything. Jobs go last, so that no
/// worker on the target runs a job before its locks are there. A job that was running under a
/// lease that has ended (its worker is gone) is queued again at the same attempt, as a worker's
/// hand-back would. Run twice, it adds nothing the first run copied.
///
/// ```swift
/// let copy = StoreCopy(from: try StoreSet.sqlite(path: "old.sqlite"), to: StoreSet.memory(), models: [SampleAsyncManager.model])
/// let report = try await copy.run()
/// print(report.json.jsonText)
/// ```
public struct StoreCopy: Sendable {
    public var source: StoreSet
    public var target: StoreSet
    /// The record models whose records are copied (their tables are prepared on the target).
    public var models: [RecordModel]
    /// Copy into a target that already holds something: records are replaced by key; jobs, audit
    /// entries, outbox entries and dead letters it already has are skipped.
    public var intoNonEmpty: Bool
    /// How many items each read and write moves.
    public var batchSize: Int
    public var clock: any AsyncDashClock

    public init(
        from source: StoreSet, to target: StoreSet, models: [RecordModel], intoNonEmpty: Bool = false, batchSize: Int = 500,
        clock: any AsyncDashClock = SystemClock()
    ) {
        self.source = source
        self.target = target
        self.models = models
        self.intoNonEmpty = intoNonEmpty
        self.batchSize = max(1, batchSize)
        self.clock = clock
    }

    /// Checks, copies, and says what it copied. `progress` is told after each batch.
    ///
    /// - Throws: ``StoreCopyError`` when the source has live workers or the target is not
    ///   empty (nothing is copied then); a store's error when a read or write fails (what was
    ///   copied stays, and a second run completes the copy).
    public func run(progress: @Sendable (StoreCopyReport) -> Void = { _ in }) async throws -> StoreCopyReport {
        let sourceQueue = source.queue.taskQueue(runner: NoRunner())
        let now = clock.now()
        let live = try await sourceQueue.workers().filter { worker in
            (worker.presentUntil.map { $0 > now } ?? false) || (worker.leaseExpiresAt.map { $0 > now } ?? false)
        }
        guard live.isEmpty else { throw StoreCopyError.liveWorkers(live.map(\.workerID)) }
        for model in models { try await target.records.prepare(model) }
        if !intoNonEmpty {
            let held = try await targetContents()
            guard held.isEmpty else { throw StoreCopyError.targetNotEmpty(held) }
        }

        var report = StoreCopyReport()
        for model in models { try await copyRecords(of: model, into: &report, progress: progress) }
        try await copyAudit(into: &report, progress: progress)
        try await copyCoordination(into: &report, at: now)
        progress(report)
        try await copyOutbox(into: &report, progress: progress)
        try await copyJobs(into: &report, progress: progress)
        return report
    }

    /// What the target holds already, in words (empty: nothing).
    public func targetContents() async throws -> [String] {
        var held: [String] = []
        for model in models where try await !target.records.exportRecords(model, after: nil, limit: 1).isEmpty {
            held.append("records of \(model.name) (table \(model.table))")
        }
        if try await !target.audit.exportEntries(after: 0, limit: 1).items.isEmpty { held.append("audit entries") }
        if try await !target.queue.exportJobs(after: 0, limit: 1).items.isEmpty { held.append("queued or running jobs") }
        if try await !target.outbox.exportUndelivered(after: 0, limit: 1).items.isEmpty { held.append("undelivered outbox entries") }
        if try await !target.coordination.locks().isEmpty { held.append("locks") }
        if try await !target.coordination.activeTasks().isEmpty { held.append("active tasks") }
        if try await !target.coordination.deadLetters().isEmpty { held.append("dead letters") }
        return held
    }

    private func copyRecords(of model: RecordModel, into report: inout StoreCopyReport, progress: (StoreCopyReport) -> Void) async throws {
        var after: String?
        report.records[model.name] = 0
        while true {
            let batch = try await source.records.exportRecords(model, after: after, limit: batchSize)
            if batch.isEmpty { break }
            try await target.records.importRecords(model, batch)
            report.records[model.name, default: 0] += batch.count
            progress(report)
            guard batch.count == batchSize, case .text(let last)? = batch.last?[model.keyColumn] else { break }
            after = last
        }
    }

    private func copyAudit(into report: inout StoreCopyReport, progress: (StoreCopyReport) -> Void) async throws {
        var position: Int64 = 0
        while true {
            let page = try await source.audit.exportEntries(after: position, limit: batchSize)
            let added = try await target.audit.importEntries(page.items)
            report.auditEntries += added
            report.skipped.auditEntries += page.items.count - added
            progress(report)
            guard let next = page.next else { break }
            position = next
        }
    }

    /// Unexpired locks (grouped by owner and end, with the time they have left), the active set,
    /// and dead letters the target lacks.
    private func copyCoordination(into report: inout StoreCopyReport, at now: Date) async throws {
        let locks = try await source.coordination.locks().filter { $0.expiresAt > now }
        let groups = Dictionary(grouping: locks) { LockGroup(owner: $0.owner, expiresAt: $0.expiresAt) }
        for (group, held) in groups.sorted(by: { ($0.key.owner, $0.key.expiresAt) < ($1.key.owner, $1.key.expiresAt) }) {
            let keys = held.map(\.key).sorted()
            let ttl = Duration.milliseconds(Int64(max(1, group.expiresAt.timeIntervalSince(now) * 1000)))
            switch try await target.coordination.reserveLocks(keys, owner: group.owner, ttl: ttl) {
            case .reserved: report.locks += keys.count
            case .conflict(let holders):
                for (key, holder) in holders.sorted(by: { $0.key < $1.key }) {
                    report.lockConflicts.append("\(key) (owner \(group.owner)) is held by \(holder) on the target")
                }
            }
        }
        let active = try await target.coordination.activeTasks()
        for task in try await source.coordination.activeTasks() where !active.contains(task) {
            try await target.coordination.addActiveTask(task)
            report.activeTasks += 1
        }
        let letters = Set(try await target.coordination.deadLetters())
        for letter in try await source.coordination.deadLetters() {
            if letters.contains(letter) {
                report.skipped.deadLetters += 1
            } else {
                try await target.coordination.deadLetter(letter)
                report.deadLetters += 1
            }
        }
    }

    /// `items` cut into runs of consecutive items with the same `key`, in order.
    static func runs<Item>(of items: [Item], by key: (Item) -> Bool) -> [(key: Bool, items: [Item])] {
        var runs: [(key: Bool, items: [Item])] = []
        for item in items {
            let value = key(item)
            if runs.last?.key == value { runs[runs.count - 1].items.append(item) } else { runs.append((value, [item])) }
        }
        return runs
    }

    private struct LockGroup: Hashable {
        var owner: String
        var expiresAt: Date
    }

    private func copyOutbox(into report: inout StoreCopyReport, progress: (StoreCopyReport) -> Void) async throws {
        var position: Int64 = 0
        while true {
            let page = try await source.outbox.exportUndelivered(after: position, limit: batchSize)
            // Runs of pending and of dead entries, in order, so the report counts what was added of each.
            for run in Self.runs(of: page.items, by: { $0.state == .dead }) {
                let added = try await target.outbox.importUndelivered(run.items)
                if run.key { report.outbox.dead += added } else { report.outbox.pending += added }
                report.skipped.outboxEntries += run.items.count - added
            }
            progress(report)
            guard let next = page.next else { break }
            position = next
        }
    }

    private func copyJobs(into report: inout StoreCopyReport, progress: (StoreCopyReport) -> Void) async throws {
        var position: Int64 = 0
        while true {
            let page = try await source.queue.exportJobs(after: position, limit: batchSize)
            // Runs of waiting and of handed-back jobs, in order, so the report counts what was added of each.
            for run in Self.runs(of: page.items, by: \.isRunning) {
                let jobs = run.items.map { item in
                    var job = item
                    job.leaseOwner = nil
                    job.leaseExpiresAt = nil
                    return job
                }
                let added = try await target.queue.importJobs(jobs)
                if run.key { report.jobs.handedBack += added } else { report.jobs.queued += added }
                report.skipped.jobs += run.items.count - added
            }
            progress(report)
            guard let next = page.next else { break }
            position = next
        }
    }
}

/// What ``StoreCopy/run(progress:)`` copied.
public struct StoreCopyReport: Sendable, Hashable {
    public struct Jobs: Sendable, Hashable {
        /// Jobs that were waiting in the queue (added to the target; see ``Skipped`` for the rest).
        public var queued = 0
        /// Jobs that were running under an ended lease: queued again at the same attempt.
        public var handedBack = 0

        public init() {}
    }

    public struct Outbox: Sendable, Hashable {
        public var pending = 0
        /// Given up on: copied as dead, for an operator to retry or discard.
        public var dead = 0

        public init() {}
    }

    /// What the target already had (``StoreCopy/intoNonEmpty``, or a second run).
    public struct Skipped: Sendable, Hashable {
        public var jobs = 0
        public var auditEntries = 0
        public var outboxEntries = 0
        public var deadLetters = 0

        public init() {}
    }

    /// Model name → records written.
    public var records: [String: Int] = [:]
    public var auditEntries = 0
    public var jobs = Jobs()
    public var outbox = Outbox()
    public var locks = 0
    /// Locks the target's own holders kept (only when copying into a non-empty target).
    public var lockConflicts: [String] = []
    public var activeTasks = 0
    public var deadLetters = 0
    public var skipped = Skipped()

    public init() {}

    public var json: JSONValue {
        [
            "records": .object(records.mapValues { .int($0) }),
            "audit_entries": .int(auditEntries),
            "jobs": ["queued": .int(jobs.queued), "handed_back": .int(jobs.handedBack)],
            "outbox": ["pending": .int(outbox.pending), "dead": .int(outbox.dead)],
            "locks": .int(locks),
            "lock_conflicts": .array(lockConflicts.map(JSONValue.string)),
            "active_tasks": .int(activeTasks),
            "dead_letters": .int(deadLetters),
            "skipped": [
                "jobs": .int(skipped.jobs), "audit_entries": .int(skipped.auditEntries),
                "outbox_entries": .int(skipped.outboxEntries), "dead_letters": .int(skipped.deadLetters),
            ],
        ]
    }
}

/// Why ``StoreCopy`` did not start.
public enum StoreCopyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Workers are live on the source (by id): their jobs would change under the copy.
    case liveWorkers([String])
    /// The target holds these already.
    case targetNotEmpty([String])

    public var description: String {
        switch self {
        case .liveWorkers(let ids):
            "workers are live on the source (\(ids.joined(separator: ", "))): stop every worker and serve process on it, "
                + "then copy (a worker stopped by a kill is no longer live once its lease ends)"
        case .targetNotEmpty(let held):
            "the target is not empty (it holds \(held.joined(separator: ", "))): copy into an empty store, "
                + "or pass --into-non-empty to replace records by key and skip what it already has"
        }
    }
}

/// ``StoreCopy`` only reads the source's queue: it never runs or cancels a job.
private struct NoRunner: TaskJobRunner {
    func runJob(_ job: TaskJob) async -> TaskJobOutcome { .handedBack }
    func finishCancelledJob(_ job: TaskJob) async {}
}
