import AsyncDash
import Foundation
import GRDB
import GRDBSQLite

/// A statement of GRDB's statement cache, bound, stepped and read through the SQLite C API.
///
/// The store's hot paths (every upsert and lock operation) run thousands of times per second on
/// the single writer connection; binding values directly avoids building `StatementArguments`
/// and `Row` values for each call. Always `reset()` when done (a `defer` right after creation),
/// so no statement keeps a read open.
struct SQLiteRawStatement {
    /// The GRDB statement, or `nil` for a statement of a ``SQLitePointReader``.
    private let statement: Statement?
    private let handle: OpaquePointer

    /// Tells SQLite to copy bound text before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// The cached statement for `sql` on `db`, reset.
    init(_ db: Database, _ sql: String) throws {
        let cached = try db.cachedStatement(sql: sql)
        statement = cached
        handle = cached.sqliteStatement
        sqlite3_reset(handle)
    }

    /// A statement prepared on a ``SQLitePointReader``'s own connection.
    init(handle: OpaquePointer) {
        statement = nil
        self.handle = handle
        sqlite3_reset(handle)
    }

    /// Resets the statement so it can run again and holds no read open.
    func reset() {
        sqlite3_reset(handle)
    }

    // MARK: Binding (indexes start at 1)

    func bind(_ text: String, at index: Int32) {
        var text = text
        text.withUTF8 { buffer in
            let start = buffer.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            _ = sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(buffer.count), Self.transient)
        }
    }

    func bind(utf8 bytes: [UInt8], at index: Int32) {
        bytes.withUnsafeBytes { buffer in
            let start = buffer.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            _ = sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(buffer.count), Self.transient)
        }
    }

    func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    func bind(_ binding: SQLiteBinding, at index: Int32) {
        switch binding {
        case .null: bindNull(at: index)
        case .integer(let i): bind(i, at: index)
        case .real(let d): bind(d, at: index)
        case .text(let s): bind(s, at: index)
        case .utf8(let bytes): bind(utf8: bytes, at: index)
        }
    }

    /// Binds a value already normalized for its column (see ``SQLiteRecordCodec``).
    func bind(_ value: RecordValue, at index: Int32) {
        switch value {
        case .null: bindNull(at: index)
        case .text(let s): bind(s, at: index)
        case .json(let j): bind(utf8: j.jsonBytes, at: index)
        case .bool(let b): bind(Int64(b ? 1 : 0), at: index)
        case .integer(let i): bind(Int64(i), at: index)
        case .real(let d): bind(d, at: index)
        case .timestamp(let d): bind(d.timeIntervalSince1970, at: index)
        }
    }

    // MARK: Stepping

    /// Runs the statement to its next row; `false` when it is done.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message, naming the SQL.
    @discardableResult
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        let connection = sqlite3_db_handle(handle)
        let extended = sqlite3_extended_errcode(connection)
        let message = sqlite3_errmsg(connection).map { String(cString: $0) }
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: extended), message: message,
                            sql: statement?.sql ?? sqlite3_sql(handle).map { String(cString: $0) })
    }

    /// Steps to the end, for a statement that returns no rows.
    func execute() throws {
        while try step() {}
    }

    // MARK: Reading the current row (indexes start at 0)

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func isBlob(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_BLOB
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    func text(_ column: Int32) -> String {
        withBytes(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The column's text bytes, valid only inside `body`.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let start = sqlite3_column_text(handle, column)  // before _bytes, as SQLite documents
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeBufferPointer(start: start, count: start == nil ? 0 : count))
    }

    /// The record value of a column of type `type` (see ``SQLiteRecordCodec``).
    func recordValue(_ column: Int32, as type: ColumnType) -> RecordValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL:
            return .null
        case SQLITE_INTEGER:
            return SQLiteRecordCodec.decode(integer: int64(column), as: type)
        case SQLITE_FLOAT:
            return SQLiteRecordCodec.decode(real: double(column), as: type)
        default:
            if type == .json {
                return withBytes(column) { bytes in
                    .json(JSONValue(utf8: bytes) ?? .string(String(decoding: bytes, as: UTF8.self)))
                }
            }
            return SQLiteRecordCodec.decode(text: text(column), as: type)
        }
    }
}
