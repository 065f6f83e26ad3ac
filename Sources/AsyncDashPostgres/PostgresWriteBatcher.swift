import AsyncDash
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Group commit for a ``PostgresStore``'s short writes (record events, progress, the active set,
/// lock reservations and releases, outbox and audit appends): the writes of concurrent callers
/// go to the server together, in one call of the store's batch function, committed at once —
/// one round trip, one WAL flush and one pool checkout for many events.
///
/// A write is a list of statements (``PostgresStatement``). The batch's statements are rewritten
/// to read their values from one bound array (``PostgresStatementBatch``; values never enter SQL
/// text), one-row inserts of one shape are merged into one insert, and the rows of statements
/// that return rows come back to their writes.
///
/// A caller returns once the call holding its write has committed, never before. When the call
/// fails for any reason but a lost connection or a conflict, the batch runs again one statement
/// at a time in a transaction, which finds the write at fault: that write's caller gets its
/// error, the others run again in the next batch. A lost connection or a failed `COMMIT` fails
/// every write of the batch with that error (the store's callers retry a lost connection, and
/// each write is written to be applied once). A deadlock or serialization failure runs the batch
/// again, up to 5 times per write.
final class PostgresWriteBatcher: Sendable {
    /// Runs one batch on a pooled connection.
    typealias Runner = @Sendable (_ batch: @escaping @Sendable (PostgresConnection) async throws -> Outcome) async throws -> Outcome

    enum Outcome: Sendable {
        /// Each write's rows.
        case committed([[PostgresResultRow]])
        /// Write `index` threw `error` (not a lost connection), or the batch call did (`index`
        /// -1): nothing was committed.
        case failed(index: Int, error: any Error)
        /// A deadlock or serialization failure: rolled back, to be run again.
        case conflict(any Error)
        /// The batch call committed, but its rows could not be read back (a bug in the store's
        /// SQL): every write gets the error — none is run again, and none is told it is done
        /// without its rows.
        case committedUnreadable(any Error)
    }

    private struct Pending: Sendable {
        var statements: [PostgresStatement]
        var continuation: CheckedContinuation<[PostgresResultRow], any Error>
        var conflicts = 0
    }

    private struct State {
        var pending: [Pending] = []
        /// Batches being run, each on a connection of its own.
        var drains = 0
    }

    private let state = Mutex(State())
    /// How many batches ran one statement at a time after their batch call failed.
    private let fallbackCount = Atomic<Int>(0)
    private let batchFunction: String?
    private let maxBatch: Int
    private let maxConcurrentBatches: Int
    private let runner: Runner
    private let isConflict: @Sendable (any Error) -> Bool

    /// - Parameters:
    ///   - maxBatch: The most writes in one batch.
    ///   - maxConcurrentBatches: The most batches in flight at once (each on its own connection),
    ///     so the server's cores stay busy while a commit is flushed.
    ///   - batchFunction: The qualified name of the store's batch function, or `nil` to send
    ///     every statement on its own (in one transaction per batch).
    ///   - isConflict: Whether an error is a deadlock or serialization failure.
    ///   - runner: Runs a batch on a pooled connection (with the store's attempt limit).
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

    /// Runs `statements` in the next batch; returns, once that batch has committed, the rows of
    /// those that return rows, in order. Statements of one write must not depend on each other's
    /// order (see ``PostgresStatementBatch/merged(_:)``).
    @discardableResult
    func write(statements: [PostgresStatement]) async throws -> [PostgresResultRow] {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.pending.append(Pending(statements: statements, continuation: continuation))
                guard state.drains < maxConcurrentBatches else { return false }
                state.drains += 1
                return true
            }
            // Detached: the batch belongs to every caller in it, not to the one that started it.
            if start { Task.detached { await self.drain() } }
        }
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
        let writes = batch.map(\.statements)
        var outcome: Outcome
        do {
            if let call = batchCall(writes) {
                outcome = try await runner { connection in try await call.run(on: connection, writes: writes.count, isConflict) }
                if case .failed(let index, _) = outcome, index < 0 {
                    // The call failed: run the batch one statement at a time, which names the write at fault.
                    fallbackCount.add(1, ordering: .relaxed)
                    outcome = try await runner { connection in try await Self.runOneByOne(writes, connection, isConflict) }
                }
            } else {
                outcome = try await runner { connection in try await Self.runOneByOne(writes, connection, isConflict) }
            }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
            return
        }
        switch outcome {
        case .committed(let rows):
            for (pending, rows) in zip(batch, rows) { pending.continuation.resume(returning: rows) }
        case .failed(let index, let error):
            guard batch.indices.contains(index) else {
                for pending in batch { pending.continuation.resume(throwing: error) }
                return
            }
            batch[index].continuation.resume(throwing: error)
            var others = batch
            others.remove(at: index)
            requeue(others)
        case .committedUnreadable(let error):
            for pending in batch { pending.continuation.resume(throwing: error) }
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

    /// The call sending the batch, when each of its statements can be sent so.
    private func batchCall(_ writes: [[PostgresStatement]]) -> BatchCall? {
        guard let batchFunction else { return nil }
        var statements: [PostgresStatement] = []
        for (index, write) in writes.enumerated() {
            for var statement in write {
                statement.route = .write(index)
                statements.append(statement)
            }
        }
        var call = PostgresStatementBatch()
        guard call.append(contentsOf: statements), !call.isEmpty else { return nil }
        return BatchCall(statement: call.call(function: batchFunction), routes: call.routes)
    }

    /// A batch's call, and where the rows of each of its statements go.
    private struct BatchCall: Sendable {
        var statement: PostgresStatement
        var routes: [PostgresStatement.Route]

        /// Runs the call, its own transaction: one round trip.
        func run(on connection: PostgresConnection, writes count: Int, _ isConflict: @Sendable (any Error) -> Bool) async throws -> Outcome {
            let returned: [PostgresRow]
            do {
                returned = try await connection.run(statement.sql, statement.values, logger: PostgresWriteBatcher.silent)
            } catch {
                if isConflict(error) { return .conflict(error) }
                if PostgresStore.isConnectionLoss(error) { throw error }
                return .failed(index: -1, error: error)
            }
            // Committed: from here on nothing may send the batch again.
            var rows = [[PostgresResultRow]](repeating: [], count: count)
            do {
                for row in returned {
                    let number = Int(try row.required(0, as: Int32.self))
                    guard routes.indices.contains(number - 1) else { throw PostgresResultRowError(column: "n", value: .int(number)) }
                    let result = PostgresResultRow(json: try row.required(1, as: String.self))
                    let write: Int?
                    switch routes[number - 1] {
                    case .write(let index): write = index
                    case .byKey(let column, let writes): write = try writes[result.text(column)]
                    }
                    guard let write, rows.indices.contains(write) else { throw PostgresResultRowError(column: "n", value: .int(number)) }
                    rows[write].append(result)
                }
            } catch {
                return .committedUnreadable(error)
            }
            return .committed(rows)
        }
    }

    /// Every write's statements sent one by one in one transaction.
    private static func runOneByOne(
        _ writes: [[PostgresStatement]], _ connection: PostgresConnection, _ isConflict: @Sendable (any Error) -> Bool
    ) async throws -> Outcome {
        try await connection.query("BEGIN", logger: silent)
        var results: [[PostgresResultRow]] = []
        results.reserveCapacity(writes.count)
        for (index, statements) in writes.enumerated() {
            do {
                var rows: [PostgresResultRow] = []
                for statement in statements {
                    if statement.returnsRows {
                        for row in try await connection.run(statement.rowsAsJSON, statement.values, logger: silent) {
                            rows.append(PostgresResultRow(json: try row.required(0, as: String.self)))
                        }
                    } else {
                        try await connection.run(statement.sql, statement.values, logger: silent)
                    }
                }
                results.append(rows)
            } catch {
                // A failed ROLLBACK means the connection is gone, which ends the transaction too.
                _ = try? await connection.query("ROLLBACK", logger: silent)
                if isConflict(error) { return .conflict(error) }
                if PostgresStore.isConnectionLoss(error) { throw error }
                return .failed(index: index, error: error)
            }
        }
        try await connection.query("COMMIT", logger: silent)
        return .committed(results)
    }

    /// Puts writes back at the head of the queue, in their order (the drain in progress, or
    /// another, runs them next).
    private func requeue(_ writes: [Pending]) {
        guard !writes.isEmpty else { return }
        state.withLock { $0.pending.insert(contentsOf: writes, at: 0) }
    }

    static let silent = Logger(label: "asyncdash.postgres.batch", factory: { _ in SwiftLogNoOpLogHandler() })
}
