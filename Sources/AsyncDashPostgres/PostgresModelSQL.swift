import AsyncDash
import Foundation
import PostgresNIO

/// The SQL of one record model on PostgreSQL, built once and cached by the store.
struct PostgresModelSQL: Sendable {
    let model: RecordModel
    /// The qualified, quoted table.
    let table: String
    /// `SELECT <columns> FROM <table>` (column i of the model is result column i).
    let select: String
    /// The quoted column names, in order.
    let quotedNames: [String]
    let columnIndex: [String: Int]
    let keyIndex: Int
    var key: String { quotedNames[keyIndex] }

    static let rowIDColumn = "id"

    init(_ model: RecordModel, names: PostgresNames) {
        self.model = model
        table = names.table(model.table)
        quotedNames = model.columns.map { PostgresNames.quote($0.name) }
        columnIndex = Dictionary(model.columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        keyIndex = model.columns.firstIndex { $0.name == model.keyColumn } ?? 0
        select = "SELECT \(quotedNames.joined(separator: ", ")) FROM \(table)"
    }

    /// The record in `row` (read with ``select``; columns from `offset` on).
    func record(from row: PostgresRow, offset: Int = 0) throws -> Record {
        let cells = row.makeRandomAccess()
        var values: [String: RecordValue] = [:]
        values.reserveCapacity(model.columns.count)
        for (index, column) in model.columns.enumerated() {
            let cell = cells[index + offset]
            guard cell.bytes != nil else { continue }
            let value: RecordValue
            switch column.type {
            case .text: value = .text(try cell.decode(String.self))
            case .json: value = .json(PostgresRecordCodec.parseJSON(try cell.decode(String.self)))
            case .bool: value = .bool(try cell.decode(Bool.self))
            case .integer: value = .integer(try cell.decode(Int.self))
            case .real: value = .real(try cell.decode(Double.self))
            case .timestamp: value = .timestamp(Date(timeIntervalSince1970: try cell.decode(Double.self)))
            }
            values[column.name] = value
        }
        return Record(values)
    }

    /// The parameters of every column of `record`, normalized for its type, and the record as
    /// stored (normalized values, no `.null`).
    ///
    /// - Throws: ``AsyncDashError`` naming a column of `record` the model does not have.
    func parameters(of record: Record) throws -> (values: [PostgresValue], written: Record) {
        try checkColumns(record.values.keys)
        var written = Record()
        var values: [PostgresValue] = []
        values.reserveCapacity(model.columns.count)
        for column in model.columns {
            let value = record[column.name].stored(as: column.type)
            if !value.isNull { written[column.name] = value }
            values.append(PostgresValue(value))
        }
        return (values, written)
    }

    /// - Throws: ``AsyncDashError`` naming the first of `names` (sorted) the model does not have.
    func checkColumns(_ names: some Sequence<String>) throws {
        try RecordOrdering.requireColumns(names.sorted(), of: model)
    }

    /// The error for a column the model does not have (as every store reports it).
    func unknownColumn(_ name: String) -> any Error {
        do {
            try RecordOrdering.requireColumns([name], of: model)
            return AsyncDashError(.invalidArgument, value: name, message: "'\(name)' is not a column of record model '\(model.name)'")
        } catch {
            return error
        }
    }

    /// The sort key of `column` in listing order: NULL first, then values, then the key.
    func sortExpressions(_ column: String) -> [String] {
        let q = PostgresNames.quote(column)
        if column == model.keyColumn { return [key] }
        let type = model.column(column)?.type ?? .text
        return ["(\(q) IS NOT NULL)", "coalesce(\(q), \(PostgresSchema.zero(type)))", key]
    }
}

/// Reading JSON kept as text.
enum PostgresRecordCodec {
    /// Parses JSON text written by this store; text that is not JSON reads as a JSON string.
    static func parseJSON(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }
}
