import AsyncDash
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Reads that may scan many rows — listing pages (with a search), counts without a kept total,
/// filtered lists — on connections and threads of their own, a few at a time, each with a time
/// limit.
///
/// The store's cheap reads (one key, one index range) run on the calling thread, because a hop
/// to another thread would cost more than the read. A long read must not: it would hold a thread
/// of Swift's cooperative pool (a 2-core machine has two) and every request of the server would
/// wait behind it. Here a long read:
///
/// - runs on one of ``SQLiteStoreOptions/scanReaders`` read-only connections of a pool separate
///   from the cheap reads', on that connection's dispatch queue, never on the cooperative pool;
/// - waits for a free connection without holding a thread of the cooperative pool, and is turned
///   away (``StoreBusyError/Reason/tooManyWaiting(_:)``) when ``maximumWaiting`` are running or
///   waiting already;
/// - is interrupted by SQLite's progress handler once it has run for
///   ``SQLiteStoreOptions/readTimeLimit`` (``StoreBusyError/Reason/timeLimit(_:)``), or when its
///   task is cancelled (a client that went away).
///
/// The pool is opened on the first long read: a worker or a command-line call that never lists
/// opens no extra connections.
final class SQLiteScanReader: Sendable {
    private let path: String
    private let configuration: Configuration
    private let opened = Mutex<DatabasePool?>(nil)
    private let timeLimit: Duration
    /// Long reads running or waiting for a connection.
    private let inFlight = Mutex(0)
    /// How many long reads may run or wait at once; more are turned away.
    let maximumWaiting: Int

    /// How many SQLite virtual-machine steps run between two looks at the clock.
    static let stepsBetweenChecks: Int32 = 4_000

    init(path: String, options: SQLiteStoreOptions) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.maximumReaderCount = options.scanReaders
        configuration.busyMode = .timeout(options.busyTimeout.timeInterval)
        configuration.label = "AsyncDashSQLite.scans"
        self.path = path
        self.configuration = configuration
        timeLimit = options.readTimeLimit
        maximumWaiting = options.scanReaders * 16
    }

    /// Runs `operation` on a scan connection; `what` names the read in errors (`a page of tasks`).
    func read<T: Sendable>(_ what: @autoclosure () -> String, _ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let admitted = inFlight.withLock { count in
            guard count < maximumWaiting else { return false }
            count += 1
            return true
        }
        guard admitted else { throw StoreBusyError(.tooManyWaiting(maximumWaiting), operation: what()) }
        defer { inFlight.withLock { $0 -= 1 } }
        let limit = timeLimit
        let pool = try await self.pool()
        let outcome: Result<T, ScanInterrupted> = try await pool.read { db in
            let deadline = Deadline(DispatchTime.now().uptimeNanoseconds &+ UInt64(clamping: limit.nanoseconds))
            let handle = db.sqliteConnection
            let context = Unmanaged.passRetained(deadline)
            sqlite3_progress_handler(handle, Self.stepsBetweenChecks, { pointer in
                guard let pointer else { return 0 }
                let deadline = Unmanaged<Deadline>.fromOpaque(pointer).takeUnretainedValue()
                return DispatchTime.now().uptimeNanoseconds > deadline.nanoseconds ? 1 : 0
            }, context.toOpaque())
            defer {
                sqlite3_progress_handler(handle, 0, nil, nil)
                context.release()
            }
            do {
                return .success(try operation(db))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT
                && DispatchTime.now().uptimeNanoseconds > deadline.nanoseconds
            {
                return .failure(ScanInterrupted())
            }
        }
        switch outcome {
        case .success(let value): return value
        case .failure: throw StoreBusyError(.timeLimit(limit), operation: what())
        }
    }

    /// The pool, opened on first use on a dispatch thread (opening may wait for a lock on the
    /// file, which must not hold a thread of the cooperative pool). Two first reads at once may
    /// both open one; the first kept wins and the other is closed.
    private func pool() async throws -> DatabasePool {
        if let pool = opened.withLock({ $0 }) { return pool }
        let (path, configuration) = (self.path, self.configuration)
        let fresh = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<DatabasePool, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try DatabasePool(path: path, configuration: configuration) })
            }
        }
        return opened.withLock { opened in
            if let opened { return opened }
            opened = fresh
            return fresh
        }
    }

    /// The end of one read's time, in `DispatchTime` uptime nanoseconds (read by the progress handler).
    private final class Deadline: Sendable {
        let nanoseconds: UInt64
        init(_ nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    }

    private struct ScanInterrupted: Error {}
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
