/// A declarative change to one record: what to write on creation, what to write always, and
/// what to write unless the record is in a guarded state (e.g. a terminal status).
///
/// Stores can apply it without reading the record first — the SQLite store compiles it into one
/// `INSERT … ON CONFLICT DO UPDATE` statement — which is why ``ModelTrackingAsyncManager`` writes
/// events this way. ``apply(to:isNew:)`` is the reference semantics every store must match.
///
/// ```swift
/// var change = RecordChange()
/// change.onInsert = [("created_at", .timestamp(now))]
/// change.guarded = [("status", .text("in_progress"))]
/// change.always = [("updated_at", .timestamp(now))]
/// change.guardColumn = "status"
/// change.guardValues = ["success", "failed", "cancelled"]
/// try await store.apply(model, key: "import-42", change)
/// ```
public struct RecordChange: Sendable, Hashable {
    /// Column writes made only when the record is created.
    public var onInsert: [Assignment] = []
    /// Column writes skipped when the existing record's ``guardColumn`` holds one of ``guardValues``.
    public var guarded: [Assignment] = []
    /// Column writes always made.
    public var always: [Assignment] = []
    /// The column the guard reads (e.g. `status`); `nil` disables the guard.
    public var guardColumn: String?
    /// The text values of ``guardColumn`` that protect the ``guarded`` columns.
    public var guardValues: [String] = []

    /// One column write.
    public struct Assignment: Sendable, Hashable {
        public var column: String
        public var value: RecordValue
        public init(_ column: String, _ value: RecordValue) {
            self.column = column
            self.value = value
        }
    }

    public init() {}

    /// Applies the change to `record` in memory: the semantics every store must match.
    ///
    /// On creation the guard does not apply; later lists win over earlier ones
    /// (`onInsert` < `guarded` < `always`).
    public func apply(to record: inout Record, isNew: Bool) {
        if isNew {
            for assignment in onInsert { record[assignment.column] = assignment.value }
        }
        if isNew || !isGuarded(record) {
            for assignment in guarded { record[assignment.column] = assignment.value }
        }
        for assignment in always { record[assignment.column] = assignment.value }
    }

    /// Whether `record` is in a guarded state.
    public func isGuarded(_ record: Record) -> Bool {
        guard let guardColumn, let value = record[guardColumn].text else { return false }
        return guardValues.contains(value)
    }

    /// Every column the change names.
    public var columns: Set<String> {
        Set((onInsert + guarded + always).map(\.column))
    }
}

extension RecordStore {
    /// Applies `change` to the record whose key column is `key`, creating it when missing.
    ///
    /// The default implementation runs ``RecordChange/apply(to:isNew:)`` inside
    /// ``upsert(_:key:_:)``; stores override it with a single-statement version.
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws {
        try await upsert(model, key: key) { record, isNew in change.apply(to: &record, isNew: isNew) }
    }

    /// Applies `change` when `messages` is empty; otherwise throws, since this store cannot
    /// write outbox messages in the record's transaction (override it to).
    public func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws {
        guard messages.isEmpty else {
            throw AsyncDashError(
                .invalidArgument, value: "\(type(of: self))",
                message: "the record store \(type(of: self)) cannot write outbox messages with a record, so durable observers cannot be used on it")
        }
        try await apply(model, key: key, change)
    }
}
