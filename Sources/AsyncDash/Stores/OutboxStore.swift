import Foundation

/// One event waiting for one durable observer (a row of the outbox).
public struct OutboxMessage: Sendable, Hashable {
    /// Who receives it: `"<manager>/<observer>"` (``ObserverRegistration/consumer(manager:)``).
    public var consumer: String
    /// The event (``LifecycleEvent/json``).
    public var event: JSONValue
    public var createdAt: Date
    /// The id of the event it carries, the same for every consumer of one emitted event and on
    /// every retry and replay. A store keeps one entry per consumer and event id: appending a
    /// message again (a write retried after its acknowledgement was lost) changes nothing.
    /// `nil`: no id (every append is a new entry).
    public var eventID: String?
    /// What delivery keeps in order: a consumer's entries with one order key are delivered one
    /// after another in append order, while entries with different keys may go concurrently and
    /// one key's retry holds up only that key. Default: the event's task (`task_name`), so
    /// each task's events arrive in order.
    public var orderKey: String

    /// - Parameter orderKey: Default: the event's `task_name` (`""` when it has none).
    public init(consumer: String, event: JSONValue, createdAt: Date, eventID: String? = nil, orderKey: String? = nil) {
        self.consumer = consumer
        self.event = event
        self.createdAt = createdAt
        self.eventID = eventID
        self.orderKey = orderKey ?? event["task_name"]?.stringValue ?? ""
    }
}

/// Where an outbox entry stands.
public enum OutboxState: String, Sendable, Hashable, CaseIterable {
    /// Waiting for delivery (first try, or a retry after `nextAttemptAt`).
    case pending
    /// Delivered; kept for a while as history.
    case delivered
    /// Given up after its attempts: kept for an operator to retry or discard.
    case dead
}

/// One outbox entry with its delivery state: what a dispatcher claims and an operator inspects.
public struct OutboxEntry: Sendable, Hashable {
    /// Increasing in append order (per store).
    public var id: Int64
    public var message: OutboxMessage
    public var state: OutboxState
    /// Deliveries tried so far.
    public var attempts: Int
    public var lastError: String?
    /// Not to be tried before this time (a retry's backoff).
    public var nextAttemptAt: Date
    public var deliveredAt: Date?

    public init(
        id: Int64, message: OutboxMessage, state: OutboxState, attempts: Int, lastError: String?, nextAttemptAt: Date, deliveredAt: Date?
    ) {
        self.id = id
        self.message = message
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// The outbox role of a store driver: events for durable observers, kept until each is delivered
/// (or dead-lettered), so they survive a crash and any process on the store can deliver them.
///
/// Delivery is ordered per consumer and ``OutboxMessage/orderKey`` (the event's task):
/// ``claim(consumer:owner:limit:leaseTTL:)`` hands out the consumer's oldest due entries, skipping
/// every entry that has an earlier pending entry of its order key which is waiting for a retry or
/// leased, so two processes never deliver one task's events out of order, and one task's failing
/// event holds up only that task. A dead entry holds nothing up.
/// Entries are appended together with the record write that caused them
/// (``RecordStore/apply(_:key:_:outbox:)``), or alone with ``append(_:)``.
///
/// Implementations: ``MemoryOutboxStore`` (the reference), `SQLiteStore` in `AsyncDashSQLite`.
///
/// ```swift
/// try await outbox.append([OutboxMessage(consumer: "app/myapp.observers.journal", event: event.json, createdAt: Date())])
/// let batch = try await outbox.claim(consumer: "app/myapp.observers.journal", owner: "p1", limit: 10, leaseTTL: .seconds(30))
/// try await outbox.markDelivered(batch.map(\.id), owner: "p1")
/// ```
public protocol OutboxStore: Sendable {
    /// Appends `messages`, pending from now; durable when this returns. A message whose consumer
    /// and ``OutboxMessage/eventID`` an entry already has is skipped (a retried write is applied once).
    func append(_ messages: [OutboxMessage]) async throws

    /// Leases up to `limit` of `consumer`'s pending entries to `owner`, oldest first (id order):
    /// those whose time has come and which are not leased, except where an earlier pending entry
    /// of the same ``OutboxMessage/orderKey`` is not yet due or is leased (by any owner, until its
    /// lease expires). So a claim never hands out an entry ahead of one of its key still in
    /// flight or waiting for a retry, and does hand out other keys' entries.
    func claim(consumer: String, owner: String, limit: Int, leaseTTL: Duration) async throws -> [OutboxEntry]

    /// Marks entries `owner` leased as delivered.
    func markDelivered(_ ids: [Int64], owner: String) async throws

    /// Records a failed delivery of an entry `owner` leased: pending again from `retryAt`, or
    /// dead when `retryAt` is `nil`. Attempts count up by one either way.
    func markFailed(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws

    /// Gives back entries `owner` leased without trying them (still pending, attempts unchanged).
    func release(_ ids: [Int64], owner: String) async throws

    /// Entries in `states` (all when empty), of `consumer` (all when `nil`), oldest first, at most `limit`.
    func entries(consumer: String?, states: Set<OutboxState>, limit: Int) async throws -> [OutboxEntry]

    /// Puts a dead entry back to pending, due now, its attempts reset (an operator's retry).
    /// Returns whether there was such an entry.
    @discardableResult
    func retryDead(_ id: Int64) async throws -> Bool

    /// Puts delivered and dead entries among `ids` back to pending, due now, their attempts reset
    /// and any lease dropped — an operator's retry or replay: the entry keeps its event and its
    /// ``OutboxMessage/eventID``, so a receiver sees the same id again. Pending entries and
    /// unknown ids are left alone. Returns how many entries changed.
    @discardableResult
    func requeue(_ ids: [Int64]) async throws -> Int

    /// Removes the dead entries among `ids` (an operator's discard); others are left alone.
    /// Returns how many were removed.
    @discardableResult
    func removeDead(_ ids: [Int64]) async throws -> Int

    /// Removes entries in `state` — ``OutboxState/delivered`` (aged by their delivery time) or
    /// ``OutboxState/dead`` (aged by the time they were queued); pending entries are never
    /// pruned — from before `limit.before`, then all but the newest `limit.keepNewest` of them.
    /// Returns how many. The scheduled clean-up calls it with `RETENTION.outbox_delivered` and
    /// `RETENTION.outbox_dead`.
    @discardableResult
    func prune(_ state: OutboxState, _ limit: RetentionLimit) async throws -> Int

    /// The undelivered entries (pending and dead) with an id above `after`, in id order, at most
    /// `limit`: what ``StoreCopy`` reads when an installation moves (positions are entry ids).
    func exportUndelivered(after id: Int64, limit: Int) async throws -> TransferPage<OutboxEntry>

    /// Adds undelivered entries as they stand (state, attempts, last error, next attempt time),
    /// with ids of this outbox in the given order and no lease. An entry whose consumer and
    /// ``OutboxMessage/eventID`` the outbox already has is skipped — or, for an entry without an
    /// event id (appended before ids existed), whose consumer, event and creation time it
    /// already has — so a copy run twice adds nothing; returns how many were added.
    func importUndelivered(_ entries: [OutboxEntry]) async throws -> Int
}

extension OutboxStore {
    /// Removes delivered entries delivered before `date`; returns how many.
    @discardableResult
    public func pruneDelivered(before date: Date) async throws -> Int {
        try await prune(.delivered, RetentionLimit(before: date, keepNewest: nil))
    }
}
