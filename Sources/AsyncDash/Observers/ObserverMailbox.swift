import Foundation
import Logging
import Synchronization

/// The delivery of one best-effort observer: a bounded buffer and at most one delivery task,
/// which hands the events to the observer in order and ends when the buffer is empty.
final class ObserverMailbox: Sendable {
    private struct State {
        var buffer = FIFO<LifecycleEvent>()
        var delivering = false
        var waiters: [UUID: CheckedContinuation<Bool, Never>] = [:]
        var shedTotal = 0
        var lastWarning = ContinuousClock.Instant.now.advanced(by: .seconds(-3600))
    }

    /// An event shed to make room: how many so far, and whether it is time for a warning.
    struct Shed {
        var event: LifecycleEvent
        var total: Int
        var warn: Bool
    }

    let registration: ObserverRegistration
    private let capacity: Int
    private let state = Mutex(State())

    init(_ registration: ObserverRegistration) {
        self.registration = registration
        self.capacity = registration.delivery.buffer ?? ObserverDelivery.defaultBuffer
    }

    /// Queues `event`; returns the event shed to make room, if the buffer was full. Never waits.
    func push(_ event: LifecycleEvent, logger: Logger, diagnostics: ManagerDiagnostics) -> Shed? {
        let (shed, start) = state.withLock { state -> (Shed?, Bool) in
            var shed: Shed?
            if state.buffer.count >= capacity {
                state.shedTotal += 1
                let now = ContinuousClock.now
                let warn = now - state.lastWarning >= .seconds(1)
                if warn { state.lastWarning = now }
                if let oldest = state.buffer.popFirst() { shed = Shed(event: oldest, total: state.shedTotal, warn: warn) }
            }
            state.buffer.append(event)
            guard !state.delivering else { return (shed, false) }
            state.delivering = true
            return (shed, true)
        }
        if start {
            Task { await self.deliverAll(logger: logger, diagnostics: diagnostics) }
        }
        return shed
    }

    private func deliverAll(logger: Logger, diagnostics: ManagerDiagnostics) async {
        while true {
            let next = state.withLock { state -> LifecycleEvent? in
                guard !state.buffer.isEmpty else {
                    state.delivering = false
                    return nil
                }
                return state.buffer.popFirst()
            }
            guard let next else { break }
            _ = await ObserverChain.deliver(registration, next, logger: logger, diagnostics: diagnostics)
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard !state.delivering && state.buffer.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Suspends until the buffer is empty and nothing is being delivered, or `timeout` passed.
    func waitIdle(timeout: Duration) async -> Bool {
        let id = UUID()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let idle = state.withLock { state -> Bool in
                if !state.delivering && state.buffer.isEmpty { return true }
                state.waiters[id] = continuation
                return false
            }
            if idle {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume(returning: false)
            }
        }
    }
}

/// A first-in first-out queue whose append and removal of the first element take constant time
/// on average (an array's `removeFirst` moves every element: a full buffer of 100,000 events
/// would cost 100,000 moves per event).
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ element: Element) {
        items.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let first = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return first
    }
}
