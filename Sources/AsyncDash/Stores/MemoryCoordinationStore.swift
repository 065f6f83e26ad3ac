import Foundation

/// The reference ``CoordinationStore``: locks, progress and the active set in an actor.
///
/// Pass a clock to test TTL expiry without sleeping:
///
/// ```swift
/// let clock = ManualClock()           // from AsyncDashTesting
/// let store = MemoryCoordinationStore(clock: clock)
/// clock.advance(by: .seconds(3601))   // every lock with a TTL of 3600 s is now free
/// ```
public actor MemoryCoordinationStore: CoordinationStore {
    private struct Lock {
        var owner: String
        var expiresAt: Date
        var acquiredAt: Date
    }

    private struct ProgressEntry {
        var payload: ProgressPayload
        var expiresAt: Date
    }

    private let clock: any AsyncDashClock
    private var lockTable: [String: Lock] = [:]
    private var tracking: [String: Set<String>] = [:]
    private var progressTable: [String: ProgressEntry] = [:]
    private var active: Set<String> = []
    private var letters: [DeadLetter] = []
    /// The ``AuditLog`` entries, oldest first.
    var auditEntries: [AuditEntry] = []
    /// Told of every task whose locks, progress or place in the active set changes.
    private let changes: ChangeBroadcaster?

    /// - Parameters:
    ///   - clock: Decides TTL expiry.
    ///   - changes: The store set's change feed, told of each task this store changes.
    public init(clock: any AsyncDashClock = SystemClock(), changes: ChangeBroadcaster? = nil) {
        self.clock = clock
        self.changes = changes
    }

    public func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation {
        let now = clock.now()
        var conflicts: [String: String] = [:]
        for key in keys {
            if let lock = lockTable[key], lock.expiresAt > now, lock.owner != owner {
                conflicts[key] = lock.owner
            }
        }
        guard conflicts.isEmpty else { return .conflict(conflicts) }
        let expiresAt = now.addingTimeInterval(ttl.timeInterval)
        for key in keys {
            // A renewal by the same owner keeps when the lock was first taken.
            let kept = lockTable[key].flatMap { $0.owner == owner && $0.expiresAt > now ? $0.acquiredAt : nil }
            lockTable[key] = Lock(owner: owner, expiresAt: expiresAt, acquiredAt: kept ?? now)
        }
        tracking[owner, default: []].formUnion(keys)
        if !keys.isEmpty { changes?.publish(owner) }
        return .reserved
    }

    public func lockOwners(_ keys: [String]) async throws -> [String: String] {
        let now = clock.now()
        var owners: [String: String] = [:]
        for key in keys {
            if let lock = lockTable[key], lock.expiresAt > now { owners[key] = lock.owner }
        }
        return owners
    }

    @discardableResult
    public func releaseLocks(owner: String) async throws -> [String] {
        guard let keys = tracking.removeValue(forKey: owner) else { return [] }
        var released: [String] = []
        for key in keys.sorted() where lockTable[key]?.owner == owner {
            lockTable.removeValue(forKey: key)
            released.append(key)
        }
        if !released.isEmpty { changes?.publish(owner) }
        return released
    }

    /// Extends the unexpired locks of `owners` to `until` (never shortening one): what a durable
    /// queue's heartbeat does for the tasks it still runs.
    func renewLocks(owners: Set<String>, until: Date) {
        let now = clock.now()
        for (key, lock) in lockTable where owners.contains(lock.owner) && lock.expiresAt > now && lock.expiresAt < until {
            lockTable[key]?.expiresAt = until
        }
    }

    public func locks() async throws -> [LockInfo] {
        let now = clock.now()
        return lockTable.compactMap { key, lock in
            lock.expiresAt > now ? LockInfo(key: key, owner: lock.owner, expiresAt: lock.expiresAt, acquiredAt: lock.acquiredAt) : nil
        }.sorted { $0.key < $1.key }
    }

    public func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws {
        progressTable[task] = ProgressEntry(payload: progress, expiresAt: clock.now().addingTimeInterval(ttl.timeInterval))
        changes?.publish(task)
    }

    public func progress(for task: String) async throws -> ProgressPayload? {
        guard let entry = progressTable[task], entry.expiresAt > clock.now() else { return nil }
        return entry.payload
    }

    @discardableResult
    public func deleteProgress(for task: String) async throws -> Bool {
        guard let entry = progressTable.removeValue(forKey: task) else { return false }
        changes?.publish(task)
        return entry.expiresAt > clock.now()
    }

    public func addActiveTask(_ task: String) async throws {
        if active.insert(task).inserted { changes?.publish(task) }
    }

    @discardableResult
    public func removeActiveTask(_ task: String) async throws -> Bool {
        guard active.remove(task) != nil else { return false }
        changes?.publish(task)
        return true
    }

    public func activeTasks() async throws -> [String] {
        active.sorted()
    }

    public func isActiveTask(_ task: String) async throws -> Bool {
        active.contains(task)
    }

    public func deadLetter(_ letter: DeadLetter) async throws {
        letters.append(letter)
    }

    public func deadLetters() async throws -> [DeadLetter] {
        letters
    }

    public func pruneDeadLetters(_ limit: RetentionLimit) async throws -> Int {
        Self.prune(&letters, limit, at: \.at)
    }

    /// Removes from `items` (oldest first) those from before `limit.before`, then all but the
    /// newest `limit.keepNewest`; returns how many.
    static func prune<Item>(_ items: inout [Item], _ limit: RetentionLimit, at time: KeyPath<Item, Date>) -> Int {
        let before = items.count
        if let cutoff = limit.before { items.removeAll { $0[keyPath: time] < cutoff } }
        if let keep = limit.keepNewest, items.count > keep { items.removeFirst(items.count - keep) }
        return before - items.count
    }
}
