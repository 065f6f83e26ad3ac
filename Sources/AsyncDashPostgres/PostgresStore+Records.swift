import AsyncDash
import Foundation
import PostgresNIO

extension PostgresStore: RecordStore {
    /// Creates the model's table, adds the columns it gained since, and the change-feed trigger
    /// (idempotent; safe from several processes at once: it runs under an advisory lock).
    ///
    /// - Throws: ``PostgresStoreError`` when the model uses a reserved table name, a column named
    ///   `id` (the store's row id), or a name longer than PostgreSQL's 63 bytes.
    public func prepare(_ model: RecordModel) async throws {
        try Self.validate(model)
        let sql = sql(for: model)
        let names = names
        try await transaction("preparing the table of record model '\(model.name)'") { connection in
            try await PostgresSchema.lock(connection, "table.\(model.table)", names: names, logger: self.logger)
            var statements = [
                """
                CREATE TABLE IF NOT EXISTS \(sql.table) (
                    \(PostgresNames.quote(PostgresModelSQL.rowIDColumn)) bigserial PRIMARY KEY,
                    \(sql.key) text COLLATE "C" NOT NULL UNIQUE)
                """
            ]
            for (index, column) in model.columns.enumerated() where index != sql.keyIndex {
                statements.append("ALTER TABLE \(sql.table) ADD COLUMN IF NOT EXISTS \(sql.quotedNames[index]) \(PostgresSchema.sqlType(column.type))")
                if column.name == "updated_at" {
                    let index = PostgresSchema.objectName("ix", model.table, ["updated_at"])
                    statements.append("CREATE INDEX IF NOT EXISTS \(PostgresNames.quote(index)) ON \(sql.table) (\"updated_at\")")
                }
            }
            statements += PostgresSchema.notifyTrigger(table: sql.table, name: model.table, column: model.keyColumn, names: names, events: .all)
            try await PostgresSchema.runAll(statements, connection, logger: self.logger)
        }
    }

    static func validate(_ model: RecordModel) throws {
        if PostgresNames.reservedTables.contains(model.table.lowercased()) || model.table.lowercased().hasPrefix("pg_") {
            throw PostgresStoreError(
                .invalidModel, value: model.name, reason: "table name '\(model.table)' is reserved by the PostgreSQL store; choose another table name")
        }
        for name in [model.table] + model.columns.map(\.name) where name.utf8.count > 63 || name.isEmpty || name.utf8.contains(0) {
            throw PostgresStoreError(
                .invalidModel, value: model.name, reason: "the name '\(name.prefix(80))' is not usable: PostgreSQL names are 1 to 63 bytes, without NUL")
        }
        if let column = model.columns.first(where: { $0.name == PostgresModelSQL.rowIDColumn }) {
            throw PostgresStoreError(
                .invalidModel, value: model.name,
                reason: "column '\(column.name)' clashes with the row id column 'id' the PostgreSQL store adds; rename it")
        }
    }

    /// Reads the record under a row lock (or creates it), lets `update` change it, and writes it
    /// back, in one transaction.
    @discardableResult
    public func upsert(
        _ model: RecordModel,
        key: String,
        _ update: @escaping @Sendable (_ record: inout Record, _ isNew: Bool) -> Void
    ) async throws -> Record {
        let sql = sql(for: model)
        return try await transaction("writing record '\(key)' of \(model.table)") { connection in
            let selectForUpdate = sql.select + " WHERE \(sql.key) = $1 FOR UPDATE"
            var existing = try await connection.run(selectForUpdate, [.text(key)], logger: self.logger).first
            var isNew = false
            if existing == nil {
                let inserted = try await connection.run(
                    "INSERT INTO \(sql.table) (\(sql.key)) VALUES ($1) ON CONFLICT (\(sql.key)) DO NOTHING RETURNING 1", [.text(key)],
                    logger: self.logger)
                if inserted.isEmpty {
                    existing = try await connection.run(selectForUpdate, [.text(key)], logger: self.logger).first
                } else {
                    isNew = true
                }
            }
            var record = try existing.map { try sql.record(from: $0) } ?? Record([model.keyColumn: .text(key)])
            update(&record, isNew)
            record[model.keyColumn] = .text(key)
            let (values, written) = try sql.parameters(of: record)
            let assignments = sql.quotedNames.enumerated().compactMap { index, name in
                index == sql.keyIndex ? nil : "\(name) = $\(index + 1)"
            }
            if !assignments.isEmpty {
                // The key's parameter is sent too (unused but typed by the WHERE clause).
                try await connection.run(
                    "UPDATE \(sql.table) SET \(assignments.joined(separator: ", ")) WHERE \(sql.key) = $\(sql.keyIndex + 1)", values,
                    logger: self.logger)
            }
            return written
        }
    }

    public func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws {
        let statement = try applyStatement(for: change, model: model, key: key)
        try await write("writing record '\(key)' of \(model.table)", statements: [statement])
    }

    /// Applies `change` and appends `messages` to the outbox in one transaction.
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return try await apply(model, key: key, change) }
        let statement = try applyStatement(for: change, model: model, key: key)
        try await write("writing record '\(key)' of \(model.table) with its outbox events", statements: [statement, outboxStatement(messages)])
    }

    /// One `INSERT … ON CONFLICT DO UPDATE` with the semantics of ``RecordChange/apply(to:isNew:)``:
    /// `always` columns overwritten, `guarded` ones only while the existing row's guard column
    /// holds none of the guard values.
    func applyStatement(for change: RecordChange, model: RecordModel, key: String) throws -> PostgresStatement {
        let sql = sql(for: model)
        enum Write: Int { case none = 0, insertOnly, guarded, always }
        var writes = [Write](repeating: .none, count: model.columns.count)
        var inserted = [RecordValue?](repeating: nil, count: model.columns.count)
        func note(_ assignments: [RecordChange.Assignment], as write: Write) throws {
            for assignment in assignments {
                guard let index = sql.columnIndex[assignment.column] else { throw sql.unknownColumn(assignment.column) }
                inserted[index] = assignment.value
                if write.rawValue > writes[index].rawValue { writes[index] = write }
            }
        }
        try note(change.onInsert, as: .insertOnly)
        try note(change.guarded, as: .guarded)
        try note(change.always, as: .always)
        inserted[sql.keyIndex] = .text(key)
        writes[sql.keyIndex] = .insertOnly

        var values: [PostgresValue] = []
        var columns: [String] = []
        var types: [String] = []
        var keyPosition = 0
        for (index, value) in inserted.enumerated() {
            guard let value else { continue }
            if index == sql.keyIndex { keyPosition = columns.count }
            columns.append(sql.quotedNames[index])
            types.append(PostgresSchema.valueType(model.columns[index].type))
            values.append(PostgresValue(value.stored(as: model.columns[index].type)))
        }
        let rowCount = values.count
        var guardCondition: String?
        if let name = change.guardColumn, let index = sql.columnIndex[name], !change.guardValues.isEmpty,
            model.columns[index].type == .text || model.columns[index].type == .json
        {
            let isJSON = model.columns[index].type == .json
            var guardMarks: [String] = []
            for text in change.guardValues {
                values.append(.text(isJSON ? JSONValue.string(text).jsonText : text))
                guardMarks.append("$\(values.count)")
            }
            guardCondition = "t.\(sql.quotedNames[index]) IN (\(guardMarks.joined(separator: ", ")))"
        }
        var assignments: [String] = []
        for (index, write) in writes.enumerated() {
            let name = sql.quotedNames[index]
            switch write {
            case .always:
                assignments.append("\(name) = excluded.\(name)")
            case .guarded:
                if let guardCondition {
                    assignments.append("\(name) = CASE WHEN \(guardCondition) THEN t.\(name) ELSE excluded.\(name) END")
                } else {
                    assignments.append("\(name) = excluded.\(name)")
                }
            case .none, .insertOnly:
                break
            }
        }
        let tail = "ON CONFLICT (\(sql.key)) DO " + (assignments.isEmpty ? "NOTHING" : "UPDATE SET " + assignments.joined(separator: ", "))
        return .insert(
            "INSERT INTO \(sql.table) AS t (\(columns.joined(separator: ", ")))", types: types, row: Array(values.prefix(rowCount)), tail,
            shared: Array(values.dropFirst(rowCount)), key: assignments.isEmpty ? nil : keyPosition)
    }

    public func fetch(_ model: RecordModel, key: String) async throws -> Record? {
        let sql = sql(for: model)
        return try await run("reading record '\(key)' of \(model.table)", sql.select + " WHERE \(sql.key) = $1", [.text(key)])
            .first.map { try sql.record(from: $0) }
    }

    /// Records matching every filter, sorted by ``RecordQuery/orderBy`` (NULL first when
    /// ascending) then insertion order.
    public func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record] {
        let sql = sql(for: model)
        var conditions: [String] = []
        var values: [PostgresValue] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard let column = model.column(name) else { throw sql.unknownColumn(name) }
            // A stored value always has its column's kind, so a value of another kind matches nothing.
            guard value.storedForm(for: column.type) == nil else { return [] }
            if value.isNull {
                conditions.append("\(PostgresNames.quote(name)) IS NULL")
            } else {
                values.append(PostgresValue(value))
                conditions.append("\(PostgresNames.quote(name)) = $\(values.count)")
            }
        }
        let direction = query.descending ? "DESC NULLS LAST" : "ASC NULLS FIRST"
        var order = ["\(PostgresNames.quote(PostgresModelSQL.rowIDColumn)) \(query.descending ? "DESC" : "ASC")"]
        if let name = query.orderBy {
            guard let column = model.column(name) else { throw sql.unknownColumn(name) }
            // JSON values have no order; like the memory store, they sort by insertion order.
            if column.type != .json { order.insert("\(PostgresNames.quote(name)) \(direction)", at: 0) }
        }
        var text = sql.select
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        values.append(.int(max(0, query.limit)))
        text += " ORDER BY " + order.joined(separator: ", ") + " LIMIT $\(values.count)"
        let statement = text
        let parameters = values
        return try await scan("a list of \(model.table)") { connection in
            try await connection.run(statement, parameters, logger: self.logger).map { try sql.record(from: $0) }
        }
    }

    @discardableResult
    public func delete(_ model: RecordModel, key: String) async throws -> Bool {
        let sql = sql(for: model)
        return try await !run("deleting record '\(key)' of \(model.table)", "DELETE FROM \(sql.table) WHERE \(sql.key) = $1 RETURNING 1", [.text(key)])
            .isEmpty
    }
}
