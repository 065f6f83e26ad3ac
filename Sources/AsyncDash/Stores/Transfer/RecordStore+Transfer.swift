extension RecordStore {
    public func importRecords(_ model: RecordModel, _ records: [Record]) async throws {
        for record in records {
            guard case .text(let key) = record[model.keyColumn] else {
                throw AsyncDashError(
                    .invalidArgument, value: record[model.keyColumn].json.jsonText,
                    message: "a record to import into '\(model.name)' has no text key in column '\(model.keyColumn)'")
            }
            try await upsert(model, key: key) { stored, _ in stored = record }
        }
    }

    /// Every record of `model`, in key order, in batches of at most `limit` after the record
    /// whose key is `after` (`nil`: from the first): what ``StoreCopy`` reads.
    public func exportRecords(_ model: RecordModel, after key: String?, limit: Int) async throws -> [Record] {
        let position: RecordPageQuery.Position =
            key.map { .after(RecordCursor(value: .text($0), key: $0)) } ?? .first
        let query = RecordPageQuery(sortColumn: model.keyColumn, descending: false, position: position, limit: limit)
        return try await page(model, query: query).records
    }
}
