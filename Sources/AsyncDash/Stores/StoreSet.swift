/// The stores one URL configures: the record store and the coordination store.
public struct StoreSet: Sendable {
    public var records: any RecordStore
    public var coordination: any CoordinationStore

    public init(records: any RecordStore, coordination: any CoordinationStore) {
        self.records = records
        self.coordination = coordination
    }

    /// Fresh memory stores (single process; nothing survives the process).
    public static func memory(clock: any AsyncDashClock = SystemClock()) -> StoreSet {
        StoreSet(records: MemoryRecordStore(), coordination: MemoryCoordinationStore(clock: clock))
    }
}
