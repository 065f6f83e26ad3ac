/// Stores dashboard records: one row per task, in the table of a ``RecordModel``.
///
/// Implementations: ``MemoryRecordStore`` (the reference), `SQLiteStore` in `AsyncDashSQLite`.
/// Every implementation must pass the record-store contract tests.
///
/// ```swift
/// let record = try await store.upsert(model, key: "import-42") { record, isNew in
///     if isNew { record["status"] = .text("pending") }
///     record["message"] = .text("Task queued")
/// }
/// ```
public protocol RecordStore: Sendable {
    /// Creates or upgrades the schema for `model` (idempotent).
    func prepare(_ model: RecordModel) async throws

    /// Atomically reads the record whose key column is `key` (or starts an empty one with the
    /// key set), lets `update` change it, and writes it back. No other write to the same record
    /// can happen in between — in this process or another one sharing the store.
    ///
    /// When the call returns, the write is durable. Returns the record as written.
    @discardableResult
    func upsert(
        _ model: RecordModel,
        key: String,
        _ update: @escaping @Sendable (_ record: inout Record, _ isNew: Bool) -> Void
    ) async throws -> Record

    /// Applies a declarative change to the record whose key column is `key`, creating it when
    /// missing, atomically and durably like ``upsert(_:key:_:)``. A default implementation
    /// (through `upsert`) is provided; override it when the store can do it in one statement.
    func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws

    /// Applies `change` like ``apply(_:key:_:)`` and appends `messages` to the store's outbox in
    /// the same transaction: both are written, or neither (what makes a durable observer's event
    /// survive a crash between the two). The default implementation handles no messages and
    /// throws for any: a store keeping an outbox overrides it.
    func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws

    /// The record whose key column is `key`, or `nil`.
    func fetch(_ model: RecordModel, key: String) async throws -> Record?

    /// Records matching `query`.
    func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record]

    /// Deletes the record whose key column is `key`; returns whether there was one.
    @discardableResult
    func delete(_ model: RecordModel, key: String) async throws -> Bool

    /// Prepares the store to list `model` by `listing` fast (e.g. creates indexes and per-value
    /// counts); idempotent. A default that does nothing is provided.
    func prepareListing(_ model: RecordModel, _ listing: RecordListing) async throws

    /// One page of records (see ``RecordPageQuery``). A default implementation reads every
    /// record through ``list(_:query:)``; override it with a keyset query.
    ///
    /// - Throws: ``AsyncDashError`` (``AsyncDashError/Code/invalidArgument``) for a filter, search
    ///   or sort column the model does not have, or a JSON sort column.
    func page(_ model: RecordModel, query: RecordPageQuery) async throws -> RecordPage

    /// How many records have each value of `column` (values no record has are absent). A default
    /// implementation reads every record; override it with a maintained count.
    func counts(_ model: RecordModel, groupedBy column: String) async throws -> [RecordValue: Int]

    /// Writes `records` as they are (every column, the key included), each replacing the record
    /// with its key: what ``StoreCopy`` writes when an installation moves. A default
    /// implementation (one ``upsert(_:key:_:)`` per record) is provided; override it to write a
    /// batch in one transaction.
    func importRecords(_ model: RecordModel, _ records: [Record]) async throws
}
