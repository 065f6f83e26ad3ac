/// How often a ``QueueWorker`` heartbeats, reclaims and polls, and how long its leases last.
///
/// ```swift
/// let timing = QueueWorkerTiming(leaseTTL: .seconds(30))   // heartbeat every 10 s, reclaim every 30 s
/// ```
public struct QueueWorkerTiming: Sendable, Hashable {
    /// How long a claim lasts without a heartbeat (`LEASE_TTL`).
    public var leaseTTL: Duration
    /// How often running jobs' leases (and locks) are renewed: default a third of the lease.
    public var heartbeatInterval: Duration
    /// How often expired leases of other workers are looked for: default the lease.
    public var reclaimInterval: Duration
    /// How long the loop waits when nothing was claimable.
    public var pollInterval: Duration

    public init(leaseTTL: Duration = .seconds(30), heartbeatInterval: Duration? = nil, reclaimInterval: Duration? = nil,
                pollInterval: Duration = .milliseconds(50)) {
        self.leaseTTL = leaseTTL
        self.heartbeatInterval = heartbeatInterval ?? leaseTTL / 3
        self.reclaimInterval = reclaimInterval ?? leaseTTL
        self.pollInterval = pollInterval
    }
}
