/// Merging a batch's statements of one shape into one statement: fewer statements for the
/// server to parse and plan (most of its time per short write).
extension PostgresStatementBatch {
    /// `statements` with the one-row inserts of one shape (text and shared values) merged into
    /// one multi-row insert (rows with the same conflict key go in separate inserts, in their
    /// order), and the deletes by key of one shape into one delete of every key (each row goes
    /// to the first statement that asked for its key: the later ones would have found nothing).
    ///
    /// The inserts come first, in the order of their text, each with its rows in the order of
    /// their keys, then the other statements in their order (a merged delete at the place of its
    /// first): concurrent batches lock the rows they update in one order, so they do not deadlock
    /// on each other. A statement's place among the others of its write may change: a write's
    /// statements must not depend on each other's order (they write different tables).
    static func merged(_ statements: [PostgresStatement]) -> [PostgresStatement] {
        struct Shape: Hashable {
            var sql: String
            var shared: [String?]
        }
        // Each group: the statements, in order, each with its rank among those of its key.
        var groups: [Shape: [[PostgresStatement]]] = [:]
        var others: [PostgresStatement] = []
        var ranks: [Shape: [String?: Int]] = [:]
        for statement in statements {
            guard let row = statement.row, !statement.returnsRows, row.count == row.types.count, row.count <= statement.values.count,
                statement.values.prefix(row.count).allSatisfy(\.isScalar)
            else {
                others.append(statement)
                continue
            }
            let shape = Shape(sql: statement.sql, shared: statement.values.dropFirst(row.count).map { textForm($0)?.text })
            let keyText = row.key.flatMap { textForm(statement.values[$0])?.text }
            var rank = 0
            if row.key != nil {
                rank = ranks[shape, default: [:]][keyText, default: 0]
                ranks[shape, default: [:]][keyText] = rank + 1
            }
            var group = groups[shape] ?? []
            while group.count <= rank { group.append([]) }
            group[rank].append(statement)
            groups[shape] = group
        }
        let shapes = groups.keys.sorted { a, b in
            if a.sql != b.sql { return a.sql < b.sql }
            return a.shared.map { $0 ?? "" }.lexicographicallyPrecedes(b.shared.map { $0 ?? "" })
        }
        var result: [PostgresStatement] = []
        for shape in shapes {
            for members in groups[shape] ?? [] { result.append(merge(members)) }
        }
        return result + mergedDeletes(others)
    }

    /// `statements` with the deletes by key of one shape merged, at the place of the first.
    private static func mergedDeletes(_ statements: [PostgresStatement]) -> [PostgresStatement] {
        var groups: [String: [PostgresStatement]] = [:]
        var order: [(sql: String?, statement: PostgresStatement?)] = []
        for statement in statements {
            guard statement.keyedDelete != nil, case .write = statement.route, statement.values.count == 1, case .text = statement.values[0] else {
                order.append((nil, statement))
                continue
            }
            if groups[statement.sql] == nil { order.append((statement.sql, nil)) }
            groups[statement.sql, default: []].append(statement)
        }
        return order.compactMap { entry in
            if let statement = entry.statement { return statement }
            guard let sql = entry.sql, let members = groups[sql], let first = members.first, let delete = first.keyedDelete else { return nil }
            guard members.count > 1 else { return first }
            var keys: [String] = []
            var writes: [String: Int] = [:]
            for member in members {
                guard case .text(let key) = member.values[0], case .write(let write) = member.route, writes[key] == nil else { continue }
                writes[key] = write
                keys.append(key)
            }
            var merged = PostgresStatement(
                "DELETE FROM \(delete.table) WHERE \(PostgresNames.quote(delete.column)) = ANY($1::text[]) "
                    + "RETURNING \(delete.returning.map(PostgresNames.quote).joined(separator: ", "))",
                [.texts(keys)], returnsRows: true)
            merged.route = .byKey(column: delete.column, writes: writes)
            return merged
        }
    }

    /// The text form of a value as bytes, for ordering keys as the `"C"` collation does.
    private static func keyOrder(_ statement: PostgresStatement) -> [UInt8] {
        guard let key = statement.row?.key, statement.values.indices.contains(key), let text = textForm(statement.values[key])?.text else { return [] }
        return Array(text.utf8)
    }

    /// One insert of every member's row (members share their text and shared values).
    static func merge(_ members: [PostgresStatement]) -> PostgresStatement {
        guard members.count > 1, let first = members.first, let row = first.row else { return members.first ?? PostgresStatement("") }
        // Rows that update on conflict (their keys are distinct here) are locked in key order.
        let members = row.key == nil ? members : members.sorted { keyOrder($0).lexicographicallyPrecedes(keyOrder($1)) }
        let names = (1...row.count).map { "c\($0)" }
        let arrays = row.types.enumerated().map { index, type in "$\(index + 1)::\(type)[]" }
        let sql = "\(row.head) SELECT \(names.map { "u.\($0)" }.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", "))) "
            + "WITH ORDINALITY AS u(\(names.joined(separator: ", ")), i) ORDER BY u.i \(row.tail)"
        var values: [PostgresValue] = (0..<row.count).map { column in
            .column(members.map { textForm($0.values[column])?.text })
        }
        values.append(contentsOf: first.values.dropFirst(row.count))
        return PostgresStatement(sql, values)
    }

}
