import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("Launching a task through a queue")
struct LaunchTests {
    @Test(arguments: Backend.allCases)
    func aLaunchedTaskIsPendingLockedActiveAndHasAProgressEntryBeforeItRuns(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = HoldingQueue()
        let books = ObjectRef.many(model: "book", ids: [1, 2])
        let launch = try await manager.launchAsyncTask(
            "sample.tasks.update_items", args: ["count": 2], taskName: "t1", locking: books, user: "alice", queue: queue
        )
        #expect(launch == .init(taskName: "t1", ranInline: false, inlineResult: nil))
        let jobs = await queue.jobs
        #expect(jobs.map(\.taskName) == ["t1"])
        #expect(jobs.first?.functionName == "sample.tasks.update_items")
        #expect(jobs.first?.args == ["count": 2])
        #expect(jobs.first?.attempt == 1)
        #expect(jobs.first?.maxAttempts == 1)

        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("pending"))
        #expect(record["message"] == .text("Task queued"))
        #expect(record["user_label"] == .text("alice"))
        #expect(record["affected_objects"] == .text("book:1, book:2"))
        #expect(record["task_kwargs"] == .json(["count": 2]))
        #expect(try await manager.checkConflict(books).map(\.heldBy) == ["t1", "t1"])
        #expect(try await manager.activeTasks() == ["t1"])
        #expect(try await manager.getProgress("t1") == .text("Task queued"))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create])
        #expect(recorder.events.first?.extra["function"] == "sample.tasks.update_items")

        // The runner side finishes it.
        #expect(await manager.runJob(try #require(jobs.first)) == .succeeded(["updated": 2]))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .progress, .progress, .complete, .cleanup])
        #expect(try await manager.checkConflict(books).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(try await manager.getProgress("t1") == nil)
    }

    /// The launch creates the task before it enqueues the job (a worker in another process may
    /// run it at once), so a refused enqueue ends the created task failed, with the reason, and
    /// releases everything it took.
    @Test(arguments: Backend.allCases)
    func aFailedEnqueueEndsTheTaskFailedAndReleasesLocksProgressAndActiveEntry(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        await queue.close()
        let books = ObjectRef.many(model: "book", ids: [1, 2])
        await #expect {
            try await manager.launchAsyncTask("sample.tasks.update_items", taskName: "t1", locking: books, queue: queue)
        } throws: { error in
            (error as? TaskQueueError)?.code == .closed
        }
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["message"].text?.hasPrefix("could not queue the task: ") == true, "\(record)")
        #expect(try await manager.checkConflict(books).isEmpty)
        #expect(try await manager.getProgress("t1") == nil)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .fail, .cleanup])
    }

    @Test(arguments: Backend.allCases)
    func aConflictListsTheLockedObjectsAndStartsNothing(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = HoldingQueue()
        try await manager.reserveConflictLocks(for: "holder", objects: [ObjectRef(model: "book", id: "1")])
        await #expect {
            try await manager.launchAsyncTask("sample.tasks.update_items", taskName: "t1",
                                              locking: ObjectRef.many(model: "book", ids: [1, 2]), queue: queue)
        } throws: { error in
            let error = error as? AsyncDashError
            return error?.code == .conflict && error?.lockedObjects == [LockedObject(object: ObjectRef(model: "book", id: "1"), heldBy: "holder")]
        }
        #expect(await queue.jobs.isEmpty)
        #expect(try await manager.record(for: "t1") == nil)
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "2")]).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(recorder.events.isEmpty)
    }

    @Test
    func anUnknownFunctionOrAnActiveNameIsRefused() async throws {
        let (manager, _) = try await makeLaunchManager(.memory)
        let queue = HoldingQueue()
        await #expect(throws: RegistryError.self) {
            try await manager.launchAsyncTask("sample.tasks.update_itemz", queue: queue)
        }
        try await manager.launchAsyncTask("sample.tasks.update_items", taskName: "t1", queue: queue)
        await #expect {
            try await manager.launchAsyncTask("sample.tasks.update_items", taskName: "t1", queue: queue)
        } throws: { error in
            (error as? AsyncDashError)?.code == .duplicateTask
        }
        #expect(await queue.jobs.count == 1)
    }

    @Test(arguments: Backend.allCases)
    func aSuccessfulJobCompletesThenCleansUpAndReleasesEverything(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        let books = ObjectRef.many(model: "book", ids: [3])
        let launch = try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 3], locking: books, user: "bob", queue: queue)
        #expect(UUID(uuidString: launch.taskName) != nil)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: launch.taskName) == [.create, .progress, .progress, .progress, .complete, .cleanup])
        let record = try await manager.requireRecord(launch.taskName)
        #expect(record["status"] == .text("success"))
        #expect(record["result_payload"] == .json(["updated": 3]))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.checkConflict(books).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(try await manager.getProgress(launch.taskName) == nil)
    }

    @Test(arguments: Backend.allCases)
    func aThrowingJobFailsWithItsMessageThenCleansUp(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 2)
        try await manager.launchAsyncTask("sample.tasks.fail_on", args: ["value": 7, "fail_on": 7], taskName: "t1",
                                          locking: [ObjectRef(model: "book", id: "9")], queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .fail, .cleanup])
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("value 7 is the failing value"))
        #expect(record["result_payload"] == .json(["error": "value 7 is the failing value"]))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "9")]).isEmpty)
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func eventsOfEachTaskArriveInOrderUnderConcurrency(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 4)
        var names: [String] = []
        for i in 0..<16 {
            let args: JSONValue = i % 4 == 0 ? ["value": 1, "fail_on": 1] : ["count": 2]
            let function = i % 4 == 0 ? "sample.tasks.fail_on" : "sample.tasks.update_items"
            names.append(try await manager.launchAsyncTask(function, args: args, locking: [ObjectRef(model: "book", id: "\(i)")], queue: queue).taskName)
        }
        #expect(await queue.waitUntilIdle(timeout: .seconds(60)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        for (i, name) in names.enumerated() {
            let expected: [LifecycleEventKind] = i % 4 == 0 ? [.create, .fail, .cleanup] : [.create, .progress, .progress, .complete, .cleanup]
            #expect(recorder.kinds(of: name) == expected)
            let status = try await manager.requireRecord(name)["status"]
            #expect(status == .text(i % 4 == 0 ? "failed" : "success"))
        }
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func lateEventsDoNotRegressAFinishedTask(_ backend: Backend) async throws {
        let (manager, _) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "t1", queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        // A delayed worker's duplicate events arrive after the end.
        await manager.emit(LifecycleEvent(.create, task: "t1", status: .pending, message: "Task queued"))
        await manager.emit(LifecycleEvent(.progress, task: "t1", status: .inProgress, progress: .text("late")))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("success"))
        #expect(record["message"] == .text("Task completed"))
        #expect(record["progress_payload"] == .text(#"{"done":1,"total":1,"unit":"items"}"#))
    }

    @Test
    func withAsyncDisabledALaunchRunsInlineWithItsLifecycle() async throws {
        var settings = AsyncSettings()
        settings.asyncEnabled = false
        let (manager, recorder) = try await makeLaunchManager(.memory, settings: settings)
        let queue = HoldingQueue()
        let launch = try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "t1", queue: queue)
        #expect(launch.ranInline && launch.inlineResult == ["updated": 1])
        #expect(await queue.jobs.isEmpty)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.kinds(of: "t1") == [.create, .progress, .complete, .cleanup])
    }
}
