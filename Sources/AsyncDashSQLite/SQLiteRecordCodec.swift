import AsyncDash
import Foundation
import GRDB

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
/// `.null` is SQL NULL; SQL NULL reads back as a missing column (which a ``Record`` reads as `.null`).
enum SQLiteRecordCodec {
    /// `value` as the case a column of type `type` holds: values of another case are converted
    /// like ``RecordValue/coerce(_:to:)`` does for JSON (text columns receive JSON text, …).
    static func normalize(_ value: RecordValue, to type: ColumnType) -> RecordValue {
        switch (type, value) {
        case (_, .null):
            return .null
        case (.text, .text), (.json, .json), (.bool, .bool), (.integer, .integer), (.real, .real), (.timestamp, .timestamp):
            return value
        case (.real, .integer(let i)):
            return .real(Double(i))
        case (.integer, .bool(let b)):
            return .integer(b ? 1 : 0)
        case (.integer, .real(let d)):
            return Int(exactly: d).map(RecordValue.integer) ?? .null
        case (.timestamp, .real(let d)):
            return .timestamp(Date(timeIntervalSince1970: d))
        case (.timestamp, .integer(let i)):
            return .timestamp(Date(timeIntervalSince1970: TimeInterval(i)))
        default:
            return RecordValue.coerce(value.json, to: type)
        }
    }

    /// The SQLite value of a value already normalized for its column.
    static func encode(_ value: RecordValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .text(let s): s.databaseValue
        case .json(let j): j.jsonText.databaseValue
        case .bool(let b): Int64(b ? 1 : 0).databaseValue
        case .integer(let i): Int64(i).databaseValue
        case .real(let d): d.databaseValue
        case .timestamp(let d): d.timeIntervalSince1970.databaseValue
        }
    }

    /// The record value a column of type `type` holding `value` reads as.
    static func decode(_ value: DatabaseValue, as type: ColumnType) -> RecordValue {
        switch (type, value.storage) {
        case (_, .null): .null
        case (.text, .string(let s)): .text(s)
        case (.text, .int64(let i)): .text(String(i))
        case (.text, .double(let d)): .text(String(d))
        case (.json, .string(let s)): .json(parseJSON(s))
        case (.json, .int64(let i)): .json(.int(Int(i)))
        case (.json, .double(let d)): .json(.double(d))
        case (.bool, .int64(let i)): .bool(i != 0)
        case (.bool, .double(let d)): .bool(d != 0)
        case (.bool, .string(let s)): .bool(["true", "1", "yes"].contains(s.lowercased()))
        case (.integer, .int64(let i)): .integer(Int(i))
        case (.integer, .double(let d)): Int(exactly: d).map(RecordValue.integer) ?? .real(d)
        case (.integer, .string(let s)): Int(s).map(RecordValue.integer) ?? .text(s)
        case (.real, .double(let d)): .real(d)
        case (.real, .int64(let i)): .real(Double(i))
        case (.real, .string(let s)): Double(s).map(RecordValue.real) ?? .text(s)
        case (.timestamp, .double(let d)): .timestamp(Date(timeIntervalSince1970: d))
        case (.timestamp, .int64(let i)): .timestamp(Date(timeIntervalSince1970: TimeInterval(i)))
        case (.timestamp, .string(let s)): ISO8601.parse(s).map(RecordValue.timestamp) ?? .text(s)
        case (_, .blob(let data)): .text(String(decoding: data, as: UTF8.self))
        }
    }

    /// Parses JSON text written by this store; text that is not JSON reads as a JSON string.
    static func parseJSON(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }
}

/// The SQL statements of one record model, built once and cached by the store.
struct SQLiteModelSQL: Sendable {
    let model: RecordModel
    /// `SELECT "id", <columns> FROM "<table>"` (the row id is result column 0).
    let select: String
    /// `… WHERE "<key>" = ?`
    let selectByKey: String
    let insert: String
    /// `UPDATE … SET <every column> = ? WHERE "id" = ?`
    let update: String
    let delete: String

    init(_ model: RecordModel) {
        self.model = model
        let q = SQLiteSchema.quote
        let table = q(model.table)
        let names = model.columns.map { q($0.name) }
        select = "SELECT \(q(SQLiteSchema.rowIDColumn)), \(names.joined(separator: ", ")) FROM \(table)"
        selectByKey = select + " WHERE \(q(model.keyColumn)) = ?"
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        insert = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(marks))"
        update = "UPDATE \(table) SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE \(q(SQLiteSchema.rowIDColumn)) = ?"
        delete = "DELETE FROM \(table) WHERE \(q(model.keyColumn)) = ?"
    }

    /// The record in a row read with ``select`` (row id at index 0, then the columns).
    func record(from row: Row) -> AsyncDash.Record {
        var values: [String: RecordValue] = [:]
        values.reserveCapacity(model.columns.count)
        for (offset, column) in model.columns.enumerated() {
            let value: DatabaseValue = row[offset + 1]
            if !value.isNull {
                values[column.name] = SQLiteRecordCodec.decode(value, as: column.type)
            }
        }
        return AsyncDash.Record(values)
    }

    /// `record` with its values normalized for their columns, nulls and unknown columns dropped,
    /// and its SQLite values in column order.
    func normalize(_ record: AsyncDash.Record) -> (record: AsyncDash.Record, values: [DatabaseValue]) {
        var values: [String: RecordValue] = [:]
        values.reserveCapacity(model.columns.count)
        var encoded: [DatabaseValue] = []
        encoded.reserveCapacity(model.columns.count + 1)
        for column in model.columns {
            let value = SQLiteRecordCodec.normalize(record[column.name], to: column.type)
            if value != .null { values[column.name] = value }
            encoded.append(SQLiteRecordCodec.encode(value))
        }
        return (AsyncDash.Record(values), encoded)
    }
}
