import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("The task-local task context")
struct TaskContextTests {
    @Test
    func outsideATaskThereIsNoContext() {
        #expect(TaskContext.current == nil)
        #expect(TaskContext.skipNestedAsync == false)
    }

    @Test(arguments: Backend.allCases)
    func codeTwoCallsDownReachesTheContextAndLocksDescendants(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend, functions: TestTasks.all)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        try await manager.launchAsyncTask("test.tasks.nested", args: ["chapters": [1, 2]], taskName: "t1", queue: queue)
        #expect(await queue.waitUntilIdle(timeout: .seconds(30)))
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        let complete = try #require(recorder.events.last { $0.kind == .complete })
        #expect(complete.result == ["task": "t1", "attempt": 1, "skip": true])
        #expect(recorder.events.contains { $0.kind == .progress && $0.message == "chapters locked" })
        #expect(try await manager.checkConflict(ObjectRef.many(model: "chapter", ids: [1, 2])).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func descendantLocksAreHeldByTheTaskWhileItRunsAndAreAllOrNothing(_ backend: Backend) async throws {
        let (manager, _) = try await makeLaunchManager(backend)
        try await manager.reserveConflictLocks(for: "holder", objects: [ObjectRef(model: "chapter", id: "9")])
        let probe = TaskFunction(name: "probe") { _, _ in
            let task = try #require(TaskContext.current)
            try await task.registerDescendantConflicts(ObjectRef.many(model: "chapter", ids: [1, 2]))
            let held = try await manager.checkConflict(ObjectRef.many(model: "chapter", ids: [1, 2])).map(\.heldBy)
            var conflict: [String] = []
            do {
                try await task.registerDescendantConflicts(ObjectRef.many(model: "chapter", ids: [3, 9]))
            } catch let error as AsyncDashError where error.code == .conflict {
                conflict = error.lockedObjects.map(\.description)
            }
            let three = try await manager.checkConflict([ObjectRef(model: "chapter", id: "3")])
            return ["held": .array(held.map(JSONValue.string)), "conflict": .array(conflict.map(JSONValue.string)), "three_locked": .bool(!three.isEmpty)]
        }
        let run = try await manager.runTask(probe, taskName: "t1")
        #expect(run.result == ["held": ["t1", "t1"], "conflict": ["chapter:9 held by holder"], "three_locked": false])
        #expect(try await manager.checkConflict(ObjectRef.many(model: "chapter", ids: [1, 2])).isEmpty)
        #expect(try await manager.checkConflict([ObjectRef(model: "chapter", id: "9")]).map(\.heldBy) == ["holder"])
    }

    @Test(arguments: Backend.allCases)
    func aNestedLaunchRunsInlineUnderTheEnclosingTask(_ backend: Backend) async throws {
        let (manager, recorder) = try await makeLaunchManager(backend)
        let queue = InProcessTaskQueue(runner: manager, concurrency: 1)
        let parent = TaskFunction(name: "parent") { _, _ in
            let launch = try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 2],
                                                           locking: [ObjectRef(model: "book", id: "5")], queue: queue)
            let locked = try await manager.checkConflict([ObjectRef(model: "book", id: "5")]).map(\.heldBy)
            return ["name": .string(launch.taskName), "inline": .bool(launch.ranInline),
                    "result": launch.inlineResult ?? .null, "locked_by": .array(locked.map(JSONValue.string))]
        }
        let run = try await manager.runTask(parent, taskName: "outer")
        #expect(run.result == ["name": "outer", "inline": true, "result": ["updated": 2], "locked_by": ["outer"]])
        #expect(await queue.isIdle)
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(Set(recorder.events.map(\.taskName)) == ["outer"])
        #expect(recorder.kinds(of: "outer") == [.create, .progress, .progress, .complete, .cleanup])
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "5")]).isEmpty)
    }

    @Test
    func aHandBuiltContextStillReportsProgressAndIgnoresDescendantLocks() async throws {
        let reports = Reports()
        let context = TaskContext(taskName: "unit") { progress in await reports.add(progress) }
        _ = try await SampleTasks.updateItems.run(["count": 2], context)
        try await context.registerDescendantConflicts([ObjectRef(model: "book", id: "1")])
        #expect(await reports.all.count == 2)
        #expect(context.attempt == 1 && context.maxAttempts == 1)
        let seen = await context.bind { TaskContext.current?.taskName }
        #expect(seen == "unit")
    }
}

private actor Reports {
    var all: [ProgressPayload] = []
    func add(_ progress: ProgressPayload) { all.append(progress) }
}
