import AsyncDash
import Foundation
import GRDB

/// Dashboard listing on SQLite: keyset pages over indexes, and per-value counts kept by triggers.
///
/// ``prepareListing(_:_:)`` creates, per sort column S and filter column F, the indexes
/// `(ifnull(S, -1e308), key)` and `(F, ifnull(S, -1e308), key)`, so the first, a middle and the last
/// page each read about `limit` index entries, and a table `asyncdash_counts` that triggers keep
/// up to date for every filter column, so counting a million records by status reads a few rows.
/// (`ifnull` puts `NULL` below every value, as the reference order does, without losing those rows.)
extension SQLiteStore {
    static let countsTable = "asyncdash_counts"

    public func prepareListing(_ model: RecordModel, _ listing: RecordListing) async throws {
        try RecordOrdering.requireColumns(listing.filterColumns + listing.sortColumns, of: model)
        let q = SQLiteSchema.quote
        let table = model.table
        let key = q(model.keyColumn)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("asyncdash.counts.v1") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS \(Self.countsTable) (
                    tbl TEXT NOT NULL, col TEXT NOT NULL, v, n INTEGER NOT NULL,
                    PRIMARY KEY (tbl, col, v)
                ) WITHOUT ROWID
                """)
        }
        for sort in listing.sortColumns where sort != model.keyColumn {
            let expression = Self.sortExpression(sort)
            migrator.registerMigration("listing.\(table).index.\(sort)") { db in
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(q(Self.objectName("ix", table, [sort]))) ON \(q(table)) (\(expression), \(key))")
            }
        }
        for filter in listing.filterColumns {
            for sort in listing.sortColumns {
                let expression = sort == model.keyColumn ? key : "\(Self.sortExpression(sort)), \(key)"
                migrator.registerMigration("listing.\(table).index.\(filter).\(sort)") { db in
                    try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(q(Self.objectName("ix", table, [filter, sort]))) ON \(q(table)) (\(q(filter)), \(expression))")
                }
            }
            migrator.registerMigration("listing.\(table).counts.\(filter)") { db in
                try db.execute(sql: Self.countTriggers(table: table, column: filter))
            }
        }
        try await SQLiteSchema.migrate(migrator, pool)
    }

    public func page(_ model: RecordModel, query: RecordPageQuery) async throws -> RecordPage {
        try RecordOrdering.validate(query, of: model)
        let sql = sql(for: model)
        let q = SQLiteSchema.quote
        let key = q(model.keyColumn)
        let sortIsKey = query.sortColumn == model.keyColumn
        let expression = sortIsKey ? key : Self.sortExpression(query.sortColumn)
        var conditions: [String] = []
        var arguments: [SQLiteBinding] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard let column = model.column(name) else { continue }
            // A stored value always has its column's kind, so a value of another kind matches nothing.
            if SQLiteRecordCodec.normalized(value, to: column.type) != nil {
                return RecordPage(records: [], hasPrevious: false, hasNext: false, firstCursor: nil, lastCursor: nil)
            }
            conditions.append("\(q(name)) IS ?")
            arguments.append(SQLiteRecordCodec.binding(value))
        }
        if let search = query.search, !search.columns.isEmpty {
            let pattern = search.likePattern
            conditions.append("(" + search.columns.map { "\(q($0)) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
            arguments += search.columns.map { _ in .text(pattern) }
        }
        // "Forward" is display order; pages before a cursor and the last page are read backwards.
        let (backwards, cursor) = query.keysetRead
        let descendingRead = query.descending != backwards
        // Rows past the cursor when reading in `descending` order (`inclusive`: the cursor row too).
        func keysetCondition(_ descending: Bool, _ cursor: AsyncDash.RecordCursor, inclusive: Bool = false) -> (String, [SQLiteBinding]) {
            let value = Self.cursorBinding(cursor.value, model.column(query.sortColumn)?.type ?? .text)
            let range = descending ? "<=" : ">="
            let row = (descending ? "<" : ">") + (inclusive ? "=" : "")
            if sortIsKey { return ("\(key) \(row) ?", [.text(cursor.key)]) }
            return ("\(expression) \(range) ? AND (\(expression), \(key)) \(row) (?, ?)", [value, value, .text(cursor.key)])
        }
        var pageConditions = conditions
        var pageArguments = arguments
        if let cursor {
            let (condition, values) = keysetCondition(descendingRead, cursor)
            pageConditions.append(condition)
            pageArguments += values
        }
        let direction = descendingRead ? "DESC" : "ASC"
        let order = sortIsKey ? "\(key) \(direction)" : "\(expression) \(direction), \(key) \(direction)"
        var text = sql.select
        if !pageConditions.isEmpty { text += " WHERE " + pageConditions.joined(separator: " AND ") }
        text += " ORDER BY \(order) LIMIT ?"
        // Whether anything lies on the cursor's other side (the cursor row itself included).
        var otherSide: String?
        var otherArguments = arguments
        if let cursor {
            let (condition, values) = keysetCondition(!descendingRead, cursor, inclusive: true)
            otherSide = "SELECT 1 FROM \(q(model.table)) WHERE " + (conditions + [condition]).joined(separator: " AND ") + " LIMIT 1"
            otherArguments += values
        }
        let statementText = text
        let boundArguments = pageArguments
        let limit = max(0, query.limit)
        let otherText = otherSide
        let otherBound = otherArguments
        let (rows, other) = try await scans.read("a page of \(model.table)") { db -> ([AsyncDash.Record], Bool) in
            let select = try SQLiteRawStatement(db, statementText)
            defer { select.reset() }
            for (offset, value) in boundArguments.enumerated() { select.bind(value, at: Int32(offset + 1)) }
            select.bind(Int64(limit + 1), at: Int32(boundArguments.count + 1))
            var records: [AsyncDash.Record] = []
            while try select.step() { records.append(sql.record(from: select)) }
            var other = false
            if let otherText {
                let exists = try SQLiteRawStatement(db, otherText)
                defer { exists.reset() }
                for (offset, value) in otherBound.enumerated() { exists.bind(value, at: Int32(offset + 1)) }
                other = try exists.step()
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
        let q = SQLiteSchema.quote
        let trigger = Self.triggerName(table: model.table, column: column, "ins")
        let table = model.table
        // The kept totals are a few rows: a cheap read. Counting the table is a long one.
        let kept = try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
                arguments: [trigger, table]) ?? false
        }
        let text = kept
            ? "SELECT v, n FROM \(Self.countsTable) WHERE tbl = ? AND col = ? AND n > 0"
            : "SELECT ifnull(\(q(column)), x'00'), count(*) FROM \(q(table)) GROUP BY 1"
        let count = { @Sendable (db: Database) throws -> [RecordValue: Int] in
            let select = try SQLiteRawStatement(db, text)
            defer { select.reset() }
            if kept {
                select.bind(table, at: 1)
                select.bind(column, at: 2)
            }
            var counts: [RecordValue: Int] = [:]
            while try select.step() {
                let value = select.isBlob(0) ? RecordValue.null : select.recordValue(0, as: type)
                counts[value, default: 0] += Int(select.int64(1))
            }
            return counts
        }
        return kept ? try await read(count) : try await scans.read("the counts of \(table) by \(column)", count)
    }

    static func sortExpression(_ column: String) -> String {
        "ifnull(\(SQLiteSchema.quote(column)), -1e308)"
    }

    static func cursorBinding(_ value: RecordValue, _ type: ColumnType) -> SQLiteBinding {
        let normalized = SQLiteRecordCodec.normalize(value, to: type)
        if normalized.isNull { return .real(-1e308) }
        return SQLiteRecordCodec.binding(normalized)
    }


    static func triggerName(table: String, column: String, _ suffix: String) -> String {
        objectName("count", table, [column, suffix])
    }

    /// `asyncdash_KIND_<length>_<table>_<parts…>`: the table's length keeps names of different
    /// tables and columns apart (`a_b` + `c` and `a` + `b_c` would otherwise meet).
    static func objectName(_ kind: String, _ table: String, _ parts: [String]) -> String {
        "asyncdash_\(kind)_\(table.utf8.count)_\(table)_" + parts.joined(separator: "_")
    }

    /// The triggers keeping `asyncdash_counts` for one column (NULL counted under the blob x'00'),
    /// and the counts of the rows already there.
    static func countTriggers(table: String, column: String) -> String {
        let q = SQLiteSchema.quote
        let (t, c) = (q(table), q(column))
        func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        let (tl, cl) = (literal(table), literal(column))
        func bump(_ row: String, _ delta: String) -> String {
            "INSERT INTO \(countsTable) (tbl, col, v, n) VALUES (\(tl), \(cl), ifnull(\(row).\(c), x'00'), \(delta)) "
                + "ON CONFLICT (tbl, col, v) DO UPDATE SET n = n + (\(delta));"
        }
        return """
            DELETE FROM \(countsTable) WHERE tbl = \(tl) AND col = \(cl);
            INSERT INTO \(countsTable) (tbl, col, v, n) SELECT \(tl), \(cl), ifnull(\(c), x'00'), count(*) FROM \(t) WHERE true GROUP BY 3
                ON CONFLICT (tbl, col, v) DO UPDATE SET n = excluded.n;
            CREATE TRIGGER IF NOT EXISTS \(q(triggerName(table: table, column: column, "ins"))) AFTER INSERT ON \(t)
                BEGIN \(bump("NEW", "1")) END;
            CREATE TRIGGER IF NOT EXISTS \(q(triggerName(table: table, column: column, "del"))) AFTER DELETE ON \(t)
                BEGIN \(bump("OLD", "-1")) END;
            CREATE TRIGGER IF NOT EXISTS \(q(triggerName(table: table, column: column, "upd"))) AFTER UPDATE OF \(c) ON \(t)
                WHEN OLD.\(c) IS NOT NEW.\(c)
                BEGIN \(bump("OLD", "-1")) \(bump("NEW", "1")) END;
            """
    }
}
