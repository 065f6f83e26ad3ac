import AsyncDash
import GRDB
import Synchronization

extension SQLiteStore: RecordStore {
    /// Creates the model's table, or adds the columns it gained since (idempotent; safe to run
    /// from several processes at once).
    ///
    /// - Throws: ``SQLiteStoreError`` when the model uses a reserved table name, a column named
    ///   `id` (the store's row id), or two column names that differ only in case.
    public func prepare(_ model: RecordModel) async throws {
        try SQLiteSchema.validate(model)
        try await SQLiteSchema.migrate(SQLiteSchema.recordMigrator(for: model), pool)
    }

    /// Runs a write of `model`'s records in the next group commit, first making sure the writer
    /// connection captures that table's changes for the change feed — in whatever process writes,
    /// whether or not it prepared the model (the capture is a TEMP trigger: per connection).
    func writeRecords<T: Sendable>(
        _ model: RecordModel, savepoint: Bool, _ operation: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let table = model.table
        let capture = capturedTables.withLock { $0.contains(table) } ? nil : SQLiteSchema.recordCaptureSQL(model)
        let result = try await write(savepoint: savepoint) { db in
            if let capture { try db.execute(sql: capture) }
            return try operation(db)
        }
        // Marked once committed: a rolled-back batch took the trigger with it.
        if capture != nil { capturedTables.withLock { _ = $0.insert(table) } }
        return result
    }

    /// Reads, updates and writes one record in the next group commit.
    ///
    /// Values are stored by column type; a value of another kind is converted like
    /// ``RecordValue/coerce(_:to:)`` converts JSON. The record returned is the one a later
    /// ``fetch(_:key:)`` reads: converted values and no `.null` entries.
    ///
    /// - Throws: ``AsyncDashError`` when `update` sets a column the model does not have (nothing is
    ///   written), or the database error.
    @discardableResult
    public func upsert(
        _ model: RecordModel,
        key: String,
        _ update: @escaping @Sendable (_ record: inout AsyncDash.Record, _ isNew: Bool) -> Void
    ) async throws -> AsyncDash.Record {
        let sql = sql(for: model)
        return try await writeRecords(model, savepoint: false) { db in
            let select = try SQLiteRawStatement(db, sql.selectByKey)
            defer { select.reset() }
            select.bind(key, at: 1)
            var record: AsyncDash.Record
            var rowID: Int64?
            if try select.step() {
                rowID = select.int64(0)
                record = sql.record(from: select)
            } else {
                record = AsyncDash.Record([model.keyColumn: .text(key)])
            }
            select.reset()
            update(&record, rowID == nil)
            record[model.keyColumn] = .text(key)
            let write = try SQLiteRawStatement(db, rowID == nil ? sql.insert : sql.update)
            defer { write.reset() }
            let written = try sql.bind(record, to: write)
            if let rowID { write.bind(rowID, at: Int32(model.columns.count + 1)) }
            try write.execute()
            return written
        }
    }

    public func fetch(_ model: RecordModel, key: String) async throws -> AsyncDash.Record? {
        let sql = sql(for: model)
        return try pointReader.read(sql.selectByKey) { select in
            select.bind(key, at: 1)
            return try select.step() ? sql.record(from: select) : nil
        }
    }

    /// Records matching every filter, sorted by ``RecordQuery/orderBy`` then insertion order.
    ///
    /// - Throws: ``SQLiteStoreError`` with code ``SQLiteStoreError/Code/unknownColumn`` when a
    ///   filter or the sort column is not a column of `model`.
    public func list(_ model: RecordModel, query: RecordQuery) async throws -> [AsyncDash.Record] {
        let sql = sql(for: model)
        var conditions: [String] = []
        var arguments: [SQLiteBinding] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            let column = try Self.column(name, of: model)
            // A stored value always has its column's kind, so a value of another kind matches nothing.
            guard SQLiteRecordCodec.normalized(value, to: column.type) == nil else { return [] }
            conditions.append("\(SQLiteSchema.quote(name)) IS ?")
            arguments.append(SQLiteRecordCodec.binding(value))
        }
        let direction = query.descending ? "DESC" : "ASC"
        var order = ["\(SQLiteSchema.quote(SQLiteSchema.rowIDColumn)) \(direction)"]
        if let name = query.orderBy {
            // JSON values have no order; like the memory store, they sort by insertion order.
            if try Self.column(name, of: model).type != .json {
                order.insert("\(SQLiteSchema.quote(name)) \(direction)", at: 0)
            }
        }
        var text = sql.select
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        text += " ORDER BY " + order.joined(separator: ", ") + " LIMIT ?"
        let statementText = text
        let filterValues = arguments
        let limit = Int64(max(0, query.limit))
        return try await scans.read("a list of \(model.table)") { db in
            let select = try SQLiteRawStatement(db, statementText)
            defer { select.reset() }
            for (offset, value) in filterValues.enumerated() { select.bind(value, at: Int32(offset + 1)) }
            select.bind(limit, at: Int32(filterValues.count + 1))
            var records: [AsyncDash.Record] = []
            while try select.step() { records.append(sql.record(from: select)) }
            return records
        }
    }

    @discardableResult
    public func delete(_ model: RecordModel, key: String) async throws -> Bool {
        let sql = sql(for: model)
        return try await writeRecords(model, savepoint: false) { db in
            let delete = try SQLiteRawStatement(db, sql.delete)
            defer { delete.reset() }
            delete.bind(key, at: 1)
            try delete.execute()
            return db.changesCount > 0
        }
    }

    private static func column(_ name: String, of model: RecordModel) throws -> RecordModel.Column {
        guard let column = model.column(name) else {
            throw SQLiteStoreError(
                .unknownColumn, value: name,
                reason: "record model '\(model.name)' has no such column; its columns are "
                    + model.columns.map(\.name).joined(separator: ", "))
        }
        return column
    }
}
