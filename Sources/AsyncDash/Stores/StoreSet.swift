/// Every role one store driver provides from one URL (DESIGN §6): dashboard records, coordination
/// (locks, progress, the active set, dead letters), the durable task queue, the audit log, the
/// outbox of durable observers, and the change feed that pushes "task changed" to live views.
///
/// Code outside a driver holds these roles, never a concrete store type: the command line, the
/// dashboard and the workers work the same on every driver.
///
/// ```swift
/// let stores = StoreSet.memory()                       // or try resolved.makeStores() for STORE
/// let manager = try AsyncManager(context: ManagerContext(name: "app", stores: stores))
/// let queue = stores.queue.taskQueue(runner: manager)  // the durable queue role
/// try await stores.audit.append(AuditEntry(taskName: "t1", action: "cancel", actor: "ops", at: Date(), outcome: "ok"))
/// ```
public struct StoreSet: Sendable {
    public var records: any RecordStore
    public var coordination: any CoordinationStore
    /// The durable task queue kept in the store.
    public var queue: any DurableQueueStore
    /// Who took which action on a task.
    public var audit: any AuditLog
    /// Events for durable observers, until delivered.
    public var outbox: any OutboxStore
    /// Notices that tasks changed (records, progress, locks, the active set), from every process
    /// on the store.
    public var changes: any ChangeFeed
    /// Reads the whole store to find damage (`nil`: the store has nothing that can be damaged,
    /// e.g. memory).
    public var integrity: (any StoreIntegrityCheck)?

    public init(
        records: any RecordStore, coordination: any CoordinationStore, queue: any DurableQueueStore, audit: any AuditLog,
        outbox: any OutboxStore, changes: any ChangeFeed, integrity: (any StoreIntegrityCheck)? = nil
    ) {
        self.integrity = integrity
        self.records = records
        self.coordination = coordination
        self.queue = queue
        self.audit = audit
        self.outbox = outbox
        self.changes = changes
    }

    /// Fresh memory stores for every role (single process; nothing survives the process).
    public static func memory(clock: any AsyncDashClock = SystemClock()) -> StoreSet {
        let changes = ChangeBroadcaster()
        let coordination = MemoryCoordinationStore(clock: clock, changes: changes)
        let outbox = MemoryOutboxStore(clock: clock)
        return StoreSet(
            records: MemoryRecordStore(outbox: outbox, changes: changes), coordination: coordination,
            queue: MemoryQueueStore(clock: clock, locks: coordination), audit: coordination, outbox: outbox, changes: changes)
    }
}
