import AsyncDash

extension SQLiteStore {
    /// Applies `change` with one `INSERT … ON CONFLICT DO UPDATE` statement: no read first.
    ///
    /// The inserted row holds the change applied to a new record; on conflict, ``RecordChange/always``
    /// columns are overwritten and ``RecordChange/guarded`` ones only while the existing row's guard
    /// column holds none of the guard values — the semantics of ``RecordChange/apply(to:isNew:)``.
    ///
    /// - Throws: ``AsyncDashError`` when the change names a column the model does not have.
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws {
        let (sql, values) = try applyStatement(for: change, model: model, key: key)
        try await writeRecords(model, savepoint: false) { db in
            let insert = try SQLiteRawStatement(db, sql)
            defer { insert.reset() }
            for (offset, value) in values.enumerated() { insert.bind(value, at: Int32(offset + 1)) }
            try insert.execute()
        }
    }

    /// How `apply` writes a column.
    private enum Write: Int {
        case none = 0, insertOnly, guarded, always
    }

    /// The SQL of `change` and its parameter values: the inserted values in column order, then the
    /// guard values. The SQL depends only on the change's shape, so it is built once per shape.
    func applyStatement(for change: RecordChange, model: RecordModel, key: String) throws -> (String, [SQLiteBinding]) {
        let sql = sql(for: model)
        let count = model.columns.count
        // shape: one `Write` per column, then the guard column's index + 1 and the guard value count.
        var shape = [Int](repeating: Write.none.rawValue, count: count + 2)
        var inserted = [RecordValue?](repeating: nil, count: count)
        func note(_ assignments: [RecordChange.Assignment], as write: Write) throws {
            for assignment in assignments {
                guard let index = sql.columnIndex[assignment.column] else { throw sql.unknownColumn(assignment.column) }
                inserted[index] = assignment.value  // later lists win, as on a new record
                shape[index] = max(shape[index], write.rawValue)
            }
        }
        try note(change.onInsert, as: .insertOnly)
        try note(change.guarded, as: .guarded)
        try note(change.always, as: .always)
        inserted[sql.keyIndex] = .text(key)
        shape[sql.keyIndex] = Write.insertOnly.rawValue

        var values: [SQLiteBinding] = []
        values.reserveCapacity(count + change.guardValues.count)
        for (index, value) in inserted.enumerated() {
            if let value { values.append(SQLiteRecordCodec.binding(SQLiteRecordCodec.normalize(value, to: model.columns[index].type))) }
        }
        // The guard reads text (`Record[column].text`): only text and JSON columns can hold it.
        if let name = change.guardColumn, let index = sql.columnIndex[name], !change.guardValues.isEmpty,
            model.columns[index].type == .text || model.columns[index].type == .json
        {
            shape[count] = index + 1
            shape[count + 1] = change.guardValues.count
            let isJSON = model.columns[index].type == .json
            for text in change.guardValues { values.append(isJSON ? .text(JSONValue.string(text).jsonText) : .text(text)) }
        }
        let text = sql.applyStatements.sql(for: shape) { Self.applySQL(shape: shape, sql: sql) }
        return (text, values)
    }

    private static func applySQL(shape: [Int], sql: SQLiteModelSQL) -> String {
        let count = sql.model.columns.count
        let names = sql.quotedNames
        var columns: [String] = []
        var marks: [String] = []
        for index in 0..<count where shape[index] != Write.none.rawValue {
            columns.append(names[index])
            marks.append("?\(marks.count + 1)")
        }
        var guardCondition: String?
        if shape[count] > 0 {
            let guardMarks = (0..<shape[count + 1]).map { "?\(marks.count + 1 + $0)" }
            guardCondition = "\(names[shape[count] - 1]) IN (\(guardMarks.joined(separator: ", ")))"
        }
        var assignments: [String] = []
        for index in 0..<count {
            let name = names[index]
            switch Write(rawValue: shape[index]) {
            case .always:
                assignments.append("\(name) = excluded.\(name)")
            case .guarded:
                if let guardCondition {
                    assignments.append("\(name) = CASE WHEN \(guardCondition) THEN \(name) ELSE excluded.\(name) END")
                } else {
                    assignments.append("\(name) = excluded.\(name)")
                }
            default:
                break
            }
        }
        var text = "INSERT INTO \(SQLiteSchema.quote(sql.model.table)) (\(columns.joined(separator: ", "))) "
        text += "VALUES (\(marks.joined(separator: ", "))) ON CONFLICT (\(names[sql.keyIndex])) DO "
        text += assignments.isEmpty ? "NOTHING" : "UPDATE SET " + assignments.joined(separator: ", ")
        return text
    }
}
