import Foundation

/// What powercrud keeps in a shared cache: conflict locks with their per-task tracking sets,
/// progress entries with a TTL, the active-task set, and dead letters.
///
/// Every method is atomic with respect to every other caller sharing the store, in this
/// process or another. Locks and progress expire only by their TTL, never by size pressure.
///
/// Implementations: ``MemoryCoordinationStore`` (the reference), `SQLiteStore` in `AsyncDashSQLite`.
public protocol CoordinationStore: Sendable {
    /// Takes a lock on every key for `owner`, or none of them.
    ///
    /// A key already held by `owner` counts as taken (its TTL is renewed); a key whose lock has
    /// expired is free. On success every key joins `owner`'s tracking set.
    func reserveLocks(_ keys: [String], owner: String, ttl: Duration) async throws -> LockReservation

    /// The current (unexpired) owner of each of `keys` that is locked.
    func lockOwners(_ keys: [String]) async throws -> [String: String]

    /// Releases every lock in `owner`'s tracking set that `owner` still holds, and the set itself.
    /// Idempotent. Returns the keys released.
    @discardableResult
    func releaseLocks(owner: String) async throws -> [String]

    /// Every unexpired lock, sorted by key.
    func locks() async throws -> [LockInfo]

    /// Sets the progress entry of `task`, expiring after `ttl`.
    func setProgress(_ progress: ProgressPayload, for task: String, ttl: Duration) async throws

    /// The unexpired progress entry of `task`.
    func progress(for task: String) async throws -> ProgressPayload?

    /// Deletes the progress entry of `task`; returns whether there was one.
    @discardableResult
    func deleteProgress(for task: String) async throws -> Bool

    /// Adds `task` to the active set (idempotent).
    func addActiveTask(_ task: String) async throws

    /// Removes `task` from the active set; returns whether it was there.
    @discardableResult
    func removeActiveTask(_ task: String) async throws -> Bool

    /// The active set, sorted.
    func activeTasks() async throws -> [String]

    /// Whether `task` is in the active set. A default implementation reads the whole set;
    /// stores override it with a lookup of one key (launching checks it for every task).
    func isActiveTask(_ task: String) async throws -> Bool

    /// Keeps an event that could not be applied, with the reason, so nothing is lost silently.
    func deadLetter(_ letter: DeadLetter) async throws

    /// The dead letters, oldest first.
    func deadLetters() async throws -> [DeadLetter]

    /// Deletes dead letters from before `limit.before` and beyond the newest `limit.keepNewest`
    /// (retention); returns how many.
    func pruneDeadLetters(_ limit: RetentionLimit) async throws -> Int
}

/// The outcome of ``CoordinationStore/reserveLocks(_:owner:ttl:)``.
public enum LockReservation: Sendable, Hashable {
    /// Every key is now held by the owner.
    case reserved
    /// Nothing was taken: these keys are held by other owners (key → owner).
    case conflict([String: String])
}

/// One conflict lock.
public struct LockInfo: Sendable, Hashable {
    public var key: String
    public var owner: String
    public var expiresAt: Date
    /// When the owner took the lock (kept while it renews it): how long the object has been
    /// locked. `nil` when the store cannot tell.
    public var acquiredAt: Date?

    public init(key: String, owner: String, expiresAt: Date, acquiredAt: Date? = nil) {
        self.key = key
        self.owner = owner
        self.expiresAt = expiresAt
        self.acquiredAt = acquiredAt
    }

    /// How long the lock has been held at `now`, when the store knows.
    public func age(at now: Date) -> Duration? {
        acquiredAt.map { .seconds(max(0, now.timeIntervalSince($0))) }
    }
}

/// An event that could not be applied, kept with the reason.
public struct DeadLetter: Sendable, Hashable {
    public var taskName: String
    /// The event as JSON (``LifecycleEvent/json``).
    public var event: JSONValue
    public var reason: String
    public var at: Date
    public init(taskName: String, event: JSONValue, reason: String, at: Date) {
        self.taskName = taskName
        self.event = event
        self.reason = reason
        self.at = at
    }
}

extension CoordinationStore {
    public func isActiveTask(_ task: String) async throws -> Bool {
        try await activeTasks().contains(task)
    }
}
