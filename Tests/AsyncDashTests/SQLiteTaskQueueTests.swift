import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Testing

@Suite("The durable SQLite task queue")
struct SQLiteTaskQueueTests {
    let clock = ManualClock()

    func makeQueue(path: String = durableTestPath()) async throws -> (SQLiteTaskQueue, NotingRunner) {
        let runner = NotingRunner()
        return (SQLiteTaskQueue(store: try await SQLiteStore.open(path: path, clock: clock), runner: runner), runner)
    }

    func job(_ name: String, maxAttempts: Int = 1) -> TaskJob {
        TaskJob(taskName: name, functionName: "sample.tasks.update_items", args: ["count": 1], maxAttempts: maxAttempts)
    }

    @Test func enqueuedJobsAreClaimedOldestFirstWithALeaseThenFinished() async throws {
        let (queue, _) = try await makeQueue()
        for name in ["a", "b", "c"] { try await queue.enqueue(job(name)) }
        await #expect { try await queue.enqueue(job("b")) } throws: { ($0 as? TaskQueueError)?.code == .duplicate }

        let claimed = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(30))
        #expect(claimed.map(\.taskName) == ["a", "b"])
        #expect(claimed.first?.args == ["count": 1])
        let a = try #require(try await queue.entry("a"))
        #expect(a.state == "running")
        #expect(a.leaseOwner == "w1")
        #expect(a.leaseExpiresAt == clock.now().addingTimeInterval(30))

        #expect(try await queue.finish(taskName: "a", workerID: "w2", outcome: .succeeded(.null)) == false)
        #expect(try await queue.finish(taskName: "a", workerID: "w1", outcome: .succeeded(.null)))
        let finished = try #require(try await queue.entry("a"))
        #expect(finished.state == "done")
        #expect(finished.outcome == "succeeded")
        #expect(try await queue.claim(workerID: "w1", limit: 5, leaseTTL: .seconds(30)).map(\.taskName) == ["c"])
        try await queue.enqueue(job("a"))  // a finished name can be launched again
        #expect(try await queue.entry("a")?.state == "queued")
    }

    @Test func aRequeuedJobWaitsForItsNotBeforeTime() async throws {
        let (queue, _) = try await makeQueue()
        try await queue.enqueue(job("t", maxAttempts: 3))
        _ = try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30))
        #expect(try await queue.requeue(taskName: "t", workerID: "w1", notBefore: clock.now().addingTimeInterval(5), attempt: 2))
        #expect(try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30)).isEmpty)
        clock.advance(by: .seconds(5))
        let again = try await queue.claim(workerID: "w2", limit: 1, leaseTTL: .seconds(30))
        #expect(again.map(\.attempt) == [2])
    }

    @Test func twoStoresOnOneFileNeverClaimTheSameJob() async throws {
        let path = durableTestPath()
        let (first, _) = try await makeQueue(path: path)
        let (second, _) = try await makeQueue(path: path)
        for index in 0..<500 { try await first.enqueue(job("job-\(index)")) }

        func drain(_ queue: SQLiteTaskQueue, _ worker: String) async throws -> [String] {
            var names: [String] = []
            while true {
                let jobs = try await queue.claim(workerID: worker, limit: 7, leaseTTL: .seconds(30))
                if jobs.isEmpty { return names }
                names += jobs.map(\.taskName)
            }
        }
        async let a = drain(first, "w1")
        async let b = drain(second, "w2")
        let (claimedByA, claimedByB) = try await (a, b)
        let all = claimedByA + claimedByB
        #expect(all.count == 500)
        #expect(Set(all).count == 500)
        let entries = try await second.entries()
        #expect(entries.allSatisfy { $0.state == "running" })
        #expect(entries.filter { $0.leaseOwner == "w1" }.count == claimedByA.count)
    }

    @Test func anExpiredLeaseIsRequeuedAsTheNextAttemptThenFailedWhenAttemptsRunOut() async throws {
        let (queue, _) = try await makeQueue()
        try await queue.enqueue(job("t", maxAttempts: 2))
        _ = try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30))
        #expect(try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(30)).isEmpty)
        clock.advance(by: .seconds(31))

        let first = try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(30))
        #expect(first.map(\.action) == [.requeued])
        #expect(first.first?.lostWorker == "w1")
        #expect(first.first?.job.attempt == 2)
        #expect(first.first?.job.recovered == 1)
        #expect(try await queue.finish(taskName: "t", workerID: "w1", outcome: .succeeded(.null)) == false)  // w1 lost it
        #expect(try await queue.entry("t")?.leaseOwner == "r")
        #expect(try await queue.settleReclaimed(try #require(first.first), reclaimer: "r"))

        let retried = try await queue.claim(workerID: "w2", limit: 1, leaseTTL: .seconds(30))
        #expect(retried.map(\.attempt) == [2])
        #expect(retried.map(\.recovered) == [1])
        clock.advance(by: .seconds(31))
        let second = try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(30))
        #expect(second.map(\.action) == [.failed])
        #expect(try await queue.settleReclaimed(try #require(second.first), reclaimer: "r"))
        let entry = try #require(try await queue.entry("t"))
        #expect(entry.state == "done")
        #expect(entry.outcome == "worker lost")
        #expect(entry.job.recovered == 1)
    }

    @Test func aHeartbeatExtendsTheLeaseAndRenewsTheTasksLocksPastTheConflictTTL() async throws {
        let (queue, _) = try await makeQueue()
        #expect(try await queue.store.reserveLocks(["book:1"], owner: "t", ttl: .seconds(60)) == .reserved)
        #expect(try await queue.store.reserveLocks(["book:2"], owner: "other", ttl: .seconds(60)) == .reserved)
        try await queue.enqueue(job("t"))
        _ = try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30))

        for _ in 0..<4 {  // 100 s in all: well past the lease and the locks' 60 s
            clock.advance(by: .seconds(25))
            let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["t"], leaseTTL: .seconds(30), conflictTTL: .seconds(60))
            #expect(renewal.renewed == ["t"])
            #expect(try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(30)).isEmpty)
        }
        #expect(try await queue.store.lockOwners(["book:1", "book:2"]) == ["book:1": "t"])
        #expect(try await queue.entry("t")?.leaseExpiresAt == clock.now().addingTimeInterval(30))

        let stranger = try await queue.heartbeat(workerID: "w2", taskNames: ["t"], leaseTTL: .seconds(30), conflictTTL: .seconds(60))
        #expect(stranger.renewed.isEmpty)
        #expect(stranger.lost == ["t"])
    }

    @Test func cancelFinishesAQueuedJobAndFlagsARunningOne() async throws {
        let (queue, runner) = try await makeQueue()
        try await queue.enqueue(job("queued"))
        try await queue.enqueue(job("running", maxAttempts: 3))
        #expect(await queue.cancel("queued"))
        #expect(runner.cancelledJobs == ["queued"])
        #expect(try await queue.entry("queued")?.state == "cancelled")

        #expect(try await queue.claim(workerID: "w1", limit: 5, leaseTTL: .seconds(30)).map(\.taskName) == ["running"])
        #expect(await queue.cancel("running"))
        #expect(runner.cancelledJobs == ["queued"])  // a running job is only asked to stop
        let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["running"], leaseTTL: .seconds(30), conflictTTL: .seconds(60))
        #expect(renewal.cancelRequested == ["running"])
        clock.advance(by: .seconds(31))
        #expect(try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(30)).map(\.action) == [.cancelled])
        #expect(await queue.cancel("nobody") == false)
    }
}
