import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Synchronization
import Testing

/// An observer that sleeps `delay` per event (honouring cancellation) and counts what it finished.
final class SlowObserver: LifecycleObserver {
    let delay: Duration
    private let seen = Mutex<[String]>([])
    init(_ delay: Duration) { self.delay = delay }
    func observe(_ event: LifecycleEvent) async throws {
        try await Task.sleep(for: delay)
        seen.withLock { $0.append("\(event.taskName):\(event.kind)") }
    }
    var events: [String] { seen.withLock { $0 } }
}

/// Fails its first `failures` events, then records.
final class FlakyObserver: LifecycleObserver {
    private let state: Mutex<(left: Int, seen: [String])>
    init(failures: Int) { state = Mutex((failures, [])) }
    struct Flake: Error, CustomStringConvertible { var description: String { "flaky" } }
    func observe(_ event: LifecycleEvent) async throws {
        try state.withLock { state in
            if state.left > 0 {
                state.left -= 1
                throw Flake()
            }
            state.seen.append("\(event.taskName):\(event.kind)")
        }
    }
    var events: [String] { state.withLock { $0.seen } }
}

@Suite("Observers off the lifecycle path")
struct ObserverChainTests {
    @Test(arguments: Backend.allCases)
    func throwingAndHangingObserversNeitherDelayEmitNorStopOthers(_ backend: Backend) async throws {
        let before = RecordingObserver()
        let after = RecordingObserver()
        let manager = try await makeSampleManager(backend, observers: [
            .init(name: "before", observer: before),
            .init(name: "failing", observer: FailingObserver()),
            .init(name: "hanging", observer: HangingObserver(), timeout: .milliseconds(100)),
            .init(name: "after", observer: after),
        ])
        let outcome = await manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        #expect(outcome.succeeded)
        #expect(try await manager.requireRecord("t1")["status"] == .text("failed"))
        #expect(await manager.flushObservers(timeout: .seconds(2)) == false, "the hung observer never becomes idle")
        #expect(before.events.count == 1)
        #expect(after.events.count == 1)
        let counts = await manager.diagnostics.snapshot
        #expect(counts.observerFailures == ["failing": 1, "hanging": 1])
        #expect(counts.observerTimeouts == ["hanging": 1])
    }

    @Test
    func observersReceiveOnlyTheKindsTheyAskForInOrder() async throws {
        let failures = RecordingObserver()
        let everything = RecordingObserver()
        let manager = try AsyncManager(context: ManagerContext(name: "m", stores: .memory(), observers: ObserverChain([
            .init(name: "failures", observer: failures, kinds: [.fail]),
            .init(name: "everything", observer: everything),
        ])))
        for kind in LifecycleEventKind.allCases {
            await manager.emit(LifecycleEvent(kind, task: "t1"))
        }
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(failures.events.map(\.kind) == [.fail])
        #expect(everything.events.map(\.kind) == LifecycleEventKind.allCases)
    }

    @Test
    func aSlowObserverDoesNotDelayEmitAndAFullBufferShedsTheOldestCounted() async throws {
        let slow = SlowObserver(.seconds(10))
        let recorder = RecordingObserver()
        let manager = try AsyncManager(context: ManagerContext(name: "m", stores: .memory(), observers: ObserverChain([
            .init(name: "slow", observer: slow, timeout: .milliseconds(50), delivery: .bestEffort(buffer: 4)),
            .init(name: "recorder", observer: recorder),
        ])))
        let started = ContinuousClock.now
        for index in 0..<20 { await manager.emit(LifecycleEvent(.progress, task: "t\(index)")) }
        let elapsed = ContinuousClock.now - started
        // Not a speed check: waiting for the observer would take 20 × 10 s.
        #expect(elapsed < .seconds(100), "20 emits with a 10 s observer took \(elapsed)")
        // The slow observer drains its buffer of 4 plus the event in hand, 10 s each (it does not
        // stop on cancellation): about 50 s, so the budget is the 120 s other observer waits get.
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.events.count == 20, "the other observer got every event")
        let counts = await manager.diagnostics.snapshot
        // Every event was either handed to the slow observer (and cut off at its time-out) or
        // shed from its full buffer of 4, counted.
        let shed = counts.observerShed["slow"] ?? 0
        #expect(shed + (counts.observerTimeouts["slow"] ?? 0) == 20, "\(counts)")
        #expect(shed >= 1, "\(counts)")
    }

    @Test
    func shedEventsAreEachLoggedAtDebugAndWarnedAboutAtMostOnceASecond() async throws {
        let lines = CapturedLines()
        let hung = SlowObserver(.seconds(3_600))
        let manager = try AsyncManager(context: ManagerContext(name: "m", stores: .memory(), observers: ObserverChain([
            .init(name: "hung", observer: hung, timeout: .seconds(60), delivery: .bestEffort(buffer: 2)),
        ]), logger: lines.logger()))
        await manager.emit(LifecycleEvent(.progress, task: "a0"))
        try await Task.sleep(for: .milliseconds(200))  // its delivery starts and hangs
        for index in 1..<30 { await manager.emit(LifecycleEvent(.progress, task: "a\(index)")) }
        let warnings = { lines.all.filter { $0.hasPrefix("warning observer buffer full") } }
        let sheds = { lines.all.filter { $0.hasPrefix("debug observer buffer full: event shed") } }
        // One event is being delivered (hung), two wait in the buffer: the other 27 were shed.
        #expect(sheds().count == 27, "\(lines.all)")
        #expect(await manager.diagnostics.snapshot.observerShed["hung"] == 27)
        #expect(warnings().count == 1, "\(warnings())")
        #expect(warnings().first?.contains("shed_so_far=1") == true, "\(warnings())")
        try await Task.sleep(for: .milliseconds(1_100))
        for index in 0..<5 { await manager.emit(LifecycleEvent(.progress, task: "b\(index)")) }
        #expect(sheds().count == 32)
        #expect(warnings().count == 2, "a second warning after a second: \(warnings())")
        #expect(warnings().last?.contains("shed_so_far=28") == true, "\(warnings())")
    }

    @Test(arguments: Backend.allCases)
    func aDurableObserverGetsEveryEventThroughTheOutboxRetriedAfterFailures(_ backend: Backend) async throws {
        let flaky = FlakyObserver(failures: 2)
        let manager = try await makeSampleManager(backend, observers: [
            .init(name: "flaky", observer: flaky, delivery: .durable(maxAttempts: 5, retryBase: .milliseconds(1))),
        ])
        for kind in [LifecycleEventKind.create, .progress, .complete, .cleanup] {
            #expect(await manager.emit(LifecycleEvent(kind, task: "t1")).succeeded)
        }
        let pending = try await manager.stores.outbox.entries(consumer: nil, states: [.pending], limit: 10)
        #expect(pending.map(\.message.consumer) == Array(repeating: "sample.async_manager.SampleAsyncManager/flaky", count: 4))
        let dispatcher = OutboxDispatcher(managers: [manager])
        for _ in 0..<20 where flaky.events.count < 4 {
            try await dispatcher.deliverDue()
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(flaky.events == ["t1:create", "t1:progress", "t1:complete", "t1:cleanup"], "in order, after two failures of the first")
        let delivered = try await manager.stores.outbox.entries(consumer: nil, states: [.delivered], limit: 10)
        #expect(delivered.map(\.attempts) == [3, 1, 1, 1])
    }

    @Test(arguments: Backend.allCases)
    func aDurableEventThatKeepsFailingIsKeptAsDeadAndCanBeRetried(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend, observers: [
            .init(name: "failing", observer: FailingObserver(), delivery: .durable(maxAttempts: 2, retryBase: .milliseconds(1))),
        ])
        await manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        let dispatcher = OutboxDispatcher(managers: [manager])
        for _ in 0..<20 {
            try await dispatcher.deliverDue()
            try await Task.sleep(for: .milliseconds(5))
        }
        let dead = try await manager.stores.outbox.entries(consumer: nil, states: [.dead], limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 2)
        #expect(dead.first?.lastError?.contains("FailingObserver always fails") == true)
        #expect(await manager.diagnostics.snapshot.outboxDead == ["sample.async_manager.SampleAsyncManager/failing": 1])
        let id = try #require(dead.first?.id)
        #expect(try await manager.stores.outbox.retryDead(id))
        #expect(try await manager.stores.outbox.entries(consumer: nil, states: [.pending], limit: 10).map(\.id) == [id])
    }

    @Test(arguments: Backend.allCases)
    func runningTheDispatcherDeliversWhenWokenAndStopsWhenCancelled(_ backend: Backend) async throws {
        let recorder = RecordingObserver()
        let manager = try await makeSampleManager(backend, observers: [.init(name: "r", observer: recorder, delivery: .durable())])
        await manager.emit(LifecycleEvent(.create, task: "t1"))
        let dispatcher = OutboxDispatcher(managers: [manager], pollInterval: .seconds(30))
        #expect(try await dispatcher.deliverDue() == 1)
        #expect(recorder.events.count == 1)
        let loops = Task { await dispatcher.run() }
        try await Task.sleep(for: .milliseconds(200))
        await manager.emit(LifecycleEvent(.complete, task: "t1"))   // wakes the loop: no 30 s poll to wait for
        #expect(await eventually { recorder.events.count == 2 })
        let stopping = ContinuousClock.now
        loops.cancel()
        await loops.value
        #expect(ContinuousClock.now - stopping < .seconds(20), "cancelling stops the loops without waiting out the 30 s poll")
        let left = try await manager.stores.outbox.entries(consumer: nil, states: [], limit: 10)
        #expect(left.map(\.state) == [.delivered, .delivered], "delivered entries stay as history: \(left)")
    }

    @Test(arguments: Backend.allCases)
    func retentionPrunesDeliveredEventsAfterAWeekAndDeadOnesAfterAMonth(_ backend: Backend) async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let manager = try await makeSampleManager(backend, clock: clock, observers: [
            .init(name: "r", observer: recorder, delivery: .durable()),
            .init(name: "failing", observer: FailingObserver(), delivery: .durable(maxAttempts: 1)),
        ])
        await manager.emit(LifecycleEvent(.create, task: "t1", timestamp: clock.now()))
        try await OutboxDispatcher(managers: [manager]).deliverDue()
        let states = { try await manager.stores.outbox.entries(consumer: nil, states: [], limit: 10).map(\.state).sorted { $0.rawValue < $1.rawValue } }
        #expect(try await states() == [.dead, .delivered])
        clock.advance(by: .seconds(6 * 86_400))
        #expect(await manager.applyRetention(clock: clock).deleted["outbox_delivered"] == 0)
        clock.advance(by: .seconds(2 * 86_400))
        let week = await manager.applyRetention(clock: clock)
        #expect(week.deleted["outbox_delivered"] == 1, "\(week.humanReadable)")
        #expect(try await states() == [.dead], "the dead event is kept for an operator")
        clock.advance(by: .seconds(23 * 86_400))
        #expect(await manager.applyRetention(clock: clock).deleted["outbox_dead"] == 1)
        #expect(try await states() == [])
    }

    @Test(arguments: Backend.allCases)
    func anEventIsGivenUpWhenItsNextTryWouldComePastItsMaxAge(_ backend: Backend) async throws {
        let clock = ManualClock()
        let delivery = ObserverDelivery.durable(maxAttempts: 100, retryBase: .seconds(60), maxAge: .seconds(3_600))
        #expect(delivery.description == "durable (outbox, 100 attempts within 1 hour, 4 tasks at a time)")
        let manager = try await makeSampleManager(backend, clock: clock, observers: [.init(name: "failing", observer: FailingObserver(), delivery: delivery)])
        await manager.emit(LifecycleEvent(.fail, task: "t1", timestamp: clock.now()))
        let dispatcher = OutboxDispatcher(managers: [manager])
        try await dispatcher.deliverDue()
        let first = try await manager.stores.outbox.entries(consumer: nil, states: [.pending], limit: 10)
        #expect(first.map(\.attempts) == [1], "retried: the next try is 30 to 60 s on")
        clock.advance(by: .seconds(3_590))
        try await dispatcher.deliverDue()
        let dead = try await manager.stores.outbox.entries(consumer: nil, states: [.dead], limit: 10)
        #expect(dead.map(\.attempts) == [2], "the try after 2 would come 60 to 120 s on, past the hour: given up after 2 of 100 attempts")
    }

    @Test
    func aStoreThatCannotWriteTheOutboxWithTheRecordFailsLoudlyAndTheEventIsKept() async throws {
        // A record store without outbox support (a wrapper): the event is still appended on its
        // own, never dropped.
        var stores = StoreSet.memory()
        stores.records = MemoryRecordStore()
        let manager = try SampleAsyncManager(context: ManagerContext(
            name: SampleAsyncManager.registeredName, stores: stores,
            observers: ObserverChain([.init(name: "d", observer: RecordingObserver(), delivery: .durable())]), registry: testRegistry()))
        try await stores.records.prepare(manager.recordModel)
        let outcome = await manager.emit(LifecycleEvent(.create, task: "t1"))
        #expect(outcome.hookError != nil, "the record write with outbox messages was refused")
        #expect(try await stores.outbox.entries(consumer: nil, states: [], limit: 10).count == 1, "the event still reached the outbox")
        #expect(try await stores.coordination.deadLetters().count == 1, "and the failed hook is a dead letter")
    }
}
