/// The reference ``RecordStore``: records in an actor, for tests and single-process use.
public actor MemoryRecordStore: RecordStore {
    private struct Row {
        var sequence: Int
        var record: Record
    }

    private var tables: [String: [String: Row]] = [:]
    private var nextSequence = 0
    private let outbox: MemoryOutboxStore?
    private let changes: ChangeBroadcaster?

    /// - Parameters:
    ///   - outbox: Where ``apply(_:key:_:outbox:)`` appends outbox messages (the same store
    ///     set's outbox role).
    ///   - changes: The store set's change feed, told of each record key written or deleted.
    public init(outbox: MemoryOutboxStore? = nil, changes: ChangeBroadcaster? = nil) {
        self.outbox = outbox
        self.changes = changes
    }

    /// Applies `change`, then appends `messages` to the outbox (in memory a crash between the two
    /// loses both anyway).
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return try await apply(model, key: key, change) }
        guard let outbox else {
            throw AsyncDashError(.invalidArgument, value: "outbox", message: "this MemoryRecordStore has no outbox; make it with MemoryRecordStore(outbox:)")
        }
        try await apply(model, key: key, change)
        try await outbox.append(messages)
    }

    public func prepare(_ model: RecordModel) async throws {
        if tables[model.table] == nil { tables[model.table] = [:] }
    }

    @discardableResult
    public func upsert(
        _ model: RecordModel,
        key: String,
        _ update: @escaping @Sendable (inout Record, Bool) -> Void
    ) async throws -> Record {
        let existing = tables[model.table]?[key]
        var record = existing?.record ?? Record([model.keyColumn: .text(key)])
        update(&record, existing == nil)
        record[model.keyColumn] = .text(key)
        try Self.requireColumns(record.values.keys.sorted(), of: model)
        let sequence: Int
        if let existing {
            sequence = existing.sequence
        } else {
            nextSequence += 1
            sequence = nextSequence
        }
        // Mutate the table in place: copying it out and back would make every write O(records).
        tables[model.table, default: [:]][key] = Row(sequence: sequence, record: record)
        changes?.publish(key)
        return record
    }

    public func fetch(_ model: RecordModel, key: String) async throws -> Record? {
        tables[model.table]?[key]?.record
    }

    public func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record] {
        try Self.requireColumns(Array(query.filters.keys) + [query.orderBy].compactMap { $0 }, of: model)
        let rows = (tables[model.table] ?? [:]).values.filter { row in
            query.filters.allSatisfy { column, value in row.record[column] == value }
        }
        let sorted = rows.sorted { a, b in
            if let column = query.orderBy, let less = Self.less(a.record[column], b.record[column]),
                a.record[column] != b.record[column]
            {
                return query.descending ? !less : less
            }
            return query.descending ? a.sequence > b.sequence : a.sequence < b.sequence
        }
        return sorted.prefix(max(0, query.limit)).map(\.record)
    }

    @discardableResult
    public func delete(_ model: RecordModel, key: String) async throws -> Bool {
        guard tables[model.table]?.removeValue(forKey: key) != nil else { return false }
        changes?.publish(key)
        return true
    }

    /// Fails on the first of `columns` that `model` does not have: nothing is dropped silently.
    private static func requireColumns(_ columns: [String], of model: RecordModel) throws {
        guard let unknown = columns.first(where: { model.column($0) == nil }) else { return }
        throw AsyncDashError(
            .invalidArgument, value: unknown,
            message: "'\(unknown)' is not a column of record model '\(model.name)'; its columns: \(model.columns.map(\.name).joined(separator: ", "))"
        )
    }

    private static func less(_ a: RecordValue, _ b: RecordValue) -> Bool? {
        switch (a, b) {
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case (.text(let x), .text(let y)): return x < y
        case (.integer(let x), .integer(let y)): return x < y
        case (.real(let x), .real(let y)): return x < y
        case (.timestamp(let x), .timestamp(let y)): return x < y
        case (.bool(let x), .bool(let y)): return !x && y
        default: return nil
        }
    }
}
