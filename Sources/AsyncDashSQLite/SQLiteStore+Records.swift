import AsyncDash
import GRDB

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

    /// Reads, updates and writes one record in the next group commit.
    ///
    /// Values are stored by column type; a value of another kind is converted like
    /// ``RecordValue/coerce(_:to:)`` converts JSON. The record returned is the one a later
    /// ``fetch(_:key:)`` reads: converted values, no `.null` entries, only model columns.
    @discardableResult
    public func upsert(
        _ model: RecordModel,
        key: String,
        _ update: @escaping @Sendable (_ record: inout AsyncDash.Record, _ isNew: Bool) -> Void
    ) async throws -> AsyncDash.Record {
        let sql = sql(for: model)
        return try await write(savepoint: false) { db in
            let existing = try Row.fetchOne(db.cachedStatement(sql: sql.selectByKey), arguments: [key])
            var record = existing.map(sql.record(from:)) ?? AsyncDash.Record([model.keyColumn: .text(key)])
            update(&record, existing == nil)
            record[model.keyColumn] = .text(key)
            let (written, values) = sql.normalize(record)
            if let existing {
                let rowID: Int64 = existing[0]
                try db.cachedStatement(sql: sql.update).execute(arguments: StatementArguments(values + [rowID.databaseValue]))
            } else {
                try db.cachedStatement(sql: sql.insert).execute(arguments: StatementArguments(values))
            }
            return written
        }
    }

    public func fetch(_ model: RecordModel, key: String) async throws -> AsyncDash.Record? {
        let sql = sql(for: model)
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: sql.selectByKey), arguments: [key]).map(sql.record(from:))
        }
    }

    /// Records matching every filter, sorted by ``RecordQuery/orderBy`` then insertion order.
    ///
    /// - Throws: ``SQLiteStoreError`` with code ``SQLiteStoreError/Code/unknownColumn`` when a
    ///   filter or the sort column is not a column of `model`.
    public func list(_ model: RecordModel, query: RecordQuery) async throws -> [AsyncDash.Record] {
        let sql = sql(for: model)
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            let column = try Self.column(name, of: model)
            let normalized = SQLiteRecordCodec.normalize(value, to: column.type)
            // A stored value always has its column's kind, so a value of another kind matches nothing.
            guard normalized == value else { return [] }
            conditions.append("\(SQLiteSchema.quote(name)) IS ?")
            arguments.append(SQLiteRecordCodec.encode(normalized))
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
        arguments.append(Int64(max(0, query.limit)).databaseValue)
        let statementText = text
        let statementArguments = StatementArguments(arguments)
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: statementText), arguments: statementArguments).map(sql.record(from:))
        }
    }

    @discardableResult
    public func delete(_ model: RecordModel, key: String) async throws -> Bool {
        let sql = sql(for: model)
        return try await write(savepoint: false) { db in
            try db.cachedStatement(sql: sql.delete).execute(arguments: [key])
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
