/// How an observer receives events — never inline: a task body, a launch or a worker's heartbeat
/// never waits for an observer (DESIGN §9).
///
/// - ``bestEffort(buffer:)``: a bounded in-memory buffer in the process that emitted the event,
///   delivered in order by one delivery task. When the buffer is full the oldest undelivered event
///   is shed, counted (``ManagerDiagnostics/Counts/observerShed``) and logged. For logs and metrics.
/// - ``durable(maxAttempts:retryBase:)``: an outbox row written in the same transaction as the
///   record write; any `serve` or `worker` process on the store delivers it (``OutboxDispatcher``),
///   also after a crash or a restart, retrying with exponential backoff and dead-lettering it
///   after `maxAttempts` failures. Delivery is at least once and in order per observer and task;
///   up to `concurrency` tasks' events go at once.
///
/// In config: `durable: true` (and `max_attempts`, `max_age_s`, `concurrency`), or `buffer: N`.
public struct ObserverDelivery: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case bestEffort(buffer: Int)
        case durable(maxAttempts: Int, retryBase: Duration, maxAge: Duration, concurrency: Int)
    }

    let kind: Kind

    /// Events a best-effort observer may have waiting (default).
    public static let defaultBuffer = 1024
    public static let bufferRange = 1...100_000
    /// Tries of a durable observer's event before it is dead-lettered (default).
    public static let defaultMaxAttempts = 8
    public static let maxAttemptsRange = 1...100
    /// How long after it was queued a durable observer's event is still retried (default: a day).
    public static let defaultMaxAge: Duration = .seconds(86_400)
    /// The range of `max_age_s`: a second to 30 days.
    public static let maxAgeSecondsRange = 1...2_592_000
    /// How many tasks' events a durable observer is given at once by one process (default). Each
    /// task's events still go one after another, in order.
    public static let defaultConcurrency = 4
    public static let concurrencyRange = 1...64

    /// A bounded buffer of `buffer` events in this process (clamped to ``bufferRange``).
    public static func bestEffort(buffer: Int = defaultBuffer) -> ObserverDelivery {
        ObserverDelivery(kind: .bestEffort(buffer: min(max(buffer, bufferRange.lowerBound), bufferRange.upperBound)))
    }

    /// The store's outbox; a failed delivery is retried after `retryBase`, doubling up to 5
    /// minutes, and dead-lettered after `maxAttempts` tries (clamped to ``maxAttemptsRange``) or
    /// when the next try would come more than `maxAge` after the event was queued (clamped to
    /// ``maxAgeSecondsRange``), whichever comes first. Each process delivers up to `concurrency`
    /// tasks' events at once (clamped to ``concurrencyRange``), each task's in order.
    public static func durable(
        maxAttempts: Int = defaultMaxAttempts, retryBase: Duration = .seconds(1), maxAge: Duration = defaultMaxAge,
        concurrency: Int = defaultConcurrency
    ) -> ObserverDelivery {
        let age = min(max(maxAge, .seconds(maxAgeSecondsRange.lowerBound)), .seconds(maxAgeSecondsRange.upperBound))
        return ObserverDelivery(kind: .durable(
            maxAttempts: min(max(maxAttempts, maxAttemptsRange.lowerBound), maxAttemptsRange.upperBound), retryBase: max(retryBase, .milliseconds(1)),
            maxAge: age, concurrency: min(max(concurrency, concurrencyRange.lowerBound), concurrencyRange.upperBound)))
    }

    public var isDurable: Bool {
        if case .durable = kind { return true }
        return false
    }

    /// The buffer size of a best-effort delivery.
    public var buffer: Int? {
        if case .bestEffort(let buffer) = kind { return buffer }
        return nil
    }

    /// The tries of a durable delivery.
    public var maxAttempts: Int? {
        if case .durable(let attempts, _, _, _) = kind { return attempts }
        return nil
    }

    /// How long after it was queued a durable delivery is still retried.
    public var maxAge: Duration? {
        if case .durable(_, _, let age, _) = kind { return age }
        return nil
    }

    /// How many tasks' events one process delivers at once (1 for a best-effort delivery, which
    /// goes in emission order).
    public var concurrency: Int {
        if case .durable(_, _, _, let concurrency) = kind { return concurrency }
        return 1
    }

    /// How long a durable delivery waits after its `attempt`-th failure: `retryBase · 2^(attempt−1)`,
    /// at most 5 minutes (the dispatcher takes between half of it and all of it: jitter).
    public func retryDelay(afterAttempt attempt: Int) -> Duration {
        guard case .durable(_, let base, _, _) = kind else { return .zero }
        let factor = 1 << min(max(attempt - 1, 0), 20)
        return min(base * factor, .seconds(300))
    }

    /// The longest an observer's own "not before" (such as an HTTP `Retry-After`) can put a retry
    /// off: one hour; a receiver cannot park an event for longer.
    public static let longestRetryWait: Duration = .seconds(3_600)

    public var description: String {
        switch kind {
        case .bestEffort(let buffer): "best-effort (buffer \(buffer))"
        case .durable(let attempts, _, let age, let concurrency):
            "durable (outbox, \(attempts) attempts within \(Self.describe(age)), \(concurrency) task\(concurrency == 1 ? "" : "s") at a time)"
        }
    }

    /// `1 day`, `6 hours`, `90 seconds`.
    static func describe(_ age: Duration) -> String {
        let seconds = Int(age.components.seconds)
        for (size, unit) in [(86_400, "day"), (3_600, "hour"), (60, "minute")] where seconds % size == 0 && seconds >= size {
            return "\(seconds / size) \(unit)\(seconds / size == 1 ? "" : "s")"
        }
        return "\(seconds) second\(seconds == 1 ? "" : "s")"
    }
}
