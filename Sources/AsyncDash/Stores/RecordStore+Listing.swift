/// The reference behaviour of listing (used by ``MemoryRecordStore`` and by stores that do not
/// override it): every record is read and the page is cut in memory.
extension RecordStore {
    public func prepareListing(_ model: RecordModel, _ listing: RecordListing) async throws {
        try RecordOrdering.requireColumns(listing.filterColumns + listing.sortColumns, of: model)
    }

    public func page(_ model: RecordModel, query: RecordPageQuery) async throws -> RecordPage {
        try RecordOrdering.validate(query, of: model)
        let all = try await list(model, query: RecordQuery(filters: query.filters, limit: Int.max))
        return RecordOrdering.page(of: all, model: model, query: query)
    }

    public func counts(_ model: RecordModel, groupedBy column: String) async throws -> [RecordValue: Int] {
        try RecordOrdering.requireColumns([column], of: model)
        let all = try await list(model, query: RecordQuery(limit: Int.max))
        var counts: [RecordValue: Int] = [:]
        for record in all { counts[record[column], default: 0] += 1 }
        return counts
    }
}

/// The order and the page cutting of ``RecordPageQuery``, shared by the stores that list in memory
/// and used by the contract tests as the expected answer.
public enum RecordOrdering {
    /// Whether `a` comes before `b` when sorting ascending by `column`, then by the key column.
    /// `.null` is lowest; numbers and timestamps compare by value; text compares by UTF-8 bytes
    /// (as SQLite's default collation does).
    public static func ascending(_ a: Record, _ b: Record, column: String, key: String) -> Bool {
        compare(a[column], b[column]) ?? bytes(a[key].text ?? "", precede: b[key].text ?? "")
    }

    /// `true` if a < b, `false` if a > b, `nil` when they tie (equal, or kinds that do not compare).
    static func compare(_ a: RecordValue, _ b: RecordValue) -> Bool? {
        switch (a, b) {
        case (.null, .null): return nil
        case (.null, _): return true
        case (_, .null): return false
        case (.text(let x), .text(let y)): return x == y ? nil : bytes(x, precede: y)
        case (.integer(let x), .integer(let y)): return x == y ? nil : x < y
        case (.real(let x), .real(let y)): return x == y ? nil : x < y
        case (.timestamp(let x), .timestamp(let y)): return x == y ? nil : x < y
        case (.bool(let x), .bool(let y)): return x == y ? nil : !x && y
        default: return nil
        }
    }

    static func bytes(_ a: String, precede b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Cuts the page `query` asks for out of `records` (any order; filters already applied or not).
    public static func page(of records: [Record], model: RecordModel, query: RecordPageQuery) -> RecordPage {
        let column = query.sortColumn
        let key = model.keyColumn
        let matching = records.filter { record in
            query.filters.allSatisfy { record[$0.key] == $0.value } && (query.search?.matches(record) ?? true)
        }
        // Display order.
        let ordered = matching.sorted { a, b in
            query.descending ? ascending(b, a, column: column, key: key) : ascending(a, b, column: column, key: key)
        }
        func cursorRecord(_ cursor: RecordCursor) -> Record {
            var record = Record()
            record[column] = cursor.value
            record[key] = .text(cursor.key)  // when sorting by the key, the key wins (as in SQL)
            return record
        }
        func inDisplayOrder(_ a: Record, before b: Record) -> Bool {
            query.descending ? ascending(b, a, column: column, key: key) : ascending(a, b, column: column, key: key)
        }
        let limit = max(0, query.limit)
        var slice: [Record]
        var hasPrevious = false
        var hasNext = false
        switch query.position {
        case .first:
            slice = Array(ordered.prefix(limit))
            hasNext = ordered.count > limit
        case .last:
            slice = Array(ordered.suffix(limit))
            hasPrevious = ordered.count > limit
        case .after(let cursor):
            let pivot = cursorRecord(cursor)
            let rest = ordered.filter { inDisplayOrder(pivot, before: $0) }
            slice = Array(rest.prefix(limit))
            hasNext = rest.count > limit
            hasPrevious = rest.count < ordered.count
        case .before(let cursor):
            let pivot = cursorRecord(cursor)
            let head = ordered.filter { inDisplayOrder($0, before: pivot) }
            slice = Array(head.suffix(limit))
            hasPrevious = head.count > limit
            hasNext = head.count < ordered.count
        }
        return RecordPage(
            records: slice, hasPrevious: hasPrevious, hasNext: hasNext,
            firstCursor: slice.first.map { RecordCursor(of: $0, sortColumn: column, model: model) },
            lastCursor: slice.last.map { RecordCursor(of: $0, sortColumn: column, model: model) })
    }

    /// The page a keyset read found: `rows` are up to `limit + 1` records read from the page's
    /// start (backwards for a page before a cursor or the last page), `otherSide` whether any
    /// record lies on the cursor's other side. Drivers that list with keyset queries share it.
    public static func keysetPage(
        rows: [Record], limit: Int, backwards: Bool, otherSide: Bool, query: RecordPageQuery, model: RecordModel
    ) -> RecordPage {
        let more = rows.count > limit
        var records = Array(rows.prefix(limit))
        if backwards { records.reverse() }
        let column = query.sortColumn
        return RecordPage(
            records: records,
            hasPrevious: backwards ? more : otherSide,
            hasNext: backwards ? otherSide : more,
            firstCursor: records.first.map { RecordCursor(of: $0, sortColumn: column, model: model) },
            lastCursor: records.last.map { RecordCursor(of: $0, sortColumn: column, model: model) })
    }

    /// - Throws: ``AsyncDashError`` naming the first column of the query the model lacks, or a
    ///   JSON sort column.
    public static func validate(_ query: RecordPageQuery, of model: RecordModel) throws {
        try requireColumns(Array(query.filters.keys).sorted() + (query.search?.columns ?? []) + [query.sortColumn], of: model)
        if model.column(query.sortColumn)?.type == .json {
            throw AsyncDashError(.invalidArgument, value: query.sortColumn,
                                 message: "cannot sort by '\(query.sortColumn)': it is a JSON column of record model '\(model.name)', and JSON values have no order")
        }
        if let column = query.search?.columns.first(where: { model.column($0)?.type != .text }) {
            throw AsyncDashError(.invalidArgument, value: column,
                                 message: "cannot search in '\(column)': only text columns of record model '\(model.name)' can be searched")
        }
    }

    /// - Throws: ``AsyncDashError`` naming the first of `columns` the model lacks, with its columns.
    public static func requireColumns(_ columns: [String], of model: RecordModel) throws {
        guard let unknown = columns.first(where: { model.column($0) == nil }) else { return }
        throw AsyncDashError(
            .invalidArgument, value: unknown,
            message: "'\(unknown)' is not a column of record model '\(model.name)'; its columns: \(model.columns.map(\.name).joined(separator: ", "))")
    }
}
