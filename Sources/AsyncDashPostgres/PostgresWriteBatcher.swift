import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Group commit for a ``PostgresStore``'s short writes (record events, progress, the active set,
/// lock reservations and releases, outbox and audit appends): writes from concurrent callers run
/// one after another in one transaction on one connection and are committed together — one WAL
/// flush and one pool checkout for many events, as the SQLite store's batcher does.
///
/// A caller returns once the transaction holding its write has committed, never before. When
/// one write throws, the transaction is rolled back: that write's caller gets its error, and the
/// other writes run again in the next transaction. A lost connection or a failed `COMMIT` fails
/// every write of the batch with that error (the store's callers retry a lost connection, and
/// each write is written to be applied once). A deadlock or serialization failure runs the batch
/// again, up to 5 times per write.
///
/// A write that must undo its own changes (a lock reservation that finds a key held) does it with
/// a savepoint and returns normally: only a thrown error rolls back the batch.
///
/// Writes given as statements (``write(statements:)``, the common case: an event's record
/// change, progress, an outbox or audit append) are sent together as one call of the store's
/// batch function (``PostgresStatementBatch``): a batch of only such writes is one round trip in
/// all, committed by the call itself. When that call fails for any reason but a lost connection
/// or a conflict, the batch runs again one statement at a time, which finds the write at fault.
final class PostgresWriteBatcher: Sendable {
    typealias Body = @Sendable (PostgresConnection) async throws -> any Sendable
    /// Runs one batch's transaction on a pooled connection.
    typealias Runner = @Sendable (_ transaction: @escaping @Sendable (PostgresConnection) async throws -> Outcome) async throws -> Outcome

    enum Outcome: Sendable {
        case committed([any Sendable])
        /// Write `index` threw `error` (not a lost connection): the transaction was rolled back.
        case failed(index: Int, error: any Error)
        /// A deadlock or serialization failure: rolled back, to be run again.
        case conflict(any Error)
    }

    /// A write: statements (their values sent in one call with the rest of the batch), or a
    /// body that runs on the batch's connection and returns a value.
    enum Work: Sendable {
        case statements([PostgresStatement])
        case body(Body)

        /// The write as a body, for a batch run one statement at a time.
        var body: Body {
            switch self {
            case .body(let body): return body
            case .statements(let statements):
                return { connection in
                    for statement in statements {
                        try await connection.run(statement.sql, statement.values, logger: PostgresWriteBatcher.silent)
                    }
                    return ()
                }
            }
        }
    }

    private struct Pending: Sendable {
        var work: Work
        var continuation: CheckedContinuation<any Sendable, any Error>
        var conflicts = 0
    }

    private struct State {
        var pending: [Pending] = []
        /// Batches being run, each on a connection of its own.
        var drains = 0
    }

    private let state = Mutex(State())
    /// How many batches ran one statement at a time after their batch call failed (see
    /// ``fallbacks``).
    private let fallbackCount = Atomic<Int>(0)
    private let batchFunction: String?
    private let maxBatch: Int
    private let maxConcurrentBatches: Int
    private let runner: Runner
    private let isConflict: @Sendable (any Error) -> Bool

    /// - Parameters:
    ///   - maxBatch: The most writes in one transaction.
    ///   - maxConcurrentBatches: The most transactions in flight at once (each on its own
    ///     connection): the statements of one batch run one after another, so a few batches at
    ///     once keep the server's cores busy while each commit is flushed.
    ///   - batchFunction: The qualified name of the store's batch function, or `nil` to send
    ///     every statement on its own.
    ///   - isConflict: Whether an error is a deadlock or serialization failure.
    ///   - runner: Runs a transaction body on a pooled connection (with the store's attempt limit).
    init(
        maxBatch: Int = 64, maxConcurrentBatches: Int = 4, batchFunction: String?, isConflict: @escaping @Sendable (any Error) -> Bool,
        runner: @escaping Runner
    ) {
        self.batchFunction = batchFunction
        self.maxBatch = max(1, maxBatch)
        self.maxConcurrentBatches = max(1, maxConcurrentBatches)
        self.isConflict = isConflict
        self.runner = runner
    }

    /// Batches that ran one statement at a time because their batch call failed (a write at
    /// fault, or a statement the batch function refused).
    var fallbacks: Int { fallbackCount.load(ordering: .relaxed) }

    /// Runs `body` in the next batch's transaction; returns its value once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await enqueue(.body { connection in try await body(connection) })
    }

    /// Runs `statements`, in order, in the next batch; returns once that batch has committed.
    func write(statements: [PostgresStatement]) async throws {
        let _: Void = try await enqueue(.statements(statements))
    }

    private func enqueue<T: Sendable>(_ work: Work) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let start = state.withLock { state in
                state.pending.append(Pending(work: work, continuation: continuation))
                guard state.drains < maxConcurrentBatches else { return false }
                state.drains += 1
                return true
            }
            // Detached: the batch belongs to every caller in it, not to the one that started it.
            if start { Task.detached { await self.drain() } }
        }
        guard let typed = value as? T else { throw PostgresWriteBatcherTypeError() }
        return typed
    }

    private func drain() async {
        while true {
            let batch: [Pending] = state.withLock { state in
                guard !state.pending.isEmpty else {
                    state.drains -= 1
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                let taken = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return taken
            }
            if batch.isEmpty { return }
            await run(batch)
        }
    }

    private func run(_ batch: [Pending]) async {
        let isConflict = isConflict
        let outcome: Outcome
        do {
            if let call = batchCall(batch) {
                outcome = try await runner { connection in try await Self.runCalling(call, batch.map(\.work), connection, isConflict) }
            } else {
                outcome = try await runner { connection in try await Self.runOneByOne(batch.map(\.work.body), connection, isConflict) }
            }
            if case .failed(let index, _) = outcome, index < 0 {
                // The call failed: run the batch one statement at a time, which names the write at fault.
                fallbackCount.add(1, ordering: .relaxed)
                let again = try await runner { connection in try await Self.runOneByOne(batch.map(\.work.body), connection, isConflict) }
                await finish(batch, again)
                return
            }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
            return
        }
        await finish(batch, outcome)
    }

    /// The call sending the batch's statement writes, when there are any and each can be sent so.
    private func batchCall(_ batch: [Pending]) -> PostgresStatement? {
        guard let batchFunction else { return nil }
        var call = PostgresStatementBatch()
        for pending in batch {
            guard case .statements(let statements) = pending.work else { continue }
            for statement in statements where !call.append(statement) { return nil }
        }
        return call.isEmpty ? nil : call.call(function: batchFunction)
    }

    /// The statement writes in one call, then the bodies; without bodies the call is its own
    /// transaction (one round trip). A failed call reports `.failed(index: -1, …)`.
    private static func runCalling(
        _ call: PostgresStatement, _ works: [Work], _ connection: PostgresConnection, _ isConflict: @Sendable (any Error) -> Bool
    ) async throws -> Outcome {
        let bodies = works.enumerated().compactMap { index, work -> (Int, Body)? in
            if case .body(let body) = work { return (index, body) }
            return nil
        }
        if bodies.isEmpty {
            do {
                try await connection.run(call.sql, call.values, logger: silent)
            } catch {
                if isConflict(error) { return .conflict(error) }
                if PostgresStore.isConnectionLoss(error) { throw error }
                return .failed(index: -1, error: error)
            }
            return .committed(works.map { _ in () })
        }
        try await connection.query("BEGIN", logger: silent)
        var values = [any Sendable](repeating: (), count: works.count)
        do {
            try await connection.run(call.sql, call.values, logger: silent)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: silent)
            if isConflict(error) { return .conflict(error) }
            if PostgresStore.isConnectionLoss(error) { throw error }
            return .failed(index: -1, error: error)
        }
        for (index, body) in bodies {
            do {
                values[index] = try await body(connection)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: silent)
                if isConflict(error) { return .conflict(error) }
                if PostgresStore.isConnectionLoss(error) { throw error }
                return .failed(index: index, error: error)
            }
        }
        try await connection.query("COMMIT", logger: silent)
        return .committed(values)
    }

    /// Every write's statements sent one by one in one transaction.
    private static func runOneByOne(
        _ bodies: [Body], _ connection: PostgresConnection, _ isConflict: @Sendable (any Error) -> Bool
    ) async throws -> Outcome {
        try await connection.query("BEGIN", logger: silent)
        var values: [any Sendable] = []
        values.reserveCapacity(bodies.count)
        for (index, body) in bodies.enumerated() {
            do {
                values.append(try await body(connection))
            } catch {
                // A failed ROLLBACK means the connection is gone, which ends the transaction too.
                _ = try? await connection.query("ROLLBACK", logger: silent)
                if isConflict(error) { return .conflict(error) }
                if PostgresStore.isConnectionLoss(error) { throw error }
                return .failed(index: index, error: error)
            }
        }
        try await connection.query("COMMIT", logger: silent)
        return .committed(values)
    }

    private func finish(_ batch: [Pending], _ outcome: Outcome) async {
        switch outcome {
        case .committed(let values):
            for (pending, value) in zip(batch, values) { pending.continuation.resume(returning: value) }
        case .failed(let index, let error):
            guard batch.indices.contains(index) else {
                // Only a batch call reports no index, and it is run again one by one first.
                for pending in batch { pending.continuation.resume(throwing: error) }
                return
            }
            batch[index].continuation.resume(throwing: error)
            var others = batch
            others.remove(at: index)
            requeue(others)
        case .conflict(let error):
            var again: [Pending] = []
            for var pending in batch {
                pending.conflicts += 1
                if pending.conflicts > 5 { pending.continuation.resume(throwing: error) } else { again.append(pending) }
            }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...10)))
            requeue(again)
        }
    }

    /// Puts writes back at the head of the queue, in their order (the drain in progress, or
    /// another, runs them next).
    private func requeue(_ writes: [Pending]) {
        guard !writes.isEmpty else { return }
        state.withLock { $0.pending.insert(contentsOf: writes, at: 0) }
    }

    static let silent = Logger(label: "asyncdash.postgres.batch", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// A batched write's value came back as another type (a bug in the batcher).
struct PostgresWriteBatcherTypeError: Error, CustomStringConvertible {
    var description: String { "a batched PostgreSQL write returned a value of the wrong type" }
}
