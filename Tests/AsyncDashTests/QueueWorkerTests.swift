import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Sample
import Testing

@Suite("A queue worker on the durable SQLite queue")
struct QueueWorkerTests {
    @Test func aWorkerRunsLaunchedTasksToCompletionAndLeavesNothingBehind() async throws {
        let node = try await DurableNode(path: durableTestPath())
        var names: [String] = []
        for index in 1...20 {
            let launch = try await node.manager.launchAsyncTask(
                "sample.tasks.update_items", args: ["count": 3, "delay_ms": 2], locking: [ObjectRef(model: "book", id: "\(index)")],
                queue: node.queue)
            names.append(launch.taskName)
        }
        let worker = node.worker("w1", concurrency: 3)
        await worker.start()
        let done = try await eventually(timeout: .seconds(60)) {
            try await node.queue.entries().allSatisfy { $0.state == "done" }
        }
        #expect(done)
        await worker.stop()
        for name in names {
            #expect(await node.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
            let record = try await node.manager.requireRecord(name)
            #expect(record["status"] == .text("success"))
            #expect(record["cleaned_up"] == .bool(true))
            #expect(node.recorder.kinds(of: name) == [.create, .progress, .progress, .progress, .complete, .cleanup])
        }
        #expect(try await node.queue.entries().allSatisfy { $0.outcome == "succeeded" && $0.leaseOwner == "w1" })
        #expect(try await node.store.locks().isEmpty)
        #expect(try await node.manager.activeTasks().isEmpty)
    }

    @Test func twoWorkersOnTwoStoresOfOneFileRunEveryTaskExactlyOnce() async throws {
        let path = durableTestPath()
        let nodeA = try await DurableNode(path: path)
        let nodeB = try await DurableNode(path: path)
        for index in 0..<100 {
            try await nodeA.manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 1], taskName: "t\(index)", queue: nodeA.queue)
        }
        let workers = [nodeA.worker("A"), nodeB.worker("B")]
        for worker in workers { await worker.start() }
        let done = try await eventually(timeout: .seconds(60)) {
            try await nodeA.queue.entries().allSatisfy { $0.state == "done" }
        }
        #expect(done)
        for worker in workers { await worker.stop() }
        #expect(await nodeA.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(await nodeB.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        let completions = (nodeA.recorder.events + nodeB.recorder.events).filter { $0.kind == .complete }.map(\.taskName)
        #expect(completions.count == 100)
        #expect(Set(completions).count == 100)
        #expect(try await nodeA.manager.activeTasks().isEmpty)
    }

    @Test func aFailingAttemptIsRetriedThroughTheQueue() async throws {
        let node = try await DurableNode(path: durableTestPath())
        try await node.manager.launchAsyncTask("test.tasks.flaky", args: ["succeed_on": 2], taskName: "flaky", queue: node.queue)
        let worker = node.worker("w1")
        await worker.start()
        #expect(try await eventually(timeout: .seconds(60)) { try await node.queue.entry("flaky")?.state == "done" })
        await worker.stop()
        #expect(try await node.manager.requireRecord("flaky")["status"] == .text("success"))
        #expect(try await node.queue.entry("flaky")?.job.attempt == 2)
    }

    @Test func anotherWorkerRecoversTheTaskOfALostWorkerAndTheRecordSaysSo() async throws {
        let path = durableTestPath()
        let clock = ManualClock()
        let nodeA = try await DurableNode(path: path, clock: clock)
        let nodeB = try await DurableNode(path: path, clock: clock)
        let lost = "lost-\(UUID().uuidString)"
        defer { DurableTestTasks.release(lost) }
        try await nodeA.loseAWorkerRunning("test.durable.hang_first_run", taskName: lost, locking: [ObjectRef(model: "book", id: "7")], clock: clock)

        let workerB = nodeB.worker("B", clock: clock)
        await workerB.start()
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await nodeB.queue.entry(lost)?.state == "running")  // the lease has not expired yet
        clock.advance(by: .seconds(31))
        #expect(try await eventually(timeout: .seconds(60)) { try await nodeB.queue.entry(lost)?.state == "done" })
        await workerB.stop()

        let entry = try #require(try await nodeB.queue.entry(lost))
        #expect(entry.outcome == "succeeded")
        #expect(entry.leaseOwner == "B")
        #expect(entry.job.attempt == 2)
        #expect(entry.job.recovered == 1)
        let record = try await nodeB.manager.requireRecord(lost)
        #expect(record["status"] == .text("success"))
        #expect(record["message"] == .text("Task completed (recovered after worker lost)"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(await nodeB.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        let recovery = nodeB.recorder.events.first { $0.kind == .progress && $0.taskName == lost }
        #expect(recovery?.message == "Recovered after worker lost (attempt 2 of 2)")
        #expect(recovery?.extra["lost_worker"] == "A")
        #expect(nodeB.recorder.events.last { $0.kind == .complete }?.extra["recovered"] == 1)
        #expect(try await nodeB.store.locks().isEmpty)
        #expect(try await nodeB.manager.activeTasks().isEmpty)
    }

    @Test func aLostWorkersTaskWithNoAttemptLeftFailsAsWorkerLostAndReleasesEverything() async throws {
        let path = durableTestPath()
        let clock = ManualClock()
        let nodeA = try await DurableNode(path: path, clock: clock)
        let nodeB = try await DurableNode(path: path, clock: clock)
        let doomed = "doomed-\(UUID().uuidString)"
        defer { DurableTestTasks.release(doomed) }
        try await nodeA.loseAWorkerRunning("test.durable.hang_once", taskName: doomed, locking: [ObjectRef(model: "book", id: "8")], clock: clock)

        let workerB = nodeB.worker("B", clock: clock)
        await workerB.start()
        clock.advance(by: .seconds(31))
        #expect(try await eventually(timeout: .seconds(60)) {
            try await nodeB.manager.record(for: doomed)?["cleaned_up"] == .bool(true)
        })
        await workerB.stop()
        let record = try await nodeB.manager.requireRecord(doomed)
        #expect(record["status"] == .text("failed"))
        #expect(record["message"] == .text("worker lost"))
        #expect(try await nodeB.queue.entry(doomed)?.outcome == "worker lost")
        #expect(await nodeB.manager.flushObservers(timeout: .seconds(120)), "observers still busy after 120 s")
        #expect(nodeB.recorder.kinds(of: doomed) == [.fail, .cleanup])
        #expect(try await nodeB.store.locks().isEmpty)
        #expect(try await nodeB.manager.activeTasks().isEmpty)
        #expect(try await nodeB.manager.getProgress(doomed) == nil)
    }

    @Test func aStoppingWorkerHandsItsRunningJobBackAndAnotherWorkerFinishesIt() async throws {
        let path = durableTestPath()
        let nodeA = try await DurableNode(path: path)
        let nodeB = try await DurableNode(path: path)
        let name = "handed-\(UUID().uuidString)"
        let book = [ObjectRef(model: "book", id: "9")]
        try await nodeA.manager.launchAsyncTask("test.durable.slow_first_run", taskName: name, locking: book, queue: nodeA.queue)
        let workerA = nodeA.worker("A")
        await workerA.start()
        #expect(try await eventually { await workerA.runningTasks == [name] })
        await workerA.stop(gracePeriod: .zero)

        let entry = try #require(try await nodeA.queue.entry(name))
        #expect(entry.state == "queued")
        #expect(entry.job.attempt == 1)  // a hand-back is not an attempt
        #expect(try await nodeA.manager.requireRecord(name)["status"] == .text("pending"))
        #expect(try await nodeA.manager.checkConflict(book).map(\.heldBy) == [name])  // still locked
        #expect(try await nodeA.manager.activeTasks() == [name])

        let workerB = nodeB.worker("B")
        await workerB.start()
        #expect(try await eventually(timeout: .seconds(60)) { try await nodeB.queue.entry(name)?.state == "done" })
        await workerB.stop()
        let record = try await nodeB.manager.requireRecord(name)
        #expect(record["status"] == .text("success"))
        #expect(record["result_payload"] == .json(["run": 2]))
        #expect(try await nodeB.manager.checkConflict(book).isEmpty)
        #expect(try await nodeB.manager.activeTasks().isEmpty)
    }

    @Test func cancellingARunningTaskReachesItsWorkerThroughTheHeartbeat() async throws {
        let node = try await DurableNode(path: durableTestPath())
        try await node.manager.launchAsyncTask("sample.tasks.long_running", args: ["seconds": 60], taskName: "busy", queue: node.queue)
        let worker = node.worker("w1", leaseTTL: .milliseconds(300))
        await worker.start()
        #expect(try await eventually { await worker.runningTasks == ["busy"] })
        let entry = try await node.queue.entry("busy")
        #expect(await node.manager.cancel("busy", queue: node.queue), "\(String(describing: entry))")
        #expect(try await eventually(timeout: .seconds(60)) { try await node.queue.entry("busy")?.state == "cancelled" })
        await worker.stop()
        let record = try await node.manager.requireRecord("busy")
        #expect(record["status"] == .text("cancelled"))
        #expect(record["cleaned_up"] == .bool(true))
        #expect(try await node.manager.activeTasks().isEmpty)
    }
}
