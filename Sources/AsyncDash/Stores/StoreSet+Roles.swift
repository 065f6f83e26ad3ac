/// Roles from more than one store (`STORE_ROLES`): records in one store, the rest in another.
extension StoreSet {
    /// `base` with its records from `records` and its audit log from `audit`.
    ///
    /// - `records` must be a different store than `base` when given (the caller compares URLs):
    ///   the record writes then cannot share a transaction with `base`'s outbox, so an event's
    ///   outbox entries are appended first and its record written second (an observer may hear of
    ///   an event whose record write then failed, never miss one whose record was written; a
    ///   retried append is applied once by the entries' event ids). The change feed hears both stores.
    /// - Coordination, queue and outbox always come from `base`: a launch reserves its locks and
    ///   queues its job, and a task's locks are renewed with its lease, against one store.
    ///
    /// ```swift
    /// let stores = StoreSet.memory().combining(records: StoreSet.memory(), audit: nil)
    /// ```
    public func combining(records: StoreSet?, audit: StoreSet?) -> StoreSet {
        var combined = self
        if let audit { combined.audit = audit.audit }
        if let records {
            combined.records = OutboxFirstRecordStore(records: records.records, outbox: outbox)
            combined.changes = MergedChangeFeed(feeds: [records.changes, changes])
            combined.integrity = CombinedIntegrityCheck(checks: [records.integrity, integrity].compactMap { $0 })
        }
        return combined
    }
}

/// A record store whose outbox lives in another store: ``apply(_:key:_:outbox:)`` appends the
/// outbox entries first, then writes the record (see ``StoreSet/combining(records:audit:)``).
struct OutboxFirstRecordStore: RecordStore {
    let records: any RecordStore
    let outbox: any OutboxStore

    func prepare(_ model: RecordModel) async throws { try await records.prepare(model) }

    func upsert(
        _ model: RecordModel, key: String, _ update: @escaping @Sendable (_ record: inout Record, _ isNew: Bool) -> Void
    ) async throws -> Record {
        try await records.upsert(model, key: key, update)
    }

    func apply(_ model: RecordModel, key: String, _ change: RecordChange) async throws {
        try await records.apply(model, key: key, change)
    }

    func apply(_ model: RecordModel, key: String, _ change: RecordChange, outbox messages: [OutboxMessage]) async throws {
        if !messages.isEmpty { try await outbox.append(messages) }
        try await records.apply(model, key: key, change)
    }

    func fetch(_ model: RecordModel, key: String) async throws -> Record? { try await records.fetch(model, key: key) }

    func list(_ model: RecordModel, query: RecordQuery) async throws -> [Record] { try await records.list(model, query: query) }

    func delete(_ model: RecordModel, key: String) async throws -> Bool { try await records.delete(model, key: key) }

    func importRecords(_ model: RecordModel, _ imported: [Record]) async throws { try await records.importRecords(model, imported) }

    func prepareListing(_ model: RecordModel, _ listing: RecordListing) async throws {
        try await records.prepareListing(model, listing)
    }

    func page(_ model: RecordModel, query: RecordPageQuery) async throws -> RecordPage { try await records.page(model, query: query) }

    func counts(_ model: RecordModel, groupedBy column: String) async throws -> [RecordValue: Int] {
        try await records.counts(model, groupedBy: column)
    }
}

/// The notices of several stores' feeds as one feed. Each subscription forwards from one
/// subscription per store, which ends within a second of the merged one being released.
struct MergedChangeFeed: ChangeFeed {
    let feeds: [any ChangeFeed]

    func subscribe() async throws -> ChangeSubscription {
        let broadcaster = ChangeBroadcaster()
        let merged = broadcaster.subscribe()
        for feed in feeds {
            let source = try await feed.subscribe()
            Task {
                while broadcaster.subscriberCount > 0, !Task.isCancelled {
                    switch await source.next(timeout: .seconds(1)) {
                    case .changed(let names)?: broadcaster.publish(names)
                    case .resync?: broadcaster.publishResync()
                    case nil: continue
                    }
                }
            }
        }
        return merged
    }
}

/// The integrity checks of several stores, one after another.
struct CombinedIntegrityCheck: StoreIntegrityCheck {
    let checks: [any StoreIntegrityCheck]

    func integrityProblems(limit: Int, thorough: Bool) async throws -> [String] {
        var problems: [String] = []
        for check in checks where problems.count < limit {
            problems += try await check.integrityProblems(limit: limit - problems.count, thorough: thorough)
        }
        return problems
    }
}
