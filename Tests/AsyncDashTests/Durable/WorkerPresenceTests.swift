import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// Workers announce themselves, so operators see idle ones too.
@Suite("Worker presence")
struct WorkerPresenceTests {
    @Test func anIdleWorkerIsListedWithItsProcessWhileItRunsAndGoneOnceStopped() async throws {
        let path = durableTestPath()
        let node = try await DurableNode(path: path)
        let worker = node.worker("idle-worker", concurrency: 3)
        await worker.start()
        // Another process on the same file sees it.
        let other = try await SQLiteStore.open(path: path)
        let otherQueue = SQLiteTaskQueue(store: other, runner: node.manager)
        var listed: WorkerLeases?
        let deadline = ContinuousClock.now + .seconds(10)
        while listed == nil, ContinuousClock.now < deadline {
            listed = try await otherQueue.workers().first { $0.workerID == "idle-worker" }
            if listed == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let presence = try #require(listed?.presence)
        #expect(presence.pid == Int(ProcessInfo.processInfo.processIdentifier))
        #expect(presence.host == ProcessInfo.processInfo.hostName)
        #expect(presence.concurrency == 3)
        #expect(listed?.taskNames == [])
        #expect((listed?.presentUntil ?? .distantPast) > Date())
        await worker.stop(gracePeriod: .seconds(1))
        #expect(try await otherQueue.workers().contains { $0.workerID == "idle-worker" } == false)
    }
}
