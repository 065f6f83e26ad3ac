import AsyncDash
import Foundation
import GRDB
import GRDBSQLite

/// One read-only connection for lookups by key (a record, a progress entry, an active task),
/// used under a lock on the calling thread.
///
/// A read through the pool hops to a reader's dispatch queue and wraps the statement in
/// `BEGIN`/`COMMIT`; for a one-row lookup that costs more than the lookup itself. Here each
/// statement runs in SQLite's autocommit mode, so it reads the latest committed state (WAL
/// readers never wait for writers), and is reset before the lock is released, so no read stays
/// open. Statements are prepared once per SQL text.
///
/// `@unchecked Sendable`: the connection and its statements are only touched with `lock` held.
final class SQLitePointReader: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Opens `path` read-only (the file exists and is in WAL mode: the pool made it so).
    ///
    /// - Throws: `DatabaseError` when the file cannot be opened.
    init(path: String, busyTimeout: Duration) throws {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            if let handle { sqlite3_close_v2(handle) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message ?? "cannot open \(path) for reading")
        }
        sqlite3_busy_timeout(handle, Int32(clamping: Int(busyTimeout.timeInterval * 1000)))
        self.handle = handle
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs `body` with the statement for `sql` (bound and stepped by `body`), then resets it.
    func read<T>(_ sql: String, _ body: (SQLiteRawStatement) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard code == SQLITE_OK, let prepared else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
            }
            statements[sql] = prepared
            statement = prepared
        }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        return try body(SQLiteRawStatement(handle: statement))
    }
}
