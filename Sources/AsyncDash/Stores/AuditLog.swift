import Foundation

/// One action taken on a task by a person (from the dashboard or another tool): who, what, when,
/// and how it went.
public struct AuditEntry: Sendable, Hashable {
    public var taskName: String
    /// `cancel`, `retry`, `cleanup`, `run-cleanup`, …
    public var action: String
    /// Who asked: the token's label, or `local` for an unauthenticated loopback user.
    public var actor: String
    public var at: Date
    /// What happened, in words ("cancelled", "relaunched as …", the error).
    public var outcome: String

    public init(taskName: String, action: String, actor: String, at: Date, outcome: String) {
        self.taskName = taskName
        self.action = action
        self.actor = actor
        self.at = at
        self.outcome = outcome
    }

    public var json: JSONValue {
        ["task_name": .string(taskName), "action": .string(action), "actor": .string(actor),
         "at": .string(ISO8601.format(at)), "outcome": .string(outcome)]
    }
}

/// Keeps the actions taken on tasks, durably, so the dashboard shows who did what and when.
///
/// Implementations: ``MemoryCoordinationStore`` (the reference) and `SQLiteStore`; both pass the
/// audit-log contract tests.
///
/// ```swift
/// try await log.append(AuditEntry(taskName: "import-42", action: "cancel", actor: "admin",
///                                 at: Date(), outcome: "cancel requested"))
/// let history = try await log.entries(forTask: "import-42", limit: 20)  // newest first
/// ```
public protocol AuditLog: Sendable {
    /// Appends `entry`; when this returns, it is stored.
    func append(_ entry: AuditEntry) async throws
    /// The task's entries, newest first, at most `limit` of them.
    func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry]
    /// Deletes entries from before `limit.before` and beyond the newest `limit.keepNewest`
    /// (retention); returns how many.
    func prune(_ limit: RetentionLimit) async throws -> Int

    /// Every entry, oldest first, in batches of at most `limit` from position `after` (0: from
    /// the start): what ``StoreCopy`` reads when an installation moves.
    func exportEntries(after position: Int64, limit: Int) async throws -> TransferPage<AuditEntry>

    /// Appends `entries` in order, skipping each one the log already has (equal in every field),
    /// so a copy run twice adds nothing; returns how many were added.
    func importEntries(_ entries: [AuditEntry]) async throws -> Int
}

extension MemoryCoordinationStore: AuditLog {
    public func append(_ entry: AuditEntry) async throws {
        auditEntries.append(entry)
    }

    public func entries(forTask taskName: String, limit: Int) async throws -> [AuditEntry] {
        Array(auditEntries.reversed().filter { $0.taskName == taskName }.prefix(max(0, limit)))
    }

    public func prune(_ limit: RetentionLimit) async throws -> Int {
        Self.prune(&auditEntries, limit, at: \.at)
    }

    public func exportEntries(after position: Int64, limit: Int) async throws -> TransferPage<AuditEntry> {
        let start = Int(clamping: max(0, position))
        let items = start < auditEntries.count ? Array(auditEntries[start...].prefix(max(0, limit))) : []
        return TransferPage(items: items, limit: limit, lastPosition: Int64(start + items.count))
    }

    public func importEntries(_ entries: [AuditEntry]) async throws -> Int {
        var known = Set(auditEntries)
        var added = 0
        for entry in entries where known.insert(entry).inserted {
            auditEntries.append(entry)
            added += 1
        }
        return added
    }
}
