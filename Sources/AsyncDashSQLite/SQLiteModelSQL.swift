import AsyncDash
import Synchronization

/// The SQL statements of one record model, built once and cached by the store.
struct SQLiteModelSQL: Sendable {
    let model: RecordModel
    /// `SELECT "id", <columns> FROM "<table>"` (the row id is result column 0).
    let select: String
    /// `… WHERE "<key>" = ?`
    let selectByKey: String
    /// `INSERT INTO "<table>" (<columns>) VALUES (?, …)`
    let insert: String
    /// `UPDATE "<table>" SET <every column but the key> = ? WHERE "id" = ?`: parameters 1…n are
    /// the columns in order (the key's is bound but unused, so its unique index is not touched),
    /// n+1 the row id.
    let update: String
    let delete: String
    /// Column name → index in ``RecordModel/columns``.
    let columnIndex: [String: Int]
    /// The quoted column names, in order.
    let quotedNames: [String]
    /// The index of the key column.
    let keyIndex: Int
    /// Statements of ``SQLiteStore/apply(_:key:_:)`` by shape (see `SQLiteStore+Apply.swift`).
    let applyStatements = SQLiteStatementCache()

    init(_ model: RecordModel) {
        self.model = model
        let q = SQLiteSchema.quote
        let table = q(model.table)
        let names = model.columns.map { q($0.name) }
        quotedNames = names
        columnIndex = Dictionary(model.columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        keyIndex = model.columns.firstIndex { $0.name == model.keyColumn } ?? 0
        select = "SELECT \(q(SQLiteSchema.rowIDColumn)), \(names.joined(separator: ", ")) FROM \(table)"
        selectByKey = select + " WHERE \(q(model.keyColumn)) = ?"
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        insert = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(marks))"
        let assignments = model.columns.enumerated().compactMap { offset, column in
            column.name == model.keyColumn ? nil : "\(q(column.name)) = ?\(offset + 1)"
        }
        // The key's parameter number stays unused: SQLite allows gaps (it counts up to ?n+1).
        update = "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(q(SQLiteSchema.rowIDColumn)) = ?\(names.count + 1)"
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
    /// and returns the record as stored: normalized values, no `.null`.
    ///
    /// - Throws: ``AsyncDashError`` (``AsyncDashError/Code/invalidArgument``) naming a column of
    ///   `record` the model does not have, as the memory store does.
    func bind(_ record: Record, to statement: SQLiteRawStatement) throws -> Record {
        var written = record
        var present = 0
        var stored = 0
        for (offset, column) in model.columns.enumerated() {
            guard var value = record.values[column.name] else {
                statement.bindNull(at: Int32(offset + 1))
                continue
            }
            present += 1
            if let converted = SQLiteRecordCodec.normalized(value, to: column.type) {
                value = converted
                written.values[column.name] = converted
            }
            if case .null = value {} else { stored += 1 }
            statement.bind(value, at: Int32(offset + 1))
        }
        if present != record.values.count {
            try checkColumns(record.values.keys)
        }
        if written.values.count != stored {
            written.values = written.values.filter { _, value in
                if case .null = value { return false }
                return true
            }
        }
        return written
    }

    /// - Throws: ``AsyncDashError`` naming the first of `names` (sorted) the model does not have.
    func checkColumns(_ names: some Sequence<String>) throws {
        if let unknown = names.sorted().first(where: { model.column($0) == nil }) {
            throw unknownColumn(unknown)
        }
    }

    /// The error for a column the model does not have (as the memory store reports it).
    func unknownColumn(_ name: String) -> AsyncDashError {
        AsyncDashError(
            .invalidArgument, value: name,
            message: "'\(name)' is not a column of record model '\(model.name)'; its columns: "
                + model.columns.map(\.name).joined(separator: ", "))
    }
}

/// SQL texts built once per shape of statement, shared by every caller.
final class SQLiteStatementCache: Sendable {
    private let entries = Mutex<[[Int]: String]>([:])

    /// The SQL for `shape`, built by `build` the first time.
    func sql(for shape: [Int], build: () -> String) -> String {
        if let cached = entries.withLock({ $0[shape] }) { return cached }
        let built = build()
        entries.withLock { $0[shape] = built }
        return built
    }
}
