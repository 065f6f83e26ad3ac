import AsyncDash

/// The SQL statements of one record model, built once and cached by the store.
struct SQLiteModelSQL: Sendable {
    let model: RecordModel
    /// `SELECT "id", <columns> FROM "<table>"` (the row id is result column 0).
    let select: String
    /// `… WHERE "<key>" = ?`
    let selectByKey: String
    /// `INSERT INTO "<table>" (<columns>) VALUES (?, …)`
    let insert: String
    /// `UPDATE "<table>" SET <every column> = ? WHERE "id" = ?`
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

    /// The record in the current row of a statement built from ``select``.
    func record(from statement: SQLiteRawStatement) -> Record {
        var values: [String: RecordValue] = [:]
        values.reserveCapacity(model.columns.count)
        for (offset, column) in model.columns.enumerated() {
            let value = statement.recordValue(Int32(offset + 1), as: column.type)
            if case .null = value { continue }
            values[column.name] = value
        }
        return Record(values)
    }

    /// Binds every column of `record` (normalized for its type) to parameters 1…n of `statement`
    /// and returns the record as stored: normalized values, no `.null`, only model columns.
    func bind(_ record: Record, to statement: SQLiteRawStatement) -> Record {
        var written = record
        var stored = 0
        for (offset, column) in model.columns.enumerated() {
            var value = record.values[column.name] ?? .null
            if let converted = SQLiteRecordCodec.normalized(value, to: column.type) {
                value = converted
                written.values[column.name] = converted
            }
            if case .null = value {} else { stored += 1 }
            statement.bind(value, at: Int32(offset + 1))
        }
        if written.values.count != stored {
            written.values = written.values.filter { name, value in
                if case .null = value { return false }
                return model.column(name) != nil
            }
        }
        return written
    }
}
