import AsyncDash
import Foundation
import PostgresNIO

/// Dashboard listing on PostgreSQL: keyset pages over indexes, and per-value counts kept by
/// triggers.
///
/// ``prepareListing(_:_:)`` creates, per sort column S and filter column F, the indexes
/// `((S IS NOT NULL), coalesce(S, zero), key)` and `(F, (S IS NOT NULL), coalesce(S, zero), key)` —
/// NULL sorts below every value, as the reference order does — so the first, a middle and the
/// last page each read about `limit` index entries; and a trigger per filter column that keeps
/// `asyncdash_counts` (in 8 slots per value, so concurrent writers rarely wait on one row), so
/// counting a million records by status reads a few dozen rows.
///
/// The indexes are built inside a transaction: on a large existing table, run
/// `asyncdash migrate` (or the first `serve`) when a short write pause is acceptable.
extension PostgresStore {
    public func prepareListing(_ model: RecordModel, _ listing: RecordListing) async throws {
        try RecordOrdering.requireColumns(listing.filterColumns + listing.sortColumns, of: model)
        let sql = sql(for: model)
        let names = names
        let table = model.table
        try await transaction("preparing the listing of \(table)") { connection in
            try await PostgresSchema.lock(connection, "table.\(table)", names: names, logger: self.logger)
            for sort in listing.sortColumns where sort != model.keyColumn {
                let name = PostgresNames.quote(PostgresSchema.objectName("ix", table, [sort]))
                try await connection.run(
                    "CREATE INDEX IF NOT EXISTS \(name) ON \(sql.table) (\(sql.sortExpressions(sort).joined(separator: ", ")))", logger: self.logger)
            }
            for filter in listing.filterColumns {
                for sort in listing.sortColumns {
                    let name = PostgresNames.quote(PostgresSchema.objectName("ix", table, [filter, sort]))
                    let columns = [PostgresNames.quote(filter)] + sql.sortExpressions(sort)
                    try await connection.run("CREATE INDEX IF NOT EXISTS \(name) ON \(sql.table) (\(columns.joined(separator: ", ")))", logger: self.logger)
                }
                try await self.keepCounts(of: filter, sql: sql, connection)
            }
        }
    }

    /// Creates the counting trigger of `column` unless it exists, counting the rows already there
    /// while writes wait (a share lock on the table), so the kept counts start exact.
    private func keepCounts(of column: String, sql: PostgresModelSQL, _ connection: PostgresConnection) async throws {
        let trigger = PostgresSchema.objectName("count", sql.model.table, [column])
        guard try await !hasTrigger(trigger, on: sql, connection) else { return }
        try await connection.run("LOCK TABLE \(sql.table) IN SHARE ROW EXCLUSIVE MODE", logger: logger)
        try await connection.run(
            "DELETE FROM \(names.counts) WHERE tbl = $1 AND col = $2", [.text(sql.model.table), .text(column)], logger: logger)
        try await connection.run(
            """
            INSERT INTO \(names.counts) (tbl, col, is_null, v, slot, n)
            SELECT $1, $2, v IS NULL, coalesce(v, ''), 0, count(*)
            FROM (SELECT to_jsonb(r) ->> $2 AS v FROM \(sql.table) AS r) AS values GROUP BY 3, 4
            """, [.text(sql.model.table), .text(column)], logger: logger)
        try await connection.run(
            """
            CREATE TRIGGER \(PostgresNames.quote(trigger)) AFTER INSERT OR UPDATE OR DELETE ON \(sql.table)
                FOR EACH ROW EXECUTE FUNCTION \(names.countFunction)(\(PostgresNames.literal(column)))
            """, logger: logger)
    }

    private func hasTrigger(_ trigger: String, on sql: PostgresModelSQL, _ connection: PostgresConnection) async throws -> Bool {
        try await !connection.run(
            "SELECT 1 FROM pg_trigger WHERE tgname = $1 AND tgrelid = to_regclass($2)", [.text(trigger), .text(sql.table)], logger: logger
        ).isEmpty
    }

    public func page(_ model: RecordModel, query: RecordPageQuery) async throws -> RecordPage {
        try RecordOrdering.validate(query, of: model)
        let sql = sql(for: model)
        var values: [PostgresValue] = []
        func bind(_ value: PostgresValue, _ cast: String) -> String {
            values.append(value)
            return "$\(values.count)::\(cast)"
        }
        var conditions: [String] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard let column = model.column(name) else { continue }
            if value.storedForm(for: column.type) != nil {
                return RecordPage(records: [], hasPrevious: false, hasNext: false, firstCursor: nil, lastCursor: nil)
            }
            if value.isNull {
                conditions.append("\(PostgresNames.quote(name)) IS NULL")
            } else {
                conditions.append("\(PostgresNames.quote(name)) = " + bind(PostgresValue(value), Self.castType(column.type)))
            }
        }
        if let search = query.search, !search.columns.isEmpty {
            let pattern = bind(.text(search.likePattern), "text")
            conditions.append("(" + search.columns.map { "\(PostgresNames.quote($0)) ILIKE \(pattern) ESCAPE '\\'" }.joined(separator: " OR ") + ")")
        }
        let (backwards, cursor) = query.keysetRead
        let descendingRead = query.descending != backwards
        let expressions = sql.sortExpressions(query.sortColumn)
        let sortType = model.column(query.sortColumn)?.type ?? .text
        // The cursor's sort key, bound once and used by both statements (each must use every parameter).
        var cursorKey: [String] = []
        if let cursor {
            let key = bind(.text(cursor.key), "text COLLATE \"C\"")
            if query.sortColumn == model.keyColumn {
                cursorKey = [key]
            } else {
                let value = cursor.value.stored(as: sortType)
                let present = bind(.bool(!value.isNull), "boolean")
                let sortValue = value.isNull ? PostgresSchema.zero(sortType) : bind(PostgresValue(value), Self.castType(sortType))
                cursorKey = [present, sortValue, key]
            }
        }
        // Rows past the cursor when reading in `descending` order (`inclusive`: the cursor row too).
        func keyset(_ descending: Bool, inclusive: Bool) -> String {
            let comparison = (descending ? "<" : ">") + (inclusive ? "=" : "")
            if cursorKey.count == 1 { return "\(expressions[0]) \(comparison) \(cursorKey[0])" }
            return "(\(expressions.joined(separator: ", "))) \(comparison) (\(cursorKey.joined(separator: ", ")))"
        }
        let filterOnly = conditions
        var pageConditions = conditions
        if cursor != nil { pageConditions.append(keyset(descendingRead, inclusive: false)) }
        let direction = descendingRead ? "DESC" : "ASC"
        var text = sql.select
        if !pageConditions.isEmpty { text += " WHERE " + pageConditions.joined(separator: " AND ") }
        let limit = max(0, query.limit)
        text += " ORDER BY " + expressions.map { "\($0) \(direction)" }.joined(separator: ", ") + " LIMIT \(limit + 1)"
        var otherSide: String?
        if cursor != nil {
            let condition = keyset(!descendingRead, inclusive: true)
            otherSide = "SELECT EXISTS (SELECT 1 FROM \(sql.table) WHERE " + (filterOnly + [condition]).joined(separator: " AND ") + ")"
        }
        let statement = text
        let otherStatement = otherSide
        let parameters = values
        let (rows, other) = try await scan("a page of \(model.table)") { connection -> ([Record], Bool) in
            let records = try await connection.run(statement, parameters, logger: self.logger).map { try sql.record(from: $0) }
            var other = false
            if let otherStatement {
                other = try await connection.run(otherStatement, parameters, logger: self.logger).first?.required(0, as: Bool.self) ?? false
            }
            return (records, other)
        }
        return RecordOrdering.keysetPage(rows: rows, limit: limit, backwards: backwards, otherSide: other, query: query, model: model)
    }

    /// Reads the trigger-kept counts when ``prepareListing(_:_:)`` set them up for `column`,
    /// else counts with one `GROUP BY` scan.
    public func counts(_ model: RecordModel, groupedBy column: String) async throws -> [RecordValue: Int] {
        try RecordOrdering.requireColumns([column], of: model)
        guard let type = model.column(column)?.type else { return [:] }
        let sql = sql(for: model)
        let trigger = PostgresSchema.objectName("count", model.table, [column])
        let kept = try await !run(
            "the counts of \(model.table)", "SELECT 1 FROM pg_trigger WHERE tgname = $1 AND tgrelid = to_regclass($2)",
            [.text(trigger), .text(sql.table)]
        ).isEmpty
        if kept {
            var counts: [RecordValue: Int] = [:]
            let rows = try await run(
                "the counts of \(model.table) by \(column)",
                "SELECT is_null, v, sum(n)::bigint FROM \(names.counts) WHERE tbl = $1 AND col = $2 GROUP BY 1, 2 HAVING sum(n) > 0",
                [.text(model.table), .text(column)])
            for row in rows {
                let value = try row.required(0, as: Bool.self) ? RecordValue.null : Self.countedValue(try row.required(1, as: String.self), type)
                counts[value, default: 0] += try row.required(2, as: Int.self)
            }
            return counts
        }
        let q = PostgresNames.quote(column)
        return try await scan("the counts of \(model.table) by \(column)") { connection in
            var counts: [RecordValue: Int] = [:]
            let rows = try await connection.run(
                "SELECT \(q) IS NULL, to_jsonb(r) ->> \(PostgresNames.literal(column)), count(*) FROM \(sql.table) AS r GROUP BY 1, 2",
                logger: self.logger)
            for row in rows {
                let value = try row.required(0, as: Bool.self) ? RecordValue.null : Self.countedValue(try row.value(1, as: String.self) ?? "", type)
                counts[value, default: 0] += try row.required(2, as: Int.self)
            }
            return counts
        }
    }

    /// A value as `to_jsonb(row) ->> column` writes it, read back by column type.
    static func countedValue(_ text: String, _ type: ColumnType) -> RecordValue {
        switch type {
        case .text: .text(text)
        case .json: .json(PostgresRecordCodec.parseJSON(text))
        case .bool: .bool(text == "true")
        case .integer: Int(text).map(RecordValue.integer) ?? .text(text)
        case .real: Double(text).map(RecordValue.real) ?? .text(text)
        case .timestamp: Double(text).map { .timestamp(Date(timeIntervalSince1970: $0)) } ?? .text(text)
        }
    }

    /// The type a parameter compared with a column of `type` is cast to (the column's own).
    static func castType(_ type: ColumnType) -> String {
        PostgresSchema.sqlType(type)
    }

}
