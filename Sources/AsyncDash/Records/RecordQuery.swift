/// What to list from a record store: equality filters, a sort column, a page size.
public struct RecordQuery: Sendable, Hashable {
    /// Column → value the record must have.
    public var filters: [String: RecordValue]
    /// Sort column; `nil` sorts by insertion order.
    public var orderBy: String?
    public var descending: Bool
    public var limit: Int

    public init(filters: [String: RecordValue] = [:], orderBy: String? = nil, descending: Bool = true, limit: Int = 100) {
        self.filters = filters
        self.orderBy = orderBy
        self.descending = descending
        self.limit = limit
    }
}
