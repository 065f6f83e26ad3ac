import Foundation

/// What a change feed tells a listener: which tasks changed since its last notice, or that it must
/// re-read everything it shows.
public enum ChangeNotice: Sendable, Hashable {
    /// These tasks changed (their record, progress, locks or place in the active set), named by
    /// task name — the record key of a tracking manager's model. Several changes to one task
    /// since the listener's last notice are one name.
    case changed(Set<String>)
    /// The listener fell behind (more changed than a notice holds, or the feed lost track of
    /// what changed): re-read everything.
    case resync

    /// Whether `task` is among the changed tasks (always true for ``resync``).
    public func concerns(_ task: String) -> Bool {
        switch self {
        case .changed(let names): names.contains(task)
        case .resync: true
        }
    }
}

/// The change-feed role of a store driver: coalesced notices that tasks changed, made by this
/// process or by any other on the same store, so live views and other processes are pushed
/// instead of polling the records per viewer.
///
/// A notice says *that* a task changed, not how: a listener re-reads what it shows. A listener
/// that does not keep up never makes the feed buffer without bound: its pending names are
/// coalesced into one set, and past a bound replaced by ``ChangeNotice/resync``.
///
/// ```swift
/// let stores = StoreSet.memory()
/// let changes = try await stores.changes.subscribe()
/// try await stores.coordination.addActiveTask("import-42")
/// let notice = await changes.next(timeout: .seconds(1))   // .changed(["import-42"])
/// ```
///
/// ``ChangeBroadcaster`` is the reference implementation of the delivery half: a driver that
/// learns of changes (its own writes, a poll, `LISTEN`) publishes them to it.
public protocol ChangeFeed: Sendable {
    /// Subscribes to notices of changes from now on. The subscription ends when it is released.
    func subscribe() async throws -> ChangeSubscription
}

/// One listener's notices (see ``ChangeFeed``). Iterate it, or wait with a timeout.
public struct ChangeSubscription: AsyncSequence, Sendable {
    public typealias Element = ChangeNotice

    let listener: ChangeListener

    /// The next notice, or `nil` when `timeout` passes first or the task is cancelled.
    public func next(timeout: Duration) async -> ChangeNotice? {
        await listener.next(timeout: timeout)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listener: ChangeListener

        /// The next notice; `nil` once the task is cancelled.
        public mutating func next() async -> ChangeNotice? {
            while !Task.isCancelled {
                if let notice = await listener.next(timeout: .seconds(3_600)) { return notice }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(listener: listener)
    }
}
