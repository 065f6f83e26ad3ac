import Foundation
import Logging

/// Delivers the outbox to durable observers: one delivery loop per consumer
/// (`"<manager>/<observer>"`), in order per task, up to the observer's `concurrency` tasks at
/// once, claiming with a lease so that processes sharing a store never deliver one task's
/// events out of order, retrying a failure with the observer's backoff and dead-lettering an event after its
/// attempts. `serve` and `worker` run one over the managers they build, so an event emitted by
/// any process — a short-lived `asyncdash emit`, a crashed worker — is delivered later.
///
/// ```swift
/// let dispatcher = OutboxDispatcher(managers: [manager], owner: "worker-1")
/// let loops = Task { await dispatcher.run() }     // until cancelled
/// …
/// _ = try await dispatcher.deliverDue()           // or one pass, for tests and tools
/// ```
public struct OutboxDispatcher: Sendable {
    /// One durable observer of one manager.
    public struct Consumer: Sendable {
        public var consumer: String
        public var registration: ObserverRegistration
        public var outbox: any OutboxStore
        public var clock: any AsyncDashClock
        public var logger: Logger
        public var diagnostics: ManagerDiagnostics
        /// Signalled when this process appends to the outbox for the manager.
        public var wakeup: Wakeup
    }

    public let consumers: [Consumer]
    /// Who holds the leases (unique per process).
    public let owner: String
    /// How long a claim lasts: past it, another process may deliver the entries again (delivery is at least once).
    public let leaseTTL: Duration
    /// How often each loop looks at the outbox when nothing woke it (other processes' events).
    /// (Delivered and dead entries are pruned by the scheduled clean-up: `RETENTION.outbox_delivered`
    /// and `RETENTION.outbox_dead`.)
    public let pollInterval: Duration

    /// - Parameters:
    ///   - managers: The managers whose durable observers this process delivers for.
    ///   - owner: A name unique to this process (default: host, pid and a random suffix).
    public init(
        managers: [AsyncManager], owner: String = OutboxDispatcher.processOwner(), leaseTTL: Duration = .seconds(60),
        pollInterval: Duration = .seconds(1)
    ) {
        var consumers: [Consumer] = []
        for manager in managers {
            for registration in manager.context.observers.registrations where registration.delivery.isDurable {
                consumers.append(Consumer(
                    consumer: registration.consumer(manager: manager.name), registration: registration, outbox: manager.stores.outbox,
                    clock: manager.context.clock, logger: manager.logger, diagnostics: manager.diagnostics, wakeup: manager.outboxWakeup))
            }
        }
        self.consumers = consumers
        self.owner = owner
        self.leaseTTL = leaseTTL
        self.pollInterval = pollInterval
    }

    /// `host:pid:random`.
    public static func processOwner() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    /// Runs every consumer's loop until the task is cancelled.
    public func run() async {
        guard !consumers.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask {
                    while !Task.isCancelled {
                        let delivered: Int
                        do {
                            delivered = try await deliver(consumer)
                        } catch {
                            consumer.logger.error("outbox delivery failed; retrying", metadata: ["consumer": "\(consumer.consumer)", "error": "\(error)"])
                            delivered = 0
                        }
                        // Woken by this process's own emissions, else after the poll interval (other processes').
                        if delivered == 0 { await consumer.wakeup.wait(timeout: pollInterval) }
                    }
                }
            }
        }
    }

    /// One pass over every consumer: delivers what is due; returns how many were delivered.
    @discardableResult
    public func deliverDue() async throws -> Int {
        var total = 0
        for consumer in consumers { total += try await deliver(consumer) }
        return total
    }

    /// When to try an event again after the `attempt`-th failed delivery, or `nil` to give up:
    /// when the observer said so (``DeliveryFailure/giveUp(_:)``) or the attempts are used up.
    /// The wait is the registration's backoff with jitter (between half of it and all of it, so
    /// that processes that failed together do not retry together), and never shorter than what
    /// the observer asked for (``DeliveryFailure/retry(_:notBefore:)``, e.g. `Retry-After`).
    /// Past the delivery's ``ObserverDelivery/maxAge`` after `queuedAt`, there is no next try either.
    static func retryTime(after failure: ObserverChain.Failure, attempt: Int, delivery: ObserverDelivery, queuedAt: Date, now: Date) -> Date? {
        var notBefore: Duration?
        switch failure.deliveryFailure?.next {
        case .giveUp?: return nil
        case .retry(let asked)?: notBefore = asked
        case nil: break
        }
        guard attempt < delivery.maxAttempts ?? 1 else { return nil }
        let backoff = delivery.retryDelay(afterAttempt: attempt).timeInterval
        var wait = backoff / 2 + Double.random(in: 0...(backoff / 2))
        if let notBefore { wait = max(wait, min(notBefore.timeInterval, ObserverDelivery.longestRetryWait.timeInterval)) }
        let next = now.addingTimeInterval(wait)
        if let maxAge = delivery.maxAge, next > queuedAt.addingTimeInterval(maxAge.timeInterval) { return nil }
        return next
    }

    /// How many entries one claim takes for a delivery of `concurrency` tasks at a time.
    static func batchSize(concurrency: Int) -> Int {
        min(max(32, 16 * concurrency), 256)
    }

    /// Claims `consumer`'s due entries and delivers them: each order key's (task's) entries one
    /// after another, up to the observer's ``ObserverDelivery/concurrency`` keys at once. A failure
    /// to be retried stops its key only (its later entries are released, to wait behind it); a
    /// dead one lets its key go on. The delivered ones are marked in one store call per claim.
    /// Returns how many were delivered.
    func deliver(_ consumer: Consumer) async throws -> Int {
        let concurrency = consumer.registration.delivery.concurrency
        let batch = try await consumer.outbox.claim(
            consumer: consumer.consumer, owner: owner, limit: Self.batchSize(concurrency: concurrency), leaseTTL: leaseTTL)
        guard !batch.isEmpty else { return 0 }
        var lanes: [[OutboxEntry]] = []
        var laneOfKey: [String: Int] = [:]
        for entry in batch {
            if let lane = laneOfKey[entry.message.orderKey] {
                lanes[lane].append(entry)
            } else {
                laneOfKey[entry.message.orderKey] = lanes.count
                lanes.append([entry])
            }
        }
        var delivered: [Int64] = []
        var failure: (any Error)?
        await withTaskGroup(of: LaneOutcome.self) { group in
            var next = 0
            while next < lanes.count, next < concurrency {
                let lane = lanes[next]
                group.addTask { await deliverLane(lane, consumer) }
                next += 1
            }
            for await outcome in group {
                delivered += outcome.delivered
                if failure == nil, let error = outcome.error { failure = error }
                if next < lanes.count {
                    let lane = lanes[next]
                    group.addTask { await deliverLane(lane, consumer) }
                    next += 1
                }
            }
        }
        // Marked even when a lane's bookkeeping failed: what was delivered is not sent again.
        try await consumer.outbox.markDelivered(delivered, owner: owner)
        if let failure { throw failure }
        return delivered.count
    }

    /// What one order key's run of a claim came to: the ids delivered, and a store error that
    /// stopped it (its undelivered entries then wait for their lease to expire).
    struct LaneOutcome: Sendable {
        var delivered: [Int64] = []
        var error: (any Error)?
    }

    /// Delivers one order key's claimed entries in order.
    func deliverLane(_ lane: [OutboxEntry], _ consumer: Consumer) async -> LaneOutcome {
        var outcome = LaneOutcome()
        do {
            for (index, entry) in lane.enumerated() {
                guard let event = LifecycleEvent(json: entry.message.event) else {
                    try await consumer.outbox.markFailed(entry.id, owner: owner, error: "the stored event is not a lifecycle event", retryAt: nil)
                    await consumer.diagnostics.recordOutboxDead(consumer: consumer.consumer)
                    continue
                }
                let attempt = entry.attempts + 1
                let delivery = OutboxDelivery(
                    eventID: entry.message.eventID ?? "outbox-\(entry.id)", attempt: attempt, queuedAt: entry.message.createdAt,
                    consumer: consumer.consumer)
                guard let failure = await ObserverChain.deliver(
                    consumer.registration, event, delivery: delivery, logger: consumer.logger, diagnostics: consumer.diagnostics)
                else {
                    outcome.delivered.append(entry.id)
                    continue
                }
                let now = consumer.clock.now()
                let retryAt = Self.retryTime(
                    after: failure, attempt: attempt, delivery: consumer.registration.delivery, queuedAt: entry.message.createdAt, now: now)
                try await consumer.outbox.markFailed(entry.id, owner: owner, error: "\(failure.deliveryFailure?.reason ?? failure.description)", retryAt: retryAt)
                guard retryAt == nil else {
                    // Its key's later entries wait behind it (ordered delivery); other keys go on.
                    try await consumer.outbox.release(lane[(index + 1)...].map(\.id), owner: owner)
                    return outcome
                }
                await consumer.diagnostics.recordOutboxDead(consumer: consumer.consumer)
                consumer.logger.error(
                    "durable observer gave up on an event; it stays in the outbox as dead",
                    metadata: [
                        "consumer": "\(consumer.consumer)", "task": "\(event.taskName)", "event": "\(event.kind)", "attempts": "\(attempt)",
                        "age_s": "\(Int(now.timeIntervalSince(entry.message.createdAt)))",
                    ])
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }
}
