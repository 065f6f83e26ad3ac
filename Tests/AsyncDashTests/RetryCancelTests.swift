import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("Retrying and cancelling queued tasks")
struct RetryCancelTests {
    @Test
    func backoffGrowsExponentiallyIsCappedAndJitterOnlyShortensIt() {
        let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(10), multiplier: 2, maxDelay: .milliseconds(50), jitter: 0.5)
        #expect((1...4).map { policy.baseDelay(afterAttempt: $0) } == [.milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(50)])
        for attempt in 1...4 {
            let base = policy.baseDelay(afterAttempt: attempt)
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay <= base && delay >= base / 2)
        }
        #expect(RetryPolicy.none.maxAttempts == 1)
    }

    @Test(arguments: Backend.allCases)
    func aFlakyTaskIsRetriedWithAttemptsOnTheRecordUntilItSucceeds(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend, functions: TestTasks.all)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        try await manager.launchAsyncTask("test.tasks.flaky", args: ["succeed_on": 3], taskName: "t1",
                                          locking: [ObjectRef(model: "book", id: "1")], queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .progress, .progress, .complete, .cleanup])
        let events = recorder.events.filter { $0.taskName == "t1" }
        #expect(events[0].extra["max_attempts"] == 3)
        #expect(events[1].message == "Retrying (attempt 2 of 3)")
        #expect(events[1].extra["error"] == "attempt 1 failed")
        #expect(events[2].message == "Retrying (attempt 3 of 3)")
        for retry in events[1...2] {
            let delay = try #require(retry.extra["delay_ms"]?.intValue)
            #expect(delay >= 0 && delay <= 50)
        }
        #expect(events[3].result == ["attempt": 3])
        #expect(events[3].extra["attempt"] == 3)
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("success"))
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "1")]).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aTaskThatKeepsFailingFailsAfterItsLastAttempt(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend, functions: TestTasks.all)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        try await manager.launchAsyncTask("test.tasks.flaky", args: ["succeed_on": 99], taskName: "t1", queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .progress, .progress, .fail, .cleanup])
        let fail = try #require(recorder.events.last { $0.kind == .fail })
        #expect(fail.message == "attempt 3 failed")
        #expect(fail.extra["attempt"] == 3 && fail.extra["max_attempts"] == 3)
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["progress_payload"] == .text("Retrying (attempt 3 of 3)"))
    }

    @Test(arguments: Backend.allCases)
    func cancellingAQueuedTaskRecordsCancelledThenCleanupAndReleasesItsLocks(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "busy", queue: queue)
        let book = [ObjectRef(model: "book", id: "4")]
        try await manager.launchAsyncTask("sample.tasks.update_items", taskName: "queued", locking: book, queue: queue)
        #expect(await queue.counts.queued == 1)
        #expect(await manager.cancel("queued", queue: queue))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "queued") == [.create, .fail, .cleanup])
        let record = try await manager.requireRecord("queued")
        #expect(record["status"] == .text("cancelled"))
        #expect(record["message"] == .text("Task cancelled"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.checkConflict(book).isEmpty)
        #expect(try await manager.activeTasks() == ["busy"])
        #expect(await manager.cancel("busy", queue: queue))
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.cancel("unknown", queue: queue) == false)
    }

    @Test(arguments: Backend.allCases)
    func cancellingARunningTaskStopsItThroughSwiftTaskCancellation(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        let book = [ObjectRef(model: "book", id: "5")]
        try await manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "t1", locking: book, queue: queue)
        #expect(await eventually { recorder.kinds(of: "t1").contains(.progress) })
        #expect(await manager.cancel("t1", queue: queue))
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1").suffix(2) == [.fail, .cleanup])
        #expect(recorder.events.last { $0.kind == .fail }?.status == .cancelled)
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("cancelled"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.checkConflict(book).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(try await manager.getProgress("t1") == nil)
    }

    @Test(arguments: Backend.allCases)
    func cancellingATaskWaitingToRetryEndsItWithoutAnotherAttempt(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend, functions: TestTasks.all)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        let book = [ObjectRef(model: "book", id: "6")]
        try await manager.launchAsyncTask("test.tasks.slow_retry", taskName: "t1", locking: book, queue: queue)
        #expect(await eventually { await queue.counts.waiting == 1 })
        #expect(try await manager.checkConflict(book).map(\.heldBy) == ["t1"])
        #expect(await manager.cancel("t1", queue: queue))
        #expect(await queue.isIdle)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .progress, .fail, .cleanup])
        #expect(try await manager.requireRecord("t1")["status"] == .text("cancelled"))
        #expect(try await manager.checkConflict(book).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
    }
}
