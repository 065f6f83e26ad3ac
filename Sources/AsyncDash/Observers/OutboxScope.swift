import Synchronization

/// The outbox messages of the event being emitted, for the hook's record write to take and write
/// in its own transaction (``ModelTrackingAsyncManager`` does). What the hook does not take — or
/// took and failed to write — ``AsyncManager/emit(_:)`` appends on its own.
///
/// ```swift
/// let messages = OutboxScope.current?.take() ?? []
/// try await stores.records.apply(model, key: taskName, change, outbox: messages)
/// ```
public final class OutboxScope: Sendable {
    private struct State {
        var waiting: [OutboxMessage]
        var taken: [OutboxMessage] = []
    }

    private let state: Mutex<State>

    /// The scope of the emission running in this task, if any.
    @TaskLocal public static var current: OutboxScope?

    init(_ messages: [OutboxMessage]) {
        state = Mutex(State(waiting: messages))
    }

    /// The messages not yet taken; from now on the caller writes them with its record.
    public func take() -> [OutboxMessage] {
        state.withLock { state in
            defer {
                state.taken += state.waiting
                state.waiting = []
            }
            return state.waiting
        }
    }

    /// What is left to append after the hook: the untaken messages, and the taken ones too when
    /// the hook failed (its transaction, and so their rows, did not commit).
    func leftover(hookFailed: Bool) -> [OutboxMessage] {
        state.withLock { state in (hookFailed ? state.taken : []) + state.waiting }
    }
}
