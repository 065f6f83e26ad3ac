import AsyncDash
import Foundation

/// Converts record values to and from SQLite values, by column type.
///
/// | column type | SQLite value |
/// |---|---|
/// | text | TEXT |
/// | json | TEXT holding JSON text (``JSONValue/jsonText``) |
/// | bool | INTEGER 0 or 1 |
/// | integer | INTEGER |
/// | real | REAL |
/// | timestamp | REAL, seconds since 1970 |
///
/// `.null` is SQL NULL; SQL NULL reads back as a missing column (which a `Record` reads as `.null`).
/// Reading is lenient about values some other program stored with another type.
enum SQLiteRecordCodec {
    /// `value` as the case a column of type `type` holds, or `nil` when it already is:
    /// values of another case are converted like ``RecordValue/coerce(_:to:)`` converts JSON
    /// (text columns receive JSON text, …).
    static func normalized(_ value: RecordValue, to type: ColumnType) -> RecordValue? {
        value.storedForm(for: type)
    }

    /// `value` as the case a column of type `type` holds.
    static func normalize(_ value: RecordValue, to type: ColumnType) -> RecordValue {
        normalized(value, to: type) ?? value
    }

    /// The SQLite value of a value already normalized for its column, encoded ahead of binding
    /// (so JSON is written on the caller's thread, not the writer's).
    static func binding(_ value: RecordValue) -> SQLiteBinding {
        switch value {
        case .null: .null
        case .text(let s): .text(s)
        case .json(let j): .utf8(j.jsonBytes)
        case .bool(let b): .integer(b ? 1 : 0)
        case .integer(let i): .integer(Int64(i))
        case .real(let d): .real(d)
        case .timestamp(let d): .real(d.timeIntervalSince1970)
        }
    }

    /// The record value of an INTEGER stored in a column of type `type`.
    static func decode(integer i: Int64, as type: ColumnType) -> RecordValue {
        switch type {
        case .text: .text(String(i))
        case .json: .json(.int(Int(i)))
        case .bool: .bool(i != 0)
        case .integer: .integer(Int(i))
        case .real: .real(Double(i))
        case .timestamp: .timestamp(Date(timeIntervalSince1970: TimeInterval(i)))
        }
    }

    /// The record value of a REAL stored in a column of type `type`.
    static func decode(real d: Double, as type: ColumnType) -> RecordValue {
        switch type {
        case .text: .text(String(d))
        case .json: .json(.double(d))
        case .bool: .bool(d != 0)
        case .integer: Int(exactly: d).map(RecordValue.integer) ?? .real(d)
        case .real: .real(d)
        case .timestamp: .timestamp(Date(timeIntervalSince1970: d))
        }
    }

    /// The record value of TEXT stored in a column of type `type`.
    static func decode(text s: String, as type: ColumnType) -> RecordValue {
        switch type {
        case .text: .text(s)
        case .json: .json(parseJSON(s))
        case .bool: .bool(["true", "1", "yes"].contains(s.lowercased()))
        case .integer: Int(s).map(RecordValue.integer) ?? .text(s)
        case .real: Double(s).map(RecordValue.real) ?? .text(s)
        case .timestamp: ISO8601.parse(s).map(RecordValue.timestamp) ?? .text(s)
        }
    }

    /// Parses JSON text written by this store; text that is not JSON reads as a JSON string.
    static func parseJSON(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }
}

/// A value ready to bind to a statement parameter.
enum SQLiteBinding: Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    /// UTF-8 text (JSON written by ``JSONValue/jsonText``).
    case utf8([UInt8])
}
