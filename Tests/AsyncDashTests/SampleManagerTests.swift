import AsyncDash
import AsyncDashTesting
import Foundation
import Sample
import Synchronization
import Testing

@Suite("The sample app")
struct SampleManagerTests {
    /// The seed's §4 example: record the event like the base, then notify ops of failures and
    /// log successes.
    final class CapturingNotifyingManager: NotifyingAsyncManager, @unchecked Sendable {
        let notified = Mutex<[String]>([])
        let succeeded = Mutex<[String]>([])
        override func notifyOps(_ message: String) { notified.withLock { $0.append(message) } }
        override func logSuccess(_ taskName: String, _ result: JSONValue?) { succeeded.withLock { $0.append(taskName) } }
    }

    @Test(arguments: Backend.allCases)
    func notifyingManagerRecordsThenNotifiesFailuresAndLogsSuccesses(_ backend: Backend) async throws {
        let stores = try await backend.makeStores()
        let manager = try CapturingNotifyingManager(context: ManagerContext(name: NotifyingAsyncManager.notifyingName, stores: stores, registry: testRegistry()))
        try await stores.records.prepare(manager.recordModel)
        await manager.emit(LifecycleEvent(.fail, task: "t1", message: "disk full", result: ["error": "ENOSPC"]))
        await manager.emit(LifecycleEvent(.complete, task: "t2", result: 1))
        #expect(manager.notified.withLock { $0 } == [#"Task t1 failed: {"error":"ENOSPC"}"#])
        #expect(manager.succeeded.withLock { $0 } == ["t2"])
        #expect(try await manager.requireRecord("t1")["status"] == .text("failed"))
        #expect(try await manager.requireRecord("t2")["status"] == .text("success"))
    }

    @Test
    func sampleNamesAreRegisteredUnderTheirDottedNames() throws {
        let registry = testRegistry()
        #expect(registry.kind(of: "sample.AsyncTaskRecord") == .recordModel)
        #expect(registry.kind(of: "sample.async_manager.SampleAsyncManager") == .manager)
        #expect(registry.kind(of: "sample.async_manager.NotifyingAsyncManager") == .manager)
        for name in ["sample.tasks.update_items", "sample.tasks.fail_on", "sample.tasks.long_running"] {
            #expect(registry.kind(of: name) == .taskFunction)
        }
        let model = try registry.recordModel(named: "sample.AsyncTaskRecord")
        #expect(model.column("task_args")?.type == .json)
        #expect(model.column("task_kwargs")?.type == .json)
    }
}
