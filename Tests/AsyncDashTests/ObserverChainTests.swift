import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("Observer chain isolation")
struct ObserverChainTests {
    @Test(arguments: Backend.allCases)
    func throwingAndHangingObserversDoNotStopTheChainOrTheWrite(_ backend: Backend) async throws {
        let before = RecordingObserver()
        let after = RecordingObserver()
        let manager = try await makeSampleManager(backend, observers: [
            .init(name: "before", observer: before),
            .init(name: "failing", observer: FailingObserver()),
            .init(name: "hanging", observer: HangingObserver(), timeout: .milliseconds(100)),
            .init(name: "after", observer: after),
        ])
        let started = ContinuousClock.now
        let outcome = await manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(30))  // generous: only proves the hang was cut off
        #expect(outcome.hookError == nil)
        #expect(outcome.observerFailures.map(\.observer) == ["failing", "hanging"])
        #expect(before.events.count == 1)
        #expect(after.events.count == 1)
        #expect(try await manager.requireRecord("t1")["status"] == .text("failed"))
        let counts = await manager.diagnostics.snapshot
        #expect(counts.observerFailures == ["failing": 1, "hanging": 1])
        #expect(counts.observerTimeouts == ["hanging": 1])
    }

    @Test
    func observersReceiveOnlyTheKindsTheyAskFor() async throws {
        let failures = RecordingObserver()
        let everything = RecordingObserver()
        let manager = try AsyncManager(context: ManagerContext(name: "m", stores: .memory(), observers: ObserverChain([
            .init(name: "failures", observer: failures, kinds: [.fail]),
            .init(name: "everything", observer: everything),
        ])))
        for kind in LifecycleEventKind.allCases {
            await manager.emit(LifecycleEvent(kind, task: "t1"))
        }
        #expect(failures.events.map(\.kind) == [.fail])
        #expect(everything.events.map(\.kind) == LifecycleEventKind.allCases)
    }

    @Test
    func observersRunInOrder() async throws {
        final class Order: LifecycleObserver, @unchecked Sendable {
            let log: RecordingObserver
            let tag: String
            init(_ log: RecordingObserver, _ tag: String) { self.log = log; self.tag = tag }
            func observe(_ event: LifecycleEvent) async throws {
                var tagged = event
                tagged.message = tag
                try await log.observe(tagged)
            }
        }
        let log = RecordingObserver()
        let chain = ObserverChain((1...5).map { .init(name: "o\($0)", observer: Order(log, "o\($0)")) })
        let manager = try AsyncManager(context: ManagerContext(name: "m", stores: .memory(), observers: chain))
        await manager.emit(LifecycleEvent(.create, task: "t"))
        #expect(log.events.map(\.message) == ["o1", "o2", "o3", "o4", "o5"])
    }
}
