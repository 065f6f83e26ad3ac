import Foundation
import Logging

/// The observers of one manager, each with its own ordered delivery off the lifecycle path
/// (DESIGN §9): ``dispatch(_:manager:logger:diagnostics:)`` hands an event to every best-effort
/// observer's buffer without waiting for any of them, and returns the outbox messages of the
/// durable ones for the caller to write with the record.
///
/// ```swift
/// let chain = ObserverChain([.init(name: "log", observer: LogObserver(logger: logger))])
/// let context = ManagerContext(name: "app", stores: .memory(), observers: chain)
/// …
/// await manager.flushObservers()   // before reading what a best-effort observer saw
/// ```
public final class ObserverChain: Sendable {
    public let registrations: [ObserverRegistration]
    /// One mailbox per best-effort registration (by index).
    private let mailboxes: [Int: ObserverMailbox]

    public init(_ registrations: [ObserverRegistration] = []) {
        self.registrations = registrations
        var mailboxes: [Int: ObserverMailbox] = [:]
        for (index, registration) in registrations.enumerated() where !registration.delivery.isDurable {
            mailboxes[index] = ObserverMailbox(registration)
        }
        self.mailboxes = mailboxes
    }

    /// The same registrations plus `more`, with fresh deliveries.
    public func adding(_ more: [ObserverRegistration]) -> ObserverChain {
        ObserverChain(registrations + more)
    }

    /// Why an observer did not handle an event.
    public enum Failure: Sendable, CustomStringConvertible {
        case threw(observer: String, error: any Error)
        case timedOut(observer: String, after: Duration)

        public var observer: String {
            switch self {
            case .threw(let name, _), .timedOut(let name, _): name
            }
        }

        public var description: String {
            switch self {
            case .threw(let name, let error): "observer '\(name)' threw: \(error)"
            case .timedOut(let name, let after): "observer '\(name)' did not finish within \(after)"
            }
        }

        /// What the observer said should happen next (``DeliveryFailure``), if it said.
        public var deliveryFailure: DeliveryFailure? {
            if case .threw(_, let error) = self { return error as? DeliveryFailure }
            return nil
        }
    }

    /// The durable registrations that accept `event`, as outbox messages for `manager`.
    /// Every message carries one new event id, so a store applies a retried write once.
    public func outboxMessages(for event: LifecycleEvent, manager: String) -> [OutboxMessage] {
        let durable = registrations.filter { $0.delivery.isDurable && $0.accepts(event.kind) }
        guard !durable.isEmpty else { return [] }
        let eventID = UUID().uuidString.lowercased()
        return durable.map {
            OutboxMessage(consumer: $0.consumer(manager: manager), event: event.json, createdAt: event.timestamp, eventID: eventID)
        }
    }

    /// Hands `event` to each best-effort observer that accepts it; never waits for an observer.
    /// An event shed from a full buffer is counted and logged here.
    public func dispatch(_ event: LifecycleEvent, manager: String, logger: Logger, diagnostics: ManagerDiagnostics) async {
        for (index, registration) in registrations.enumerated() where registration.accepts(event.kind) {
            guard let mailbox = mailboxes[index] else { continue }
            guard let shed = mailbox.push(event, logger: logger, diagnostics: diagnostics) else { continue }
            // Every shed event is counted and logged at debug; a warning with the running count
            // goes out at most once a second per observer, so a flood of sheds stays cheap.
            logger.debug(
                "observer buffer full: event shed",
                metadata: ["observer": "\(registration.name)", "task": "\(shed.event.taskName)", "event": "\(shed.event.kind)"])
            if shed.warn {
                logger.warning(
                    "observer buffer full: the oldest undelivered events are being shed",
                    metadata: ["observer": "\(registration.name)", "manager": "\(manager)", "shed_so_far": "\(shed.total)",
                               "buffer": "\(registration.delivery.buffer ?? 0)", "last_task": "\(shed.event.taskName)"])
            }
            diagnostics.recordShed(observer: registration.name)
        }
    }

    /// Waits until every best-effort observer has handled what it was given, or `timeout` passed;
    /// returns whether all were idle in time. Short-lived processes call it before they exit.
    @discardableResult
    public func flush(timeout: Duration = .seconds(10)) async -> Bool {
        var idle = true
        for mailbox in mailboxes.values {
            if !(await mailbox.waitIdle(timeout: timeout)) { idle = false }
        }
        return idle
    }

    /// Delivers `event` to one observer within its timeout, logging and counting a failure.
    ///
    /// The observer runs in a child task: on time-out the failure is reported at once and the
    /// child is cancelled, but this returns only when the observer does — so a hung observer holds
    /// up its own delivery (whose buffer then sheds), never anyone else's, and costs one task.
    ///
    /// From the outbox (`delivery` given), an ``OutboxObserver`` is told which delivery it handles.
    static func deliver(
        _ registration: ObserverRegistration, _ event: LifecycleEvent, delivery: OutboxDelivery? = nil, logger: Logger,
        diagnostics: ManagerDiagnostics
    ) async -> Failure? {
        let failure = await withTaskGroup(of: Failure?.self, returning: Failure?.self) { group in
            group.addTask {
                do {
                    if let delivery, let observer = registration.observer as? any OutboxObserver {
                        try await observer.deliver(event, delivery)
                    } else {
                        try await registration.observer.observe(event)
                    }
                    return nil
                } catch {
                    return .threw(observer: registration.name, error: error)
                }
            }
            group.addTask {
                do { try await Task.sleep(for: registration.timeout) } catch { return nil }
                return .timedOut(observer: registration.name, after: registration.timeout)
            }
            let first = await group.next() ?? nil
            if let first {
                await report(first, registration, event, logger: logger, diagnostics: diagnostics)
            }
            group.cancelAll()
            return first
        }
        return failure
    }

    private static func report(
        _ failure: Failure, _ registration: ObserverRegistration, _ event: LifecycleEvent, logger: Logger, diagnostics: ManagerDiagnostics
    ) async {
        logger.error(
            "lifecycle observer failed",
            metadata: ["observer": "\(registration.name)", "task": "\(event.taskName)", "event": "\(event.kind)", "reason": "\(failure)"])
        await diagnostics.recordObserverFailure(failure)
    }
}
