import Foundation

/// One delivery of an event from the outbox to a durable observer: which event it is (its id is
/// the same on every attempt and every replay, so a receiver can drop duplicates), which attempt,
/// and when the event was queued.
public struct OutboxDelivery: Sendable, Hashable {
    /// The event's id: shared by every consumer of one emitted event, kept across retries and
    /// replays (``OutboxMessage/eventID``; for an entry stored without one, `outbox-<entry id>`).
    public var eventID: String
    /// 1 for the first try, 2 for the first retry, and so on.
    public var attempt: Int
    /// When the event was appended to the outbox.
    public var queuedAt: Date
    /// The consumer it is delivered for: `"<manager>/<observer>"`.
    public var consumer: String

    public init(eventID: String, attempt: Int, queuedAt: Date, consumer: String) {
        self.eventID = eventID
        self.attempt = attempt
        self.queuedAt = queuedAt
        self.consumer = consumer
    }
}

/// An observer that only works durably (from the store's outbox) and wants to know which delivery
/// it handles — a webhook sends the event's id so that receivers de-duplicate retries.
///
/// Declaring one without `durable: true` is a config error naming the entry. It may throw a
/// ``DeliveryFailure`` to say whether to try again (and not before when) or to give up at once;
/// any other error is retried with the registration's backoff.
///
/// ```swift
/// struct PagerObserver: OutboxObserver {
///     func deliver(_ event: LifecycleEvent, _ delivery: OutboxDelivery) async throws {
///         try await page(event.taskName, dedupKey: delivery.eventID)
///     }
/// }
/// ```
public protocol OutboxObserver: LifecycleObserver {
    /// Delivers one event; returns when it was accepted.
    func deliver(_ event: LifecycleEvent, _ delivery: OutboxDelivery) async throws
}

extension OutboxObserver {
    /// Outside the outbox (a direct call, as in a test) the event is delivered as a first attempt
    /// with an id of its own.
    public func observe(_ event: LifecycleEvent) async throws {
        try await deliver(event, OutboxDelivery(eventID: UUID().uuidString.lowercased(), attempt: 1, queuedAt: event.timestamp, consumer: ""))
    }
}

/// What a durable observer throws to say how a delivery failed: try again (not before a given
/// time, such as an HTTP `Retry-After`), or give up now — the event is dead-lettered at once (an
/// HTTP 400: sending it again would not help). Other errors are retried with the registration's
/// backoff until its attempts run out.
public struct DeliveryFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Next: Sendable, Hashable {
        /// Try again after the backoff, and not sooner than `notBefore` after now when given.
        case retry(notBefore: Duration?)
        /// Do not try again: dead-letter the event.
        case giveUp
    }

    public var next: Next
    /// What went wrong, for the outbox's `last_error` and the log.
    public var reason: String

    public init(_ next: Next, reason: String) {
        self.next = next
        self.reason = reason
    }

    /// A failure worth another attempt, not sooner than `notBefore` when given.
    public static func retry(_ reason: String, notBefore: Duration? = nil) -> DeliveryFailure {
        DeliveryFailure(.retry(notBefore: notBefore), reason: reason)
    }

    /// A failure no retry would fix.
    public static func giveUp(_ reason: String) -> DeliveryFailure {
        DeliveryFailure(.giveUp, reason: reason)
    }

    public var description: String { reason }
}
