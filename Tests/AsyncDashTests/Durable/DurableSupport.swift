import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Sample
import Synchronization
import Testing

/// A new SQLite file path in this run's temp directory.
func durableTestPath() -> String {
    TestFiles.runDirectory.appendingPathComponent(UUID().uuidString).appendingPathComponent("queue.sqlite").path
}

/// A runner that only notes which jobs it was asked to finish as cancelled (store-level tests).
final class NotingRunner: TaskJobRunner {
    private let noted = Mutex<[String]>([])
    var cancelledJobs: [String] { noted.withLock { $0 } }
    func runJob(_ job: TaskJob) async -> TaskJobOutcome { .succeeded(.null) }
    func finishCancelledJob(_ job: TaskJob) async { noted.withLock { $0.append(job.taskName) } }
}

/// One "process": a `SampleAsyncManager` on its own `SQLiteStore` of the file at `path`, with a
/// recorder, and the durable queue on that store.
struct DurableNode {
    var store: SQLiteStore
    var manager: SampleAsyncManager
    var recorder: RecordingObserver
    var queue: SQLiteTaskQueue

    init(path: String, clock: any AsyncDashClock = SystemClock(), settings: AsyncSettings = AsyncSettings()) async throws {
        var registry = testRegistry()
        for function in DurableTestTasks.all + TestTasks.all { registry.register(taskFunction: function) }
        store = try await SQLiteStore.open(path: path, clock: clock)
        recorder = RecordingObserver()
        let context = ManagerContext(
            name: SampleAsyncManager.registeredName, settings: settings, stores: .sqlite(store),
            observers: ObserverChain([.init(name: "recorder", observer: recorder)]), registry: registry
        )
        manager = try SampleAsyncManager(context: context)
        try await store.prepare(manager.recordModel)
        queue = SQLiteTaskQueue(store: store, runner: manager)
    }

    func worker(_ id: String, concurrency: Int = 4, clock: any AsyncDashClock = SystemClock(), leaseTTL: Duration = .seconds(30)) -> QueueWorker {
        QueueWorker(queue: queue, manager: manager, workerID: id, concurrency: concurrency,
                    timing: QueueWorkerTiming(leaseTTL: leaseTTL, pollInterval: .milliseconds(10)), clock: clock)
    }

    /// Launches `function` as `taskName` locking `objects`, lets worker `workerID` take it, and
    /// abandons that worker while the task runs (as a killed process: no more heartbeats). The
    /// job stays leased to the lost worker until its lease ends on `clock`.
    func loseAWorkerRunning(_ function: String, taskName: String, locking objects: [ObjectRef], workerID: String = "A", clock: ManualClock) async throws {
        try await manager.launchAsyncTask(function, taskName: taskName, locking: objects, queue: queue)
        let lost = worker(workerID, clock: clock)
        await lost.start()
        #expect(try await eventually { try await queue.entry(taskName)?.leaseOwner == workerID })
        await lost.abandon()
    }
}

/// Task functions of the durable-queue tests.
enum DurableTestTasks {
    /// Task names whose first run may end (see ``hangFirstRun``).
    static let released = Mutex<Set<String>>([])
    /// Lets the hanging first run of `task` end.
    static func release(_ task: String) { _ = released.withLock { $0.insert(task) } }
    /// How many runs each task name had.
    static let runs = Mutex<[String: Int]>([:])

    /// Attempt 1 hangs, ignoring cancellation, until its task is in ``released`` (a worker that
    /// stopped heartbeating: as good as killed); later attempts return at once. Up to 2 attempts.
    static let hangFirstRun = TaskFunction(
        name: "test.durable.hang_first_run", retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10), jitter: 0)
    ) { _, context in
        if context.attempt == 1 {
            while !released.withLock({ $0.contains(context.taskName) }) { try? await Task.sleep(for: .milliseconds(50)) }
            throw CancellationError()
        }
        return ["attempt": .int(context.attempt)]
    }

    /// Like ``hangFirstRun`` with a single attempt: a lost worker leaves nothing to retry.
    static let hangOnce = TaskFunction(name: "test.durable.hang_once") { _, context in
        while !released.withLock({ $0.contains(context.taskName) }) { try? await Task.sleep(for: .milliseconds(50)) }
        throw CancellationError()
    }

    /// The first run of a task sleeps up to 60 s (honouring cancellation); later runs return at once.
    static let slowFirstRun = TaskFunction(name: "test.durable.slow_first_run") { _, context in
        let run = runs.withLock { runs -> Int in
            runs[context.taskName, default: 0] += 1
            return runs[context.taskName]!
        }
        if run == 1 { try await Task.sleep(for: .seconds(60)) }
        return ["run": .int(run)]
    }

    static let all = [hangFirstRun, hangOnce, slowFirstRun]
}
