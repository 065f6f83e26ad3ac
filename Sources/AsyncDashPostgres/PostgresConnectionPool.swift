import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The store's connection pool, replaced as a whole when the connection to the server is lost.
///
/// After a server restart, a statement sent on a connection that was being closed can wait
/// forever, and the waiting requests of a pool that lost all its connections may not be served
/// again. So every statement runs as an *attempt* on the current pool (a "generation"), raced
/// against that generation being given up and against a time limit: when any attempt sees the
/// connection lost, the generation is replaced by a fresh pool, every attempt still waiting on
/// the old one is abandoned at once, and the store's retry loop sends it again on the new one.
final class PostgresConnectionPool: Sendable {
    /// One pool and whether it was given up.
    final class Generation: Sendable {
        let client: PostgresClient
        let number: Int
        private let runner: Task<Void, Never>
        private let state = Mutex<(abandoned: Bool, waiters: [Int: CheckedContinuation<Void, Never>], next: Int)>((false, [:], 0))

        init(client: PostgresClient, number: Int) {
            self.client = client
            self.number = number
            // Detached: a pool made while a service runs must not inherit its graceful-shutdown
            // signal (PostgresClient.run() ends on it), or a worker stopping could not write its
            // last changes.
            runner = Task.detached { await client.run() }
        }

        /// Gives the pool up: its connections close, and everyone waiting on it is woken.
        func abandon() {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                guard !state.abandoned else { return [] }
                state.abandoned = true
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume() }
            runner.cancel()
        }

        /// Returns when the generation is abandoned (or the task is cancelled).
        func abandoned() async {
            let id = state.withLock { state -> Int in
                state.next += 1
                return state.next
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.abandoned || Task.isCancelled { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume()
            }
        }

        deinit { runner.cancel() }
    }

    private let makeClient: @Sendable () -> PostgresClient
    private let current: Mutex<Generation>
    private let logger: Logger

    init(logger: Logger, makeClient: @escaping @Sendable () -> PostgresClient) {
        self.makeClient = makeClient
        self.logger = logger
        current = Mutex(Generation(client: makeClient(), number: 1))
    }

    var generation: Generation { current.withLock { $0 } }

    /// Replaces `old` with a fresh pool, unless that was done already.
    func replace(_ old: Generation) {
        let replaced = current.withLock { current -> Bool in
            guard current === old else { return false }
            current = Generation(client: makeClient(), number: old.number + 1)
            return true
        }
        guard replaced else { return }
        logger.info("PostgreSQL connection lost; opening a fresh connection pool", metadata: ["generation": "\(old.number + 1)"])
        old.abandon()
    }

    func shutdown() {
        generation.abandon()
    }

    /// The attempt was abandoned: its pool was given up, or it ran past its time limit.
    struct Abandoned: Error, CustomStringConvertible {
        var timedOut: Bool
        var description: String {
            timedOut ? "the statement got no answer in time; the connection pool was replaced" : "the connection pool was replaced after a lost connection"
        }
    }

    /// Runs `body` on the current pool, raced against the pool being given up and `limit`.
    /// A body stuck past either is left behind (it holds nothing the new pool needs).
    func attempt<T: Sendable>(limit: Duration, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let generation = generation
        let outcome = Once<Result<T, any Error>>()
        let work = Task {
            do {
                await outcome.set(.success(try await body(generation.client)))
            } catch {
                await outcome.set(.failure(error))
            }
        }
        let watchdog = Task {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await generation.abandoned()
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: limit)
                    return true
                }
                let timedOut = await group.next() ?? false
                group.cancelAll()
                guard !Task.isCancelled else { return }
                if timedOut { self.replace(generation) }
                await outcome.set(.failure(Abandoned(timedOut: timedOut)))
            }
        }
        defer { watchdog.cancel() }
        let result = await withTaskCancellationHandler {
            await outcome.value
        } onCancel: {
            work.cancel()
            Task { await outcome.set(.failure(CancellationError())) }
        }
        if case .failure(let error) = result, PostgresStore.isConnectionLoss(error) { replace(generation) }
        return try result.get()
    }
}

/// A value set once and awaited by one reader.
actor Once<Value: Sendable> {
    private var stored: Value?
    private var waiter: CheckedContinuation<Value, Never>?

    func set(_ value: Value) {
        guard stored == nil else { return }
        stored = value
        waiter?.resume(returning: value)
        waiter = nil
    }

    var value: Value {
        get async {
            if let stored { return stored }
            return await withCheckedContinuation { waiter = $0 }
        }
    }
}
