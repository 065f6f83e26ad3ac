import Dispatch
import GRDB
import Synchronization

/// Group commit: applies concurrent writes together in one `BEGIN IMMEDIATE` transaction.
///
/// Callers queue their operation and suspend. One drain at a time runs on GRDB's writer queue:
/// it takes every queued operation (up to the batch limit), applies each in turn — the ones
/// that write more than one statement inside their own savepoint, so a failing operation
/// undoes only its own changes — commits once, and then resumes every caller with its result.
/// A failing operation fails only its own caller; a failing commit fails the whole batch.
/// Operations queued while a batch commits go into the next batch.
final class SQLiteWriteBatcher: Sendable {
    /// One queued operation, type-erased.
    private struct Pending: Sendable {
        /// Whether the operation needs a savepoint (it may write more than one statement).
        var savepoint: Bool
        /// Runs the operation; on success returns what resumes the caller with its value.
        var run: @Sendable (Database) throws -> @Sendable () -> Void
        /// Resumes the caller with an error.
        var fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
    }

    private let pool: DatabasePool
    private let maximumBatchSize: Int
    private let state = Mutex(State())

    init(pool: DatabasePool, maximumBatchSize: Int) {
        self.pool = pool
        self.maximumBatchSize = maximumBatchSize
    }

    /// Runs `operation` in the next group commit and returns its result once it is committed.
    ///
    /// - Parameters:
    ///   - savepoint: `true` when `operation` may execute more than one writing statement, so
    ///     that a failure halfway is undone. A single statement is atomic by itself.
    ///   - operation: Runs on the writer connection, inside the batch's transaction.
    func write<T: Sendable>(
        savepoint: Bool = true,
        _ operation: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                savepoint: savepoint,
                run: { db in
                    let value = try operation(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { error in continuation.resume(throwing: error) })
            let startDrain = state.withLock { state -> Bool in
                state.queue.append(pending)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain { scheduleDrain() }
        }
    }

    private func scheduleDrain() {
        pool.asyncWriteWithoutTransaction { [self] db in
            drainOnce(db)
        }
    }

    /// Commits one batch, then schedules the next drain if more work is queued (rescheduling
    /// rather than looping lets other work on the writer queue, such as migrations, interleave).
    private func drainOnce(_ db: Database) {
        let batch = state.withLock { state -> [Pending] in
            if state.queue.count <= maximumBatchSize {
                defer { state.queue = [] }
                return state.queue
            }
            let batch = Array(state.queue.prefix(maximumBatchSize))
            state.queue.removeFirst(maximumBatchSize)
            return batch
        }
        commit(batch, db)
        let more = state.withLock { state -> Bool in
            if state.queue.isEmpty {
                state.draining = false
                return false
            }
            return true
        }
        if more { scheduleDrain() }
    }

    /// Applies `batch` in one immediate transaction; resumes every caller exactly once.
    private func commit(_ batch: [Pending], _ db: Database) {
        var applied: [(pending: Pending, resume: @Sendable () -> Void)] = []
        applied.reserveCapacity(batch.count)
        var index = batch.startIndex
        while index < batch.endIndex {
            do {
                try db.beginTransaction(.immediate)
            } catch {
                for pending in batch[index...] { pending.fail(error) }
                return
            }
            while index < batch.endIndex {
                let pending = batch[index]
                index += 1
                do {
                    applied.append((pending, try apply(pending, db)))
                } catch {
                    pending.fail(error)
                    if !db.isInsideTransaction {
                        // SQLite rolled the whole transaction back (e.g. disk full, I/O error):
                        // the operations applied so far in it are lost; fail them and go on
                        // with the rest in a new transaction.
                        for done in applied { done.pending.fail(error) }
                        applied.removeAll(keepingCapacity: true)
                        break
                    }
                }
            }
        }
        guard db.isInsideTransaction else { return }
        do {
            // The tasks this transaction changed go to the change log with it (see SQLiteSchema+Changes).
            try Self.run(SQLiteSchema.flushChangedSQL, db)
            try Self.run(SQLiteSchema.clearChangedSQL, db)
            try db.commit()
        } catch {
            try? db.rollback()
            for done in applied { done.pending.fail(error) }
            return
        }
        // Resume the callers off the writer queue, so the next batch can start at once.
        let resumes = applied.map(\.resume)
        DispatchQueue.global().async {
            for resume in resumes { resume() }
        }
    }

    private func apply(_ pending: Pending, _ db: Database) throws -> @Sendable () -> Void {
        guard pending.savepoint else { return try pending.run(db) }
        try Self.run("SAVEPOINT asyncdash_write", db)
        do {
            let resume = try pending.run(db)
            try Self.run("RELEASE SAVEPOINT asyncdash_write", db)
            return resume
        } catch {
            if db.isInsideTransaction {
                try? Self.run("ROLLBACK TO SAVEPOINT asyncdash_write", db)
                try? Self.run("RELEASE SAVEPOINT asyncdash_write", db)
            }
            throw error
        }
    }

    private static func run(_ sql: String, _ db: Database) throws {
        let statement = try SQLiteRawStatement(db, sql)
        defer { statement.reset() }
        try statement.execute()
    }
}
