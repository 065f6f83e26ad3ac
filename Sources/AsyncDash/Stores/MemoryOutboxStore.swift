import Foundation

/// The reference ``OutboxStore``: entries in an actor, timed by the store's clock. Nothing
/// outlives the process, so durable observers on a memory store survive observer failures but
/// not a crash.
public actor MemoryOutboxStore: OutboxStore {
    private struct Lease {
        var owner: String
        var until: Date
    }

    private let clock: any AsyncDashClock
    private var rows: [Int64: OutboxEntry] = [:]
    private var leases: [Int64: Lease] = [:]
    private var nextID: Int64 = 0
    /// The (consumer, event id) pairs appended (a retried append is skipped).
    private var appended: Set<EventKey> = []

    private struct EventKey: Hashable {
        var consumer: String
        var eventID: String
    }

    public init(clock: any AsyncDashClock = SystemClock()) {
        self.clock = clock
    }

    public func append(_ messages: [OutboxMessage]) async throws {
        let now = clock.now()
        for message in messages {
            if let eventID = message.eventID, appended.contains(EventKey(consumer: message.consumer, eventID: eventID)) { continue }
            if let eventID = message.eventID { appended.insert(EventKey(consumer: message.consumer, eventID: eventID)) }
            nextID += 1
            rows[nextID] = OutboxEntry(
                id: nextID, message: message, state: .pending, attempts: 0, lastError: nil, nextAttemptAt: now, deliveredAt: nil)
        }
    }

    public func claim(consumer: String, owner: String, limit: Int, leaseTTL: Duration) async throws -> [OutboxEntry] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        let pending = rows.values.filter { $0.message.consumer == consumer && $0.state == .pending }.sorted { $0.id < $1.id }
        var blocked: Set<String> = []
        var due: [OutboxEntry] = []
        for entry in pending where due.count < limit {
            let key = entry.message.orderKey
            guard !blocked.contains(key) else { continue }
            let leased = leases[entry.id].map { $0.until > now } ?? false
            if leased || entry.nextAttemptAt > now {
                // In flight or waiting for its retry: its key's later entries wait behind it.
                blocked.insert(key)
                continue
            }
            due.append(entry)
        }
        let until = now.addingTimeInterval(leaseTTL.timeInterval)
        for entry in due { leases[entry.id] = Lease(owner: owner, until: until) }
        return due
    }

    public func markDelivered(_ ids: [Int64], owner: String) async throws {
        let now = clock.now()
        for id in ids where leases[id]?.owner == owner && rows[id]?.state == .pending {
            rows[id]?.state = .delivered
            rows[id]?.attempts += 1
            rows[id]?.deliveredAt = now
            leases[id] = nil
        }
    }

    public func markFailed(_ id: Int64, owner: String, error: String, retryAt: Date?) async throws {
        guard leases[id]?.owner == owner, rows[id]?.state == .pending else { return }
        rows[id]?.attempts += 1
        rows[id]?.lastError = error
        if let retryAt {
            rows[id]?.nextAttemptAt = retryAt
        } else {
            rows[id]?.state = .dead
        }
        leases[id] = nil
    }

    public func release(_ ids: [Int64], owner: String) async throws {
        for id in ids where leases[id]?.owner == owner { leases[id] = nil }
    }

    public func entries(consumer: String?, states: Set<OutboxState>, limit: Int) async throws -> [OutboxEntry] {
        Array(
            rows.values
                .filter { (consumer == nil || $0.message.consumer == consumer) && (states.isEmpty || states.contains($0.state)) }
                .sorted { $0.id < $1.id }
                .prefix(max(0, limit)))
    }

    @discardableResult
    public func retryDead(_ id: Int64) async throws -> Bool {
        guard rows[id]?.state == .dead else { return false }
        rows[id]?.state = .pending
        rows[id]?.attempts = 0
        rows[id]?.nextAttemptAt = clock.now()
        return true
    }

    @discardableResult
    public func requeue(_ ids: [Int64]) async throws -> Int {
        let now = clock.now()
        var changed = 0
        for id in Set(ids) where rows[id].map({ $0.state != .pending }) ?? false {
            rows[id]?.state = .pending
            rows[id]?.attempts = 0
            rows[id]?.nextAttemptAt = now
            rows[id]?.deliveredAt = nil
            leases[id] = nil
            changed += 1
        }
        return changed
    }

    @discardableResult
    public func removeDead(_ ids: [Int64]) async throws -> Int {
        var removed = 0
        for id in Set(ids) where rows[id]?.state == .dead {
            rows[id] = nil
            leases[id] = nil
            removed += 1
        }
        return removed
    }

    public func exportUndelivered(after id: Int64, limit: Int) async throws -> TransferPage<OutboxEntry> {
        let items = Array(rows.values.filter { $0.id > id && $0.state != .delivered }.sorted { $0.id < $1.id }.prefix(max(0, limit)))
        return TransferPage(items: items, limit: limit, lastPosition: items.last?.id)
    }

    public func importUndelivered(_ entries: [OutboxEntry]) async throws -> Int {
        var added = 0
        for entry in entries where entry.state != .delivered {
            if let eventID = entry.message.eventID {
                guard appended.insert(EventKey(consumer: entry.message.consumer, eventID: eventID)).inserted else { continue }
            } else if rows.values.contains(where: { $0.message == entry.message }) {
                continue
            }
            nextID += 1
            var copy = entry
            copy.id = nextID
            copy.deliveredAt = nil
            rows[nextID] = copy
            added += 1
        }
        return added
    }

    @discardableResult
    public func prune(_ state: OutboxState, _ limit: RetentionLimit) async throws -> Int {
        guard state != .pending else { return 0 }
        struct Aged { var id: Int64; var at: Date }
        var entries = rows.values.filter { $0.state == state }
            .map { Aged(id: $0.id, at: state == .delivered ? ($0.deliveredAt ?? $0.message.createdAt) : $0.message.createdAt) }
            .sorted { ($0.at, $0.id) < ($1.at, $1.id) }
        let pruned = MemoryCoordinationStore.prune(&entries, limit, at: \.at)
        let kept = Set(entries.map(\.id))
        for (id, entry) in rows where entry.state == state && !kept.contains(id) { rows[id] = nil }
        return pruned
    }
}
