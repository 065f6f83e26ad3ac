import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Sample
import Synchronization
import Testing

/// Sleeps `delay` per event and ignores cancellation (the worst kind of slow observer).
final class StubbornObserver: LifecycleObserver {
    let delay: Duration
    private let finished = Mutex(0)
    init(_ delay: Duration) { self.delay = delay }
    func observe(_ event: LifecycleEvent) async throws {
        let end = ContinuousClock.now.advanced(by: delay)
        while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
        finished.withLock { $0 += 1 }
    }
    var count: Int { finished.withLock { $0 } }
}

/// DESIGN §9 with a real worker on a SQLite file: an observer that sleeps 10 s per event
/// (ignoring cancellation) and one that never returns leave the worker's jobs, heartbeats and
/// leases alone — with a 2 s lease, every job runs exactly once and none is reclaimed.
@Suite("A worker with slow and hung observers")
struct SlowObserverWorkerTests {
    @Test func jobsRunOnceNoLeaseExpiresAndTheObserversCostBoundedResources() async throws {
        let store = try await SQLiteStore.open(path: durableTestPath())
        let stores = StoreSet.sqlite(store)
        let recorder = RecordingObserver()
        var settings = AsyncSettings()
        settings.leaseTTL = .seconds(2)
        let manager = try SampleAsyncManager(context: ManagerContext(
            name: SampleAsyncManager.registeredName, settings: settings, stores: stores,
            observers: ObserverChain([
                .init(name: "slow", observer: StubbornObserver(.seconds(10)), timeout: .milliseconds(200), delivery: .bestEffort(buffer: 16)),
                .init(name: "hung", observer: HangingObserver(), timeout: .milliseconds(200), delivery: .bestEffort(buffer: 16)),
                .init(name: "recorder", observer: recorder),
            ]),
            registry: testRegistry()))
        try await store.prepare(manager.recordModel)
        let queue = SQLiteTaskQueue(store: store, runner: manager)
        var names: [String] = []
        for index in 1...30 {
            let launch = try await manager.launchAsyncTask(
                "sample.tasks.update_items", args: ["count": 5, "delay_ms": 20], locking: [ObjectRef(model: "book", id: "\(index)")], queue: queue)
            names.append(launch.taskName)
        }
        let worker = QueueWorker(queue: queue, manager: manager, workerID: "w1", concurrency: 4,
                                 timing: QueueWorkerTiming(leaseTTL: .seconds(2), pollInterval: .milliseconds(10)))
        await worker.start()
        let done = try await eventually(timeout: .seconds(120)) {
            try await queue.entries().allSatisfy { $0.state == "done" }
        }
        #expect(done)
        await worker.stop()
        for name in names {
            let record = try await manager.requireRecord(name)
            #expect(record["status"] == .text("success"), "\(name): \(record)")
            #expect(record["attempts"] == .integer(1), "each job ran once: \(record)")
        }
        // No lease expired: nothing was reclaimed or recovered, every job finished under w1.
        let entries = try await queue.entries()
        #expect(entries.count == 30)
        #expect(entries.allSatisfy { $0.job.recovered == 0 && $0.outcome == "succeeded" && $0.leaseOwner == "w1" }, "\(entries)")
        // Bounded: each stuck observer holds at most 16 events in its buffer and one in delivery
        // (not yet timed out); every other of the 30 × 8 events was handed to it (and timed out)
        // or shed, and counted.
        let counts = await manager.diagnostics.snapshot
        for name in ["hung", "slow"] {
            let accounted = (counts.observerShed[name] ?? 0) + (counts.observerTimeouts[name] ?? 0)
            #expect((30 * 8 - 17)...(30 * 8) ~= accounted, "\(name): \(counts)")
        }
        #expect((counts.observerTimeouts["hung"] ?? 0) == 1, "the hung observer took one event and never returned: \(counts)")
        #expect(await eventually(timeout: .seconds(30)) { recorder.events.count == 30 * 8 }, "the healthy observer got every event")
        #expect(await manager.flushObservers(timeout: .seconds(1)) == false, "the hung observer never finishes")
    }
}
