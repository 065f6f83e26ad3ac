import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("Running a task function inline with its full lifecycle")
struct RunTaskTests {
    @Test(arguments: Backend.allCases)
    func aSuccessfulTaskEmitsCreateProgressCompleteCleanupAndReleasesEverything(_ backend: Backend) async throws {
        let recorder = RecordingObserver()
        let manager = try await makeSampleManager(backend, observers: [.init(name: "recorder", observer: recorder)])
        let run = try await manager.runTask(SampleTasks.updateItems, args: ["count": 3], taskName: "t1",
                                            locking: ObjectRef.many(model: "book", ids: [1, 2]), user: "alice")
        #expect(run.result == ["updated": 3])
        #expect(await manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(recorder.events.map(\.kind) == [.create, .progress, .progress, .progress, .complete, .cleanup])
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("success"))
        #expect(record["user_label"] == .text("alice"))
        #expect(record["affected_objects"] == .text("book:1, book:2"))
        #expect(record["progress_payload"] == .text(#"{"done":3,"total":3,"unit":"items"}"#))
        #expect(record["result_payload"] == .json(["updated": 3]))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await manager.checkConflict(ObjectRef.many(model: "book", ids: [1, 2])).isEmpty)
        #expect(try await manager.getProgress("t1") == nil)
        #expect(try await manager.activeTasks().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aThrowingTaskIsRecordedAsFailedAndStillCleanedUp(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let run = try await manager.runTask(SampleTasks.failOn, args: ["value": 1, "fail_on": 1], taskName: "t1",
                                            locking: [ObjectRef(model: "book", id: "9")])
        #expect(run.failure == "value 1 is the failing value")
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("value 1 is the failing value"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(record["failed_at"] != .null)
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "9")]).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aConflictStartsNothingAndRecordsNothing(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        try await manager.reserveConflictLocks(for: "holder", objects: [ObjectRef(model: "book", id: "1")])
        await #expect {
            try await manager.runTask(SampleTasks.updateItems, taskName: "t1", locking: ObjectRef.many(model: "book", ids: [1, 2]))
        } throws: { error in
            (error as? AsyncDashError)?.lockedObjects.map(\.heldBy) == ["holder"]
        }
        #expect(try await manager.record(for: "t1") == nil)
        #expect(try await manager.activeTasks().isEmpty)
        #expect(try await manager.checkConflict([ObjectRef(model: "book", id: "2")]).isEmpty)
    }

    @Test
    func withoutANameATaskGetsAUUID() async throws {
        let manager = try await makeSampleManager(.memory)
        let run = try await manager.runTask(SampleTasks.updateItems, args: ["count": 1])
        #expect(UUID(uuidString: run.taskName) != nil)
    }
}
