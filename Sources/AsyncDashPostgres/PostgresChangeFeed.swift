import AsyncDash
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The change feed of a ``PostgresStore``: triggers on the record tables, the locks, the progress
/// entries and the active set call `pg_notify` with the task's name in the writer's transaction
/// (so a notice is sent when, and only when, the change commits, from whichever machine wrote it).
/// While anyone in this process listens, one connection of its own runs `LISTEN` and hands the
/// names to a ``ChangeBroadcaster``: one connection per process, however many browsers follow a
/// page, and no polling.
///
/// Names that arrive within a few milliseconds of each other are published as one notice. When
/// the listening connection drops, it reconnects (backing off up to 5 s) and publishes a
/// ``ChangeNotice/resync``, since changes made meanwhile were not heard. A name too long for a
/// notification payload (over 7,000 bytes) arrives as a resync too.
final class PostgresChangeFeed: ChangeFeed {
    private struct State {
        var task: Task<Void, Never>?
        /// Resumed when `LISTEN` runs (a subscriber waits for it, so that every change committed
        /// after `subscribe()` returns is heard).
        var listening = false
        var pending: Set<String> = []
        var resync = false
        var flushScheduled = false
    }

    private let options: PostgresStoreOptions
    private let channel: String
    private let logger: Logger
    private let state = Mutex(State())
    private let broadcaster: ChangeBroadcaster
    /// How long names are gathered before they are published together.
    static let gatherWindow: Duration = .milliseconds(5)

    init(options: PostgresStoreOptions, channel: String, logger: Logger) {
        self.options = options
        self.channel = channel
        self.logger = logger
        let box = FeedBox()
        broadcaster = ChangeBroadcaster { broadcaster, listening in
            box.feed?.setListening(listening, broadcaster: broadcaster)
        }
        box.feed = self
    }

    /// Holds the feed weakly for the broadcaster's callback (the feed owns the broadcaster).
    private final class FeedBox: @unchecked Sendable {
        weak var feed: PostgresChangeFeed?
    }

    /// Starts or stops the listening task (called under the broadcaster's lock: no waiting).
    private func setListening(_ listening: Bool, broadcaster: ChangeBroadcaster) {
        state.withLock { state in
            state.task?.cancel()
            state.task = nil
            state.listening = false
            guard listening else { return }
            state.task = Task { await self.listen(for: broadcaster) }
        }
    }

    func stop() {
        state.withLock { state in
            state.task?.cancel()
            state.task = nil
        }
    }

    /// Subscribes, and returns once this process is listening on the server (waiting at most the
    /// connect timeout; after that, notices start once the connection is up).
    func subscribe() async throws -> ChangeSubscription {
        let subscription = broadcaster.subscribe()
        let deadline = ContinuousClock.now + options.connectTimeout
        while ContinuousClock.now < deadline, !state.withLock({ $0.listening || $0.task == nil }) {
            try await Task.sleep(for: .milliseconds(2))
        }
        return subscription
    }

    /// Listens until cancelled, reconnecting after failures.
    private func listen(for broadcaster: ChangeBroadcaster) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresStore.openConnection(options: options, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: channel) { notifications in
                    let missed = failures > 0
                    failures = 0
                    state.withLock { $0.listening = true }
                    if missed { broadcaster.publishResync() }
                    for try await notification in notifications {
                        received(notification.payload, broadcaster: broadcaster)
                    }
                }
            } catch {
                guard !Task.isCancelled else { return }
                state.withLock { $0.listening = false }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning(
                        "change feed lost its connection; reconnecting, and listeners will resync",
                        metadata: ["error": "\(error)", "attempts": "\(failures)"])
                }
                broadcaster.publishResync()
                try? await Task.sleep(for: .milliseconds(min(5_000, 50 * (1 << min(failures, 7)))))
            }
        }
    }

    private func received(_ payload: String, broadcaster: ChangeBroadcaster) {
        let schedule = state.withLock { state -> Bool in
            if payload.isEmpty { state.resync = true } else { state.pending.insert(payload) }
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: Self.gatherWindow)
            let (names, resync) = state.withLock { state -> (Set<String>, Bool) in
                defer {
                    state.pending = []
                    state.resync = false
                    state.flushScheduled = false
                }
                return (state.pending, state.resync)
            }
            if resync { broadcaster.publishResync() } else { broadcaster.publish(names) }
        }
    }
}
