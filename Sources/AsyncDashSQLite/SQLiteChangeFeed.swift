import AsyncDash
import Foundation
import GRDB
import Logging
import Synchronization

/// The change feed of a ``SQLiteStore``: triggers write each change of a task to the change log
/// (`asyncdash_changes`) in the writer's transaction, whichever process wrote it; one poll per
/// store instance reads the new rows every ``SQLiteStoreOptions/changePollInterval`` while anyone
/// listens, and hands them to a ``ChangeBroadcaster``. However many browsers follow a page,
/// the file is read once per interval.
///
/// A listener that falls behind the kept log (``SQLiteSchema/changesKept`` rows), or a poll
/// that fails, gets a ``ChangeNotice/resync``.
struct SQLiteChangeFeed: ChangeFeed {
    private let pool: DatabasePool
    private let poller: SQLiteChangePoller
    private let broadcaster: ChangeBroadcaster

    init(pool: DatabasePool, interval: Duration) {
        let poller = SQLiteChangePoller(pool: pool, interval: interval)
        self.pool = pool
        self.poller = poller
        broadcaster = ChangeBroadcaster { broadcaster, listening in
            poller.set(listening ? broadcaster : nil)
        }
    }

    /// Reads the end of the change log before subscribing, so that every change committed after
    /// this call returns is heard, even when the poll starts with this subscription.
    func subscribe() async throws -> ChangeSubscription {
        let table = SQLiteSchema.changes
        let end = try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM \(table)") ?? 0 }
        let subscription = broadcaster.subscribe()
        poller.readFrom(end)
        return subscription
    }
}

/// The poll of one store's change log, running while its broadcaster has listeners.
final class SQLiteChangePoller: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        /// The last change read (nil until the first subscriber said where the log ended).
        var position: Int64?
    }

    private let pool: DatabasePool
    private let interval: Duration
    private let state = Mutex(State())
    private let logger = Logger(label: "asyncdash.sqlite")

    init(pool: DatabasePool, interval: Duration) {
        self.pool = pool
        self.interval = interval
    }

    deinit {
        state.withLock { $0.task?.cancel() }
    }

    /// Polls for `broadcaster`, or stops polling when it is `nil`.
    func set(_ broadcaster: ChangeBroadcaster?) {
        state.withLock { state in
            state.task?.cancel()
            state.task = broadcaster.map { broadcaster in Task { await self.poll(for: broadcaster) } }
            state.position = nil
        }
    }

    /// Makes the poll read every change after `seq` (a new subscriber's start), unless it is
    /// already at or before it.
    func readFrom(_ seq: Int64) {
        state.withLock { state in
            state.position = min(state.position ?? seq, seq)
        }
    }

    /// Reads the change log every `interval` until cancelled.
    private func poll(for broadcaster: ChangeBroadcaster) async {
        while !Task.isCancelled {
            if let position = state.withLock({ $0.position }) {
                do {
                    let read = try await readChanges(after: position, for: broadcaster)
                    state.withLock { state in
                        if let current = state.position, current == position { state.position = read }
                    }
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.warning("change feed could not read the change log; listeners will resync", metadata: ["error": "\(error)"])
                    broadcaster.publishResync()
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Publishes the tasks changed after `seq` and returns the last sequence number read.
    func readChanges(after seq: Int64, for broadcaster: ChangeBroadcaster) async throws -> Int64 {
        let table = SQLiteSchema.changes
        let limit = SQLiteSchema.changesPruneEvery
        let (rows, oldest, newest) = try await pool.read { db -> ([(Int64, String)], Int64?, Int64?) in
            let newest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM \(table)")
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM \(table)")
            let rows = try Row.fetchAll(db, sql: "SELECT seq, tasks FROM \(table) WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
                .map { (row: Row) in (row[0] as Int64, row[1] as String) }
            return (rows, oldest, newest)
        }
        if let oldest, oldest > seq + 1 || rows.count == limit {
            // Rows this poll has not read were pruned, or more changed than one read takes.
            broadcaster.publishResync()
            return newest ?? seq
        }
        var names: Set<String> = []
        for (_, tasks) in rows {
            guard let decoded = try? JSONDecoder().decode([String].self, from: Data(tasks.utf8)) else {
                // Not what this driver writes: the log was damaged or written by something else.
                broadcaster.publishResync()
                return rows.last?.0 ?? seq
            }
            names.formUnion(decoded)
        }
        broadcaster.publish(names)
        return rows.last?.0 ?? seq
    }
}
