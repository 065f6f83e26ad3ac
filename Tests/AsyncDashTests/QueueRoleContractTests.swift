import AsyncDash
import AsyncDashSQLite
import AsyncDashTesting
import Foundation
import Testing

/// The queue role of every driver here (memory and SQLite), through the role alone:
/// `stores.queue.taskQueue(runner:)`, never a concrete queue type.
@Suite("The queue role: one contract for every driver")
struct QueueRoleContractTests {
    enum Driver: String, CaseIterable, CustomStringConvertible {
        case memory, sqlite
        var description: String { rawValue }

        func stores(clock: ManualClock) throws -> StoreSet {
            switch self {
            case .memory: StoreSet.memory(clock: clock)
            case .sqlite: try StoreSet.sqlite(path: durableTestPath(), clock: clock)
            }
        }
    }

    func job(_ name: String, maxAttempts: Int = 1) -> TaskJob {
        TaskJob(taskName: name, functionName: "sample.tasks.update_items", args: ["count": 1], maxAttempts: maxAttempts)
    }

    @Test("claims oldest first with a lease; only the lease holder finishes", arguments: Driver.allCases)
    func claimAndFinish(driver: Driver) async throws {
        let clock = ManualClock()
        let queue = try driver.stores(clock: clock).queue.taskQueue(runner: NotingRunner())
        for name in ["a", "b", "c"] { try await queue.enqueue(job(name)) }
        await #expect { try await queue.enqueue(job("b")) } throws: { ($0 as? TaskQueueError)?.code == .duplicate }
        let claimed = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(30))
        #expect(claimed.map(\.taskName) == ["a", "b"])
        #expect(claimed.first?.args == ["count": 1])
        #expect(try await queue.state(of: "a") == .running(since: clock.now()))
        #expect(try await queue.state(of: "c") == .queued)
        #expect(try await queue.state(of: "nope") == nil)
        #expect(try await queue.finish(taskName: "a", workerID: "w2", outcome: .succeeded(.null)) == false)
        #expect(try await queue.finish(taskName: "a", workerID: "w1", outcome: .succeeded(.null)))
        #expect(try await queue.state(of: "a") == .finished)
        #expect(try await queue.claim(workerID: "w1", limit: 5, leaseTTL: .seconds(30)).map(\.taskName) == ["c"])
        try await queue.enqueue(job("a"))  // a finished name can be launched again
        #expect(try await queue.state(of: "a") == .queued)
    }

    @Test("a requeued job waits for its not-before time", arguments: Driver.allCases)
    func requeueWaits(driver: Driver) async throws {
        let clock = ManualClock()
        let queue = try driver.stores(clock: clock).queue.taskQueue(runner: NotingRunner())
        try await queue.enqueue(job("t", maxAttempts: 3))
        _ = try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30))
        #expect(try await queue.requeue(taskName: "t", workerID: "w2", notBefore: clock.now(), attempt: 2) == false)
        #expect(try await queue.requeue(taskName: "t", workerID: "w1", notBefore: clock.now().addingTimeInterval(5), attempt: 2))
        #expect(try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30)).isEmpty)
        clock.advance(by: .seconds(5))
        #expect(try await queue.claim(workerID: "w2", limit: 1, leaseTTL: .seconds(30)).map(\.attempt) == [2])
    }

    @Test("heartbeats renew held leases and the task's locks, report lost ones and cancel requests", arguments: Driver.allCases)
    func heartbeats(driver: Driver) async throws {
        let clock = ManualClock()
        let stores = try driver.stores(clock: clock)
        let runner = NotingRunner()
        let queue = stores.queue.taskQueue(runner: runner)
        for name in ["run", "stop"] { try await queue.enqueue(job(name)) }
        _ = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(10))
        #expect(try await stores.coordination.reserveLocks(["book:1"], owner: "run", ttl: .seconds(20)) == .reserved)
        #expect(await queue.cancel("stop"))
        #expect(runner.cancelledJobs.isEmpty, "a running job is asked to stop, not finished by the queue")
        clock.advance(by: .seconds(8))
        let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["run", "stop", "other"], leaseTTL: .seconds(10), conflictTTL: .seconds(60))
        #expect(renewal.renewed == ["run", "stop"])
        #expect(renewal.lost == ["other"])
        #expect(renewal.cancelRequested == ["stop"])
        clock.advance(by: .seconds(30))  // past the lock's own TTL, within the renewed one
        #expect(try await stores.coordination.lockOwners(["book:1"]) == ["book:1": "run"])
        #expect(try await queue.reclaimExpiredLeases(now: clock.now().addingTimeInterval(-25)).isEmpty)
    }

    @Test("a job cancelled before it ran is finished through the runner", arguments: Driver.allCases)
    func cancelQueued(driver: Driver) async throws {
        let runner = NotingRunner()
        let queue = try driver.stores(clock: ManualClock()).queue.taskQueue(runner: runner)
        try await queue.enqueue(job("q"))
        #expect(await queue.cancel("q"))
        #expect(runner.cancelledJobs == ["q"])
        #expect(try await queue.state(of: "q") == .finished)
        #expect(await queue.cancel("q") == false)
        #expect(await queue.cancel("unknown") == false)
    }

    @Test("expired leases are taken back: requeued with attempts left, else failed, or cancelled when asked", arguments: Driver.allCases)
    func reclaim(driver: Driver) async throws {
        let clock = ManualClock()
        let queue = try driver.stores(clock: clock).queue.taskQueue(runner: NotingRunner())
        try await queue.enqueue(job("retry", maxAttempts: 2))
        try await queue.enqueue(job("last"))
        try await queue.enqueue(job("cancel", maxAttempts: 3))
        _ = try await queue.claim(workerID: "lost", limit: 3, leaseTTL: .seconds(10))
        _ = await queue.cancel("cancel")
        #expect(try await queue.reclaimExpiredLeases(now: clock.now()).isEmpty)
        clock.advance(by: .seconds(11))
        let reclaimed = try await queue.reclaimExpiredLeases(now: clock.now())
        let actions = Dictionary(uniqueKeysWithValues: reclaimed.map { ($0.job.taskName, $0.action) })
        #expect(actions == ["retry": .requeued, "last": .failed, "cancel": .cancelled])
        #expect(reclaimed.allSatisfy { $0.lostWorker == "lost" })
        let again = try await queue.claim(workerID: "w2", limit: 5, leaseTTL: .seconds(10))
        #expect(again.map(\.taskName) == ["retry"])
        #expect(again.first?.attempt == 2)
        #expect(again.first?.recovered == 1)
    }

    @Test("only the memory driver's queue dies with the process", arguments: Driver.allCases)
    func persistence(driver: Driver) throws {
        #expect(try driver.stores(clock: ManualClock()).queue.isPersistent == (driver == .sqlite))
    }
}
