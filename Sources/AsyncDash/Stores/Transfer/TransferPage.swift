import Foundation

/// One batch of what a store role hands over when an installation moves to another store
/// (``StoreCopy``, `asyncdash migrate --from … --to …`): the items, in the store's own order, and
/// where the next batch starts.
///
/// ```swift
/// var position: Int64 = 0
/// while true {
///     let page = try await audit.exportEntries(after: position, limit: 500)
///     try await target.importEntries(page.items)
///     guard let next = page.next else { break }
///     position = next
/// }
/// ```
public struct TransferPage<Item: Sendable>: Sendable {
    public var items: [Item]
    /// The position to pass as `after` for the next batch; `nil` when this batch was the last.
    public var next: Int64?

    public init(items: [Item], next: Int64?) {
        self.items = items
        self.next = next
    }

    /// A page of `items` read with `limit`, whose last item sits at `lastPosition`: the last
    /// batch when it came back short.
    public init(items: [Item], limit: Int, lastPosition: Int64?) {
        self.items = items
        self.next = items.count < limit ? nil : lastPosition
    }
}

/// An unfinished job as it moves between queues: the job and where it stood.
public struct TransferredJob: Sendable, Hashable {
    public var job: TaskJob
    /// Not to be claimed before this time (a retry's backoff).
    public var notBefore: Date
    /// The worker running it, for a running job.
    public var leaseOwner: String?
    /// When the running job's lease ends.
    public var leaseExpiresAt: Date?
    /// Whether someone asked to cancel it while it ran.
    public var cancelRequested: Bool

    public init(job: TaskJob, notBefore: Date, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, cancelRequested: Bool = false) {
        self.job = job
        self.notBefore = notBefore
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.cancelRequested = cancelRequested
    }

    /// Whether a worker was running it.
    public var isRunning: Bool { leaseOwner != nil }
}
