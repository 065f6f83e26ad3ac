import Synchronization

/// Counts what went wrong in a manager without breaking anything: hook failures,
/// observer failures and time-outs, dead letters. Shared by the managers of one runtime.
public actor ManagerDiagnostics {
    /// A snapshot of the counters.
    public struct Counts: Sendable, Hashable {
        public var hookFailures = 0
        public var deadLetters = 0
        public var deadLetterFailures = 0
        /// Observer name → failures (throws and time-outs).
        public var observerFailures: [String: Int] = [:]
        /// Observer name → time-outs.
        public var observerTimeouts: [String: Int] = [:]
        /// Observer name → events shed from its full best-effort buffer.
        public var observerShed: [String: Int] = [:]
        /// Events for durable observers that could not be written to the outbox (each kept as a dead letter).
        public var outboxFailures = 0
        /// Durable deliveries given up after their attempts (outbox entries now `dead`), by consumer.
        public var outboxDead: [String: Int] = [:]
        public init() {}
    }

    private var counts = Counts()
    /// Sheds are counted without an actor hop: they happen on the emitting path.
    private let shed = Mutex<[String: Int]>([:])

    public init() {}

    public var snapshot: Counts {
        var snapshot = counts
        snapshot.observerShed = shed.withLock { $0 }
        return snapshot
    }

    func recordHookFailure(deadLettered: Bool) {
        counts.hookFailures += 1
        if deadLettered { counts.deadLetters += 1 } else { counts.deadLetterFailures += 1 }
    }

    nonisolated func recordShed(observer: String) {
        shed.withLock { $0[observer, default: 0] += 1 }
    }

    func recordOutboxFailure() {
        counts.outboxFailures += 1
    }

    func recordOutboxDead(consumer: String) {
        counts.outboxDead[consumer, default: 0] += 1
    }

    func recordObserverFailure(_ failure: ObserverChain.Failure) {
        counts.observerFailures[failure.observer, default: 0] += 1
        if case .timedOut = failure { counts.observerTimeouts[failure.observer, default: 0] += 1 }
    }
}
