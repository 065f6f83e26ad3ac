import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Testing

/// Every rule of DESIGN §3, each its own test, on every backend.
@Suite("ModelTrackingAsyncManager rules (DESIGN §3)")
struct ModelTrackingRulesTests {
    @Test(arguments: Backend.allCases)
    func createMakesOneRecordPerTaskWithUserAffectedArgsKwargs(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(
            .create, task: "t1", status: .pending, message: "Task queued", user: "alice",
            affected: ["book:1", "book:2", "book:3"], args: [1, "two"], kwargs: ["dry_run": false]
        ))
        let record = try await manager.requireRecord("t1")
        #expect(record["task_name"] == .text("t1"))
        #expect(record["status"] == .text("pending"))
        #expect(record["message"] == .text("Task queued"))
        #expect(record["user_label"] == .text("alice"))
        #expect(record["affected_objects"] == .text("book:1, book:2, book:3"))
        #expect(record["task_args"] == .json([1, "two"]))
        #expect(record["task_kwargs"] == .json(["dry_run": false]))
        #expect(record["cleaned_up"] != .bool(true))
        #expect(try await manager.stores.records.list(manager.recordModel, query: RecordQuery()).count == 1)
    }

    @Test(arguments: Backend.allCases)
    func aNewRecordsTextFieldsAreEmptyTextNotNull(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.cleanup, task: "t1"))
        let record = try await manager.requireRecord("t1")
        for column in manager.recordModel.columns where column.type == .text && column.name != "task_name" && column.name != "status" {
            #expect(record[column.name] == .text(""), "\(column.name)")
        }
        #expect(record["status"] == .text("pending"))
    }

    @Test(arguments: Backend.allCases)
    func aProgressEventWithoutTextKeepsTheStoredProgress(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1"))
        await manager.emit(LifecycleEvent(.progress, task: "t1", progress: .text("3 of 9")))
        await manager.emit(LifecycleEvent(.progress, task: "t1", status: .inProgress))
        #expect(try await manager.requireRecord("t1")["progress_payload"] == .text("3 of 9"))
    }

    @Test(arguments: Backend.allCases)
    func aTerminalStatusIsNeverRewrittenAndOnlyOneEndTimeIsSet(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        // complete after fail
        await manager.emit(LifecycleEvent(.create, task: "f"))
        await manager.emit(LifecycleEvent(.fail, task: "f", message: "boom", result: ["error": "boom"], timestamp: at))
        await manager.emit(LifecycleEvent(.complete, task: "f", message: "late", result: ["ok": true], timestamp: at.addingTimeInterval(5)))
        await manager.emit(LifecycleEvent(.cleanup, task: "f", status: .success))
        let failed = try await manager.requireRecord("f")
        #expect(failed["status"] == .text("failed"))
        #expect(failed["message"] == .text("boom"))
        #expect(failed["result_payload"] == .json(["error": "boom"]))
        #expect(failed["completed_at"] == .null && failed["failed_at"] != .null)
        #expect(failed["cleaned_up"] == .bool(true), "cleanup still marks it cleaned")
        // fail after complete
        await manager.emit(LifecycleEvent(.create, task: "c"))
        await manager.emit(LifecycleEvent(.complete, task: "c", result: 1, timestamp: at))
        await manager.emit(LifecycleEvent(.fail, task: "c", message: "late failure", timestamp: at.addingTimeInterval(5)))
        let completed = try await manager.requireRecord("c")
        #expect(completed["status"] == .text("success"))
        #expect(completed["failed_at"] == .null && completed["completed_at"] != .null)
        #expect(completed["message"] != .text("late failure"))
    }

    @Test(arguments: Backend.allCases)
    func getOrCreateReusesTheRecordOfTheSameTask(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.complete, task: "t1", result: 1))
        await manager.emit(LifecycleEvent(.create, task: "t2", message: "Task queued"))
        let all = try await manager.stores.records.list(manager.recordModel, query: RecordQuery())
        #expect(all.count == 2)
    }

    @Test(arguments: Backend.allCases)
    func createDefaultsApplyOnlyToNewRecords(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend, createDefaults: ["message": "created by defaults", "user_label": "system"])
        await manager.emit(LifecycleEvent(.progress, task: "t1", progress: .text("step 1")))
        var record = try await manager.requireRecord("t1")
        #expect(record["message"] == .text("created by defaults"))
        #expect(record["user_label"] == .text("system"))
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued", user: "bob"))
        record = try await manager.requireRecord("t1")
        #expect(record["user_label"] == .text("bob"))
    }

    @Test(arguments: Backend.allCases)
    func eventWithoutRecordCreatesIt(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.progress, task: "orphan", progress: .text("halfway")))
        let record = try await manager.requireRecord("orphan")
        #expect(record["status"] == .text("in_progress"))
        #expect(record["progress_payload"] == .text("halfway"))
    }

    @Test(arguments: Backend.allCases)
    func progressSetsInProgressAndKeepsTheExistingMessage(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1", status: .pending, message: "Task queued"))
        await manager.emit(LifecycleEvent(.progress, task: "t1", message: "ignored as message", progress: .text("3 of 10")))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("in_progress"))
        #expect(record["message"] == .text("Task queued"))
        #expect(record["progress_payload"] == .text("3 of 10"))
    }

    @Test(arguments: Backend.allCases)
    func progressWithoutPayloadStoresTheMessage(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.progress, task: "t1", message: "Working"))
        #expect(try await manager.requireRecord("t1")["progress_payload"] == .text("Working"))
    }

    @Test(arguments: Backend.allCases)
    func structuredProgressGoesToATextColumnAsJSONText(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        try await manager.updateProgress("t1", .structured(StructuredProgress(done: 4, total: 10, unit: "rows")))
        let stored = try await manager.requireRecord("t1")["progress_payload"]
        #expect(stored == .text(#"{"done":4,"total":10,"unit":"rows"}"#))
        #expect(try await manager.getProgress("t1") == .structured(StructuredProgress(done: 4, total: 10, unit: "rows")))
    }

    @Test(arguments: Backend.allCases)
    func completeSetsSuccessResultAndCompletedAt(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let finished = Date(timeIntervalSince1970: 1_900_000_000)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.complete, task: "t1", result: ["updated": 3], timestamp: finished))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("success"))
        #expect(record["result_payload"] == .json(["updated": 3]))
        guard case .timestamp(let at) = record["completed_at"] else { Issue.record("completed_at not set"); return }
        #expect(abs(at.timeIntervalSince(finished)) < 0.001)
        #expect(record["failed_at"].isNull)
    }

    @Test(arguments: Backend.allCases)
    func failSetsFailedResultFailedAtAndMessage(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        let failed = Date(timeIntervalSince1970: 1_900_000_100)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.fail, task: "t1", message: "disk full", result: ["error": "ENOSPC"], timestamp: failed))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("disk full"))
        #expect(record["result_payload"] == .json(["error": "ENOSPC"]))
        guard case .timestamp(let at) = record["failed_at"] else { Issue.record("failed_at not set"); return }
        #expect(abs(at.timeIntervalSince(failed)) < 0.001)
        #expect(record["completed_at"].isNull)
    }

    @Test(arguments: Backend.allCases)
    func cleanupSetsCleanedAndKeepsTheStatus(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.complete, task: "t1", result: 1))
        await manager.emit(LifecycleEvent(.cleanup, task: "t1"))
        let record = try await manager.requireRecord("t1")
        #expect(record["cleaned_up"] == .bool(true))
        #expect(record["status"] == .text("success"))
    }

    @Test(arguments: Backend.allCases)
    func cleanupWithAStatusSetsIt(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1"))
        await manager.emit(LifecycleEvent(.cleanup, task: "t1", status: .cancelled, message: "Cleaned up by operator"))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("cancelled"))
        #expect(record["message"] == .text("Cleaned up by operator"))
        #expect(record["cleaned_up"] == .bool(true))
    }

    @Test(arguments: Backend.allCases)
    func anEmptyMessageKeepsTheExistingOne(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await manager.emit(LifecycleEvent(.complete, task: "t1", message: ""))
        #expect(try await manager.requireRecord("t1")["message"] == .text("Task queued"))
    }

    @Test(arguments: Backend.allCases)
    func lateCreateDoesNotOverwriteATerminalStatus(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.complete, task: "t1", message: "Done", result: 1))
        await manager.emit(LifecycleEvent(.create, task: "t1", status: .pending, message: "Task queued", user: "alice"))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("success"))
        #expect(record["message"] == .text("Done"))
        #expect(record["user_label"] == .text("alice"))  // facts about the task are still recorded
    }

    @Test(arguments: Backend.allCases)
    func lateProgressDoesNotOverwriteATerminalStatus(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        await manager.emit(LifecycleEvent(.progress, task: "t1", progress: .structured(StructuredProgress(done: 9, total: 10))))
        let record = try await manager.requireRecord("t1")
        #expect(record["status"] == .text("failed"))
        #expect(record["progress_payload"].isNull || record["progress_payload"] == .text(""))
    }

    @Test(arguments: Backend.allCases)
    func updatedAtChangesOnEveryWrite(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1"))
        guard case .timestamp(let first) = try await manager.requireRecord("t1")["updated_at"],
            case .timestamp(let created) = try await manager.requireRecord("t1")["created_at"]
        else { Issue.record("timestamps missing"); return }
        try await Task.sleep(for: .milliseconds(5))
        await manager.emit(LifecycleEvent(.progress, task: "t1", progress: .text("1")))
        guard case .timestamp(let second) = try await manager.requireRecord("t1")["updated_at"],
            case .timestamp(let createdAgain) = try await manager.requireRecord("t1")["created_at"]
        else { Issue.record("timestamps missing"); return }
        #expect(second > first)
        #expect(createdAgain == created)
    }

    @Test(arguments: Backend.allCases)
    func textColumnsGetJSONTextAndJSONColumnsGetTheValue(_ backend: Backend) async throws {
        let model = try RecordModel(name: "test.Mixed", table: "mixed", columns: [
            .init("task_name", .text), .init("status", .text), .init("task_kwargs", .text), .init("result_payload", .json),
        ])
        var registry = testRegistry()
        registry.register(recordModel: model)
        let stores = try await backend.makeStores()
        let manager = try ModelTrackingAsyncManager(context: ManagerContext(name: "m", stores: stores, recordModel: model, registry: registry))
        try await stores.records.prepare(model)
        await manager.emit(LifecycleEvent(.create, task: "t1", kwargs: ["ids": [1, 2]]))
        await manager.emit(LifecycleEvent(.complete, task: "t1", result: ["ok": true]))
        let record = try await manager.requireRecord("t1")
        #expect(record["task_kwargs"] == .text(#"{"ids":[1,2]}"#))
        #expect(record["result_payload"] == .json(["ok": true]))
    }

    @Test(arguments: Backend.allCases)
    func fieldMapRenamesColumnsAndSkipsFieldsWithNoColumn(_ backend: Backend) async throws {
        let model = try RecordModel(name: "test.JobRow", table: "job_rows", columns: [
            .init("task_name", .text), .init("state", .text), .init("note", .text), .init("done", .bool), .init("updated_at", .timestamp),
        ])
        let stores = try await backend.makeStores()
        let manager = try ModelTrackingAsyncManager(context: ManagerContext(
            name: "m", stores: stores, recordModel: model, fieldMap: ["status": "state", "message": "note", "cleaned": "done"], registry: testRegistry()
        ))
        try await stores.records.prepare(model)
        await manager.emit(LifecycleEvent(.create, task: "t1", message: "queued", user: "alice", kwargs: ["a": 1]))
        await manager.emit(LifecycleEvent(.complete, task: "t1", result: 1))
        await manager.emit(LifecycleEvent(.cleanup, task: "t1"))
        let record = try await manager.requireRecord("t1")
        #expect(record["state"] == .text("success"))
        #expect(record["note"] == .text("queued"))
        #expect(record["done"] == .bool(true))
        #expect(Set(record.values.keys).isSubset(of: ["task_name", "state", "note", "done", "updated_at"]))
    }

    @Test
    func fieldMapTargetThatIsNotAColumnIsAnError() throws {
        #expect(throws: FieldMapError.self) {
            _ = try SampleAsyncManager(context: ManagerContext(name: "m", stores: .memory(), fieldMap: ["status": "stauts"], registry: testRegistry()))
        }
        do {
            _ = try FieldMap(model: AsyncTaskRecord.model, overrides: ["status": "stauts"])
        } catch {
            #expect("\(error)".contains("did you mean 'status'"))
        }
    }

    @Test(arguments: Backend.allCases)
    func formattersCanBeOverriddenInASubclass(_ backend: Backend) async throws {
        final class ShoutingManager: SampleAsyncManager, @unchecked Sendable {
            override func formatUser(_ user: JSONValue?) -> String { super.formatUser(user).uppercased() }
            override func formatAffected(_ affected: JSONValue?) -> String { "\(affected?.arrayValue?.count ?? 0) objects" }
            override func formatPayload(_ payload: JSONValue?) -> JSONValue? { ["wrapped": payload ?? .null] }
        }
        let stores = try await backend.makeStores()
        let manager = try ShoutingManager(context: ManagerContext(name: "m", stores: stores, registry: testRegistry()))
        try await stores.records.prepare(manager.recordModel)
        await manager.emit(LifecycleEvent(.create, task: "t1", user: ["username": "alice"], affected: ["a:1", "a:2"], kwargs: ["k": 1]))
        let record = try await manager.requireRecord("t1")
        #expect(record["user_label"] == .text("ALICE"))
        #expect(record["affected_objects"] == .text("2 objects"))
        #expect(record["task_kwargs"] == .json(["wrapped": ["k": 1]]))
    }

    @Test(arguments: Backend.allCases)
    func sampleManagerLabelsMissingUsersAnonymous(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await manager.emit(LifecycleEvent(.create, task: "t1"))
        await manager.emit(LifecycleEvent(.create, task: "t2", user: ["username": "carol", "id": 7]))
        #expect(try await manager.requireRecord("t1")["user_label"] == .text("Anonymous"))
        #expect(try await manager.requireRecord("t2")["user_label"] == .text("carol"))
    }

    @Test(arguments: Backend.allCases)
    func cleanupDashboardDataRemovesNothingByDefault(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        #expect(try await manager.cleanupDashboardData("t1") == 0)
    }

    @Test(arguments: Backend.allCases)
    func eventsOfManyTasksConcurrentlyAreAllRecorded(_ backend: Backend) async throws {
        let manager = try await makeSampleManager(backend)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    await manager.emit(LifecycleEvent(.create, task: "c\(i)"))
                    _ = try? await manager.updateProgress("c\(i)", .structured(StructuredProgress(done: 1, total: 1)))
                    await manager.emit(LifecycleEvent(.complete, task: "c\(i)", result: .int(i)))
                    await manager.emit(LifecycleEvent(.cleanup, task: "c\(i)"))
                }
            }
        }
        let records = try await manager.stores.records.list(manager.recordModel, query: RecordQuery(limit: 1000))
        #expect(records.count == 200)
        #expect(records.allSatisfy { $0["status"] == .text("success") && $0["cleaned_up"] == .bool(true) })
    }
}
