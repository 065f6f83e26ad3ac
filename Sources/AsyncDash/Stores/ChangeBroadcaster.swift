import Foundation
import Synchronization

/// Fans published changes out to subscribers, coalescing per subscriber: the reference
/// implementation of a ``ChangeFeed``'s delivery, used by the memory and SQLite drivers.
///
/// Each subscriber keeps one set of changed task names until it takes them; past
/// `maximumPending` names the set is dropped for a single ``ChangeNotice/resync``, so a listener
/// that stops reading costs at most that many names. Publishing never waits for a listener.
///
/// A driver that must do work while anyone listens (a poll, a `LISTEN` connection) passes
/// `onListening`: it is called with the broadcaster and `true` when the first subscriber arrives,
/// and `false` when the last one leaves — under the broadcaster's lock, so a start and a stop
/// never cross: start or stop the work there (e.g. create or cancel a `Task`), without waiting
/// and without calling back into the broadcaster.
public final class ChangeBroadcaster: ChangeFeed {
    private struct State {
        var listeners: [ObjectIdentifier: Weak] = [:]
    }

    private struct Weak {
        weak var listener: ChangeListener?
    }

    private let state = Mutex(State())
    private let maximumPending: Int
    private let onListening: (@Sendable (ChangeBroadcaster, Bool) -> Void)?

    /// - Parameters:
    ///   - maximumPending: How many distinct task names a subscriber may have pending before
    ///     they are replaced by one resync (at least 1).
    ///   - onListening: Called with this broadcaster and `true` when the first subscriber
    ///     arrives, `false` when the last leaves.
    public init(maximumPending: Int = 1_024, onListening: (@Sendable (ChangeBroadcaster, Bool) -> Void)? = nil) {
        self.maximumPending = max(1, maximumPending)
        self.onListening = onListening
    }

    public func subscribe() -> ChangeSubscription {
        let listener = ChangeListener(maximumPending: maximumPending, broadcaster: self)
        state.withLock { state in
            state.listeners[ObjectIdentifier(listener)] = Weak(listener: listener)
            if state.listeners.count == 1 { onListening?(self, true) }
        }
        return ChangeSubscription(listener: listener)
    }

    /// How many subscriptions are live.
    public var subscriberCount: Int {
        state.withLock { $0.listeners.count }
    }

    /// Tells every subscriber that `tasks` changed.
    public func publish(_ tasks: some Sequence<String>) {
        let names = Set(tasks)
        guard !names.isEmpty else { return }
        for listener in currentListeners() { listener.add(.changed(names)) }
    }

    /// Tells every subscriber that `task` changed.
    public func publish(_ task: String) {
        publish(CollectionOfOne(task))
    }

    /// Tells every subscriber to re-read everything (the driver lost track of what changed).
    public func publishResync() {
        for listener in currentListeners() { listener.add(.resync) }
    }

    private func currentListeners() -> [ChangeListener] {
        state.withLock { state in state.listeners.values.compactMap(\.listener) }
    }

    func remove(_ id: ObjectIdentifier) {
        state.withLock { state in
            if state.listeners.removeValue(forKey: id) != nil, state.listeners.isEmpty { onListening?(self, false) }
        }
    }
}

/// One subscriber's pending notice and its waiting reader; removes itself from its broadcaster
/// when released.
final class ChangeListener: Sendable {
    private struct State {
        var names: Set<String> = []
        var resync = false
        var waiter: (id: UUID, continuation: CheckedContinuation<Void, Never>)?
    }

    private let state = Mutex(State())
    private let maximumPending: Int
    private let broadcaster: ChangeBroadcaster

    init(maximumPending: Int, broadcaster: ChangeBroadcaster) {
        self.maximumPending = maximumPending
        self.broadcaster = broadcaster
    }

    deinit {
        broadcaster.remove(ObjectIdentifier(self))
    }

    func add(_ notice: ChangeNotice) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch notice {
            case .resync:
                state.resync = true
                state.names = []
            case .changed(let names):
                if !state.resync {
                    state.names.formUnion(names)
                    if state.names.count > maximumPending {
                        state.resync = true
                        state.names = []
                    }
                }
            }
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    private func take() -> ChangeNotice? {
        state.withLock { state in
            if state.resync {
                state.resync = false
                return .resync
            }
            guard !state.names.isEmpty else { return nil }
            defer { state.names = [] }
            return .changed(state.names)
        }
    }

    func next(timeout: Duration) async -> ChangeNotice? {
        if let notice = take() { return notice }
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if Task.isCancelled || state.resync || !state.names.isEmpty { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if ready {
                    continuation.resume()
                    return
                }
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.resumeWaiter(id)
                }
            }
        } onCancel: {
            resumeWaiter(id)
        }
        return take()
    }

    private func resumeWaiter(_ id: UUID) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
