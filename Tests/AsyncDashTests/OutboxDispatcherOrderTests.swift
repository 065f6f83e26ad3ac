import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Synchronization
import Testing

/// Records what it is given, how many deliveries overlap at most, and refuses every event of
/// the tasks in `refusing` (to be retried).
final class LaneObserver: LifecycleObserver {
    struct State {
        var seen: [String] = []
        var inFlight = 0
        var mostInFlight = 0
    }

    let refusing: Set<String>
    let delay: Duration
    private let state = Mutex(State())

    init(refusing: Set<String> = [], delay: Duration = .zero) {
        self.refusing = refusing
        self.delay = delay
    }

    struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }

    func observe(_ event: LifecycleEvent) async throws {
        state.withLock { state in
            state.inFlight += 1
            state.mostInFlight = max(state.mostInFlight, state.inFlight)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if delay > .zero { try await Task.sleep(for: delay) }
        if refusing.contains(event.taskName) { throw Refused() }
        state.withLock { $0.seen.append("\(event.taskName):\(event.kind)") }
    }

    var seen: [String] { state.withLock { $0.seen } }
    var mostInFlight: Int { state.withLock { $0.mostInFlight } }
}

/// Durable delivery is in order per task, several tasks at a time, and a task whose event is
/// waiting for a retry holds up only its own later events (issue 10).
@Suite("Outbox delivery per task")
struct OutboxDispatcherOrderTests {
    func manager(_ backend: Backend, _ observer: LaneObserver, concurrency: Int) async throws -> SampleAsyncManager {
        try await makeSampleManager(backend, observers: [
            .init(name: "lanes", observer: observer, delivery: .durable(maxAttempts: 50, retryBase: .seconds(60), concurrency: concurrency))
        ])
    }

    @Test(arguments: Backend.allCases)
    func eachTasksEventsArriveInOrderWithAtMostConcurrencyTasksAtOnce(_ backend: Backend) async throws {
        let observer = LaneObserver(delay: .milliseconds(20))
        let manager = try await manager(backend, observer, concurrency: 3)
        let tasks = (0..<8).map { "t\($0)" }
        for kind in [LifecycleEventKind.create, .progress, .complete] {
            for task in tasks { await manager.emit(LifecycleEvent(kind, task: task)) }
        }
        let dispatcher = OutboxDispatcher(managers: [manager])
        var delivered = 0
        for _ in 0..<10 where delivered < 24 { delivered += try await dispatcher.deliverDue() }
        #expect(delivered == 24)
        for task in tasks {
            #expect(observer.seen.filter { $0.hasPrefix("\(task):") } == ["create", "progress", "complete"].map { "\(task):\($0)" })
        }
        #expect(observer.mostInFlight <= 3, "never more tasks at once than the observer's concurrency")
        #expect(observer.mostInFlight > 1, "tasks were delivered side by side")
        #expect(try await manager.stores.outbox.entries(consumer: nil, states: [.pending, .dead], limit: 100).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aTaskWaitingForARetryHoldsUpOnlyItsOwnLaterEvents(_ backend: Backend) async throws {
        let observer = LaneObserver(refusing: ["stuck"])
        let manager = try await manager(backend, observer, concurrency: 4)
        for (kind, task) in [(LifecycleEventKind.create, "stuck"), (.create, "free"), (.complete, "stuck"), (.complete, "free")] {
            await manager.emit(LifecycleEvent(kind, task: task))
        }
        let dispatcher = OutboxDispatcher(managers: [manager])
        #expect(try await dispatcher.deliverDue() == 2)
        #expect(observer.seen == ["free:create", "free:complete"])
        let pending = try await manager.stores.outbox.entries(consumer: nil, states: [.pending], limit: 10)
        #expect(pending.map(\.message.orderKey) == ["stuck", "stuck"])
        #expect(pending.map(\.attempts) == [1, 0], "the head was tried once; its task's next event was not tried ahead of it")
        await manager.emit(LifecycleEvent(.create, task: "later"))
        #expect(try await dispatcher.deliverDue() == 1, "a new task goes while stuck's head waits for its retry")
        #expect(observer.seen.last == "later:create")
    }

    @Test func concurrencyIsReadFromConfigAndRangeChecked() throws {
        var registry = Registry.standard
        registry.registerSample()
        func resolve(_ concurrency: String) throws(ConfigError) -> ResolvedConfig {
            try ConfigResolver.parse(
                """
                STORE: memory://
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    observers:
                      - {type: asyncdash.observers.jsonl, path: /tmp/x.jsonl, durable: true, concurrency: \(concurrency)}
                """, file: "config.yaml", registry: registry, environment: [:])
        }
        let resolved = try resolve("8")
        let delivery = try #require(resolved.defaultManager.observers.first?.delivery)
        #expect(delivery.concurrency == 8)
        #expect(delivery.description.hasSuffix("8 tasks at a time)"), "\(delivery)")
        for bad in ["0", "65", "two"] {
            do {
                _ = try resolve(bad)
                Issue.record("concurrency \(bad) was accepted")
            } catch {
                let lines = error.diagnostics.map(\.description)
                #expect(lines.contains { $0.hasPrefix("config.yaml:6:") && $0.contains("concurrency must be a whole number from 1 to 64, got") }, "\(lines)")
            }
        }
    }
}
