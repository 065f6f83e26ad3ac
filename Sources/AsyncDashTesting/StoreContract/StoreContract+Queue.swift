import AsyncDash
import Foundation
import Synchronization

/// Notes the jobs a queue finishes as cancelled before they ran.
final class NotingRunner: TaskJobRunner {
    private let noted = Mutex<[String]>([])
    var cancelledJobs: [String] { noted.withLock { $0 } }
    func runJob(_ job: TaskJob) async -> TaskJobOutcome { .succeeded(.null) }
    func finishCancelledJob(_ job: TaskJob) async { noted.withLock { $0.append(job.taskName) } }
}

extension StoreContract {
    static func job(_ name: String, maxAttempts: Int = 1) -> TaskJob {
        TaskJob(taskName: name, functionName: "contract.tasks.noop", args: ["count": 1], maxAttempts: maxAttempts)
    }

    static var queueChecks: [Check] {
        [
            Check(role: "queue", name: "jobs are claimed oldest first with a lease; only the lease holder finishes") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                for name in ["a", "b", "c"] { try await queue.enqueue(job(name)) }
                do {
                    try await queue.enqueue(job("b"))
                    expect.fail("a second job of a queued task was accepted")
                } catch let error as TaskQueueError {
                    expect.equal(error.code, .duplicate, "the error of a duplicate enqueue")
                }
                let claimed = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(30))
                expect.equal(claimed.map(\.taskName), ["a", "b"], "claimed")
                expect.equal(claimed.first?.args, ["count": 1], "a claimed job's arguments")
                expect.equal(try await queue.state(of: "a"), .running(since: clock.now()), "state of a claimed job")
                expect.equal(try await queue.state(of: "c"), .queued, "state of a waiting job")
                expect.equal(try await queue.state(of: "nope"), nil, "state of an unknown task")
                expect.that(!(try await queue.finish(taskName: "a", workerID: "w2", outcome: .succeeded(.null))), "another worker cannot finish a")
                expect.that(try await queue.finish(taskName: "a", workerID: "w1", outcome: .succeeded(.null)), "the lease holder finishes a")
                expect.equal(try await queue.state(of: "a"), .finished, "state of a finished job")
                expect.equal(try await queue.claim(workerID: "w1", limit: 5, leaseTTL: .seconds(30)).map(\.taskName), ["c"], "what is left")
                try await queue.enqueue(job("a"))
                expect.equal(try await queue.state(of: "a"), .queued, "a finished task name can be queued again")
            },
            Check(role: "queue", name: "a requeued job waits for its not-before time") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                try await queue.enqueue(job("t", maxAttempts: 3))
                _ = try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30))
                expect.that(!(try await queue.requeue(taskName: "t", workerID: "w2", notBefore: clock.now(), attempt: 2)), "another worker cannot requeue")
                expect.that(try await queue.requeue(taskName: "t", workerID: "w1", notBefore: clock.now().addingTimeInterval(5), attempt: 2), "requeue")
                expect.equal(try await queue.claim(workerID: "w1", limit: 1, leaseTTL: .seconds(30)).count, 0, "claimable before its time")
                clock.advance(by: .seconds(5))
                expect.equal(try await queue.claim(workerID: "w2", limit: 1, leaseTTL: .seconds(30)).map(\.attempt), [2], "claimed at its time")
            },
            Check(role: "queue", name: "heartbeats renew held leases and their locks, and report lost tasks and cancel requests") { stores, clock, expect in
                let runner = NotingRunner()
                let queue = stores.queue.taskQueue(runner: runner)
                for name in ["run", "stop"] { try await queue.enqueue(job(name)) }
                _ = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(10))
                _ = try await stores.coordination.reserveLocks(["book:1"], owner: "run", ttl: .seconds(20))
                expect.that(await queue.cancel("stop"), "cancel of a running job is accepted")
                expect.equal(runner.cancelledJobs, [], "a running job is asked to stop, not finished by the queue")
                clock.advance(by: .seconds(8))
                let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["run", "stop", "other"], leaseTTL: .seconds(10), conflictTTL: .seconds(60))
                expect.equal(renewal.renewed, ["run", "stop"], "renewed")
                expect.equal(renewal.lost, ["other"], "lost")
                expect.equal(renewal.cancelRequested, ["stop"], "cancel requested")
                clock.advance(by: .seconds(30))
                expect.equal(try await stores.coordination.lockOwners(["book:1"]), ["book:1": "run"], "the lock outlives its own TTL after a heartbeat")
            },
            Check(role: "queue", name: "a job cancelled before it ran is finished through the runner") { stores, _, expect in
                let runner = NotingRunner()
                let queue = stores.queue.taskQueue(runner: runner)
                try await queue.enqueue(job("q"))
                expect.that(await queue.cancel("q"), "cancel of a queued job")
                expect.equal(runner.cancelledJobs, ["q"], "finished through the runner")
                expect.equal(try await queue.state(of: "q"), .finished, "state after cancel")
                expect.that(!(await queue.cancel("q")), "a second cancel finds nothing")
            },
            Check(role: "queue", name: "expired leases are taken back: requeued with attempts left, else failed, or cancelled when asked") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                try await queue.enqueue(job("retry", maxAttempts: 2))
                try await queue.enqueue(job("last"))
                try await queue.enqueue(job("cancel", maxAttempts: 3))
                _ = try await queue.claim(workerID: "lost", limit: 3, leaseTTL: .seconds(10))
                _ = await queue.cancel("cancel")
                expect.equal(try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(10)).count, 0,
                             "nothing expired yet")
                clock.advance(by: .seconds(11))
                let reclaimed = try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r", leaseTTL: .seconds(10))
                let actions = Dictionary(reclaimed.map { ($0.job.taskName, $0.action) }, uniquingKeysWith: { first, _ in first })
                expect.equal(actions, ["retry": .requeued, "last": .failed, "cancel": .cancelled], "reclaim actions")
                expect.that(reclaimed.allSatisfy { $0.lostWorker == "lost" }, "the lost worker is named")
                expect.equal(try await queue.claim(workerID: "w2", limit: 5, leaseTTL: .seconds(10)).count, 0,
                             "nothing is claimable before the reclaimer settles")
                expect.that(!(try await queue.finish(taskName: "last", workerID: "lost", outcome: .succeeded(.null))),
                            "the lost worker cannot finish a job taken from it")
                for job in reclaimed { expect.that(try await queue.settleReclaimed(job, reclaimer: "r"), "settled \(job.job.taskName)") }
                expect.equal(try await queue.state(of: "last"), .finished, "failed: finished")
                expect.equal(try await queue.state(of: "cancel"), .finished, "cancelled: finished")
                let again = try await queue.claim(workerID: "w2", limit: 5, leaseTTL: .seconds(10))
                expect.equal(again.map(\.taskName), ["retry"], "claimable after reclaim")
                expect.equal(again.first?.attempt, 2, "its next attempt")
                expect.equal(again.first?.recovered, 1, "counted as recovered")
            },
            Check(role: "queue", name: "a reclaimer that stops before settling leaves the job to the next reclaimer, with the same action") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                try await queue.enqueue(job("doomed"))
                try await queue.enqueue(job("again", maxAttempts: 3))
                _ = try await queue.claim(workerID: "lost", limit: 2, leaseTTL: .seconds(10))
                clock.advance(by: .seconds(11))
                let first = try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r1", leaseTTL: .seconds(10))
                expect.equal(first.map(\.action), [.failed, .requeued], "first reclaim")
                clock.advance(by: .seconds(5))
                expect.equal(try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r2", leaseTTL: .seconds(10)).count, 0,
                             "the first reclaimer's lease holds")
                let held = try await queue.workers().first { $0.workerID == "r1" }
                expect.equal(held?.taskNames, ["again", "doomed"], "the reclaimer is listed as holding the jobs")
                clock.advance(by: .seconds(6))  // r1 stopped before settling: its lease ended
                let second = try await queue.reclaimExpiredLeases(now: clock.now(), reclaimer: "r2", leaseTTL: .seconds(10))
                expect.equal(second.map(\.job.taskName), ["doomed", "again"], "taken over again")
                expect.equal(second.map(\.action), [.failed, .requeued], "with the same actions")
                expect.equal(second.map(\.lostWorker), ["r1", "r1"], "from the stopped reclaimer")
                expect.equal(second.last?.job.attempt, 2, "the attempt is not counted twice")
                for job in first { expect.that(!(try await queue.settleReclaimed(job, reclaimer: "r1")), "r1 can no longer settle \(job.job.taskName)") }
                for job in second { expect.that(try await queue.settleReclaimed(job, reclaimer: "r2"), "r2 settles \(job.job.taskName)") }
                expect.equal(try await queue.state(of: "doomed"), .finished, "ended")
                let rerun = try await queue.claim(workerID: "w", limit: 2, leaseTTL: .seconds(10))
                expect.equal(rerun.map(\.taskName), ["again"], "queued again once")
                expect.equal(rerun.first?.attempt, 2, "as its next attempt")
            },
            Check(role: "queue", name: "a worker's own running jobs are spared from reclaiming, however late its heartbeat") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                for name in ["mine", "stale"] { try await queue.enqueue(job(name)) }
                _ = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(1))
                clock.advance(by: .seconds(5))
                let reclaimed = try await queue.reclaimExpiredLeases(
                    now: clock.now(), sparing: LeaseHolder(workerID: "w1", taskNames: ["mine"]), reclaimer: "r", leaseTTL: .seconds(10))
                expect.equal(reclaimed.map(\.job.taskName), ["stale"], "only the job w1 no longer runs is taken back")
                let renewal = try await queue.heartbeat(workerID: "w1", taskNames: ["mine"], leaseTTL: .seconds(10), conflictTTL: .seconds(60))
                expect.equal(renewal.renewed, ["mine"], "the late heartbeat still renews the spared lease")
            },
            Check(role: "queue", name: "workers are listed with the tasks they hold, their last heartbeat and lease end") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                for name in ["a", "b", "c"] { try await queue.enqueue(job(name)) }
                _ = try await queue.claim(workerID: "w1", limit: 2, leaseTTL: .seconds(10))
                _ = try await queue.claim(workerID: "w2", limit: 1, leaseTTL: .seconds(10))
                clock.advance(by: .seconds(4))
                _ = try await queue.heartbeat(workerID: "w1", taskNames: ["a", "b"], leaseTTL: .seconds(10), conflictTTL: .seconds(60))
                let workers = try await queue.workers()
                expect.equal(workers.map(\.workerID), ["w1", "w2"], "workers")
                expect.equal(workers.first?.taskNames, ["a", "b"], "w1's tasks")
                expect.equal(workers.first?.lastHeartbeat, clock.now(), "w1's last heartbeat")
                expect.equal(workers.first?.leaseExpiresAt, clock.now().addingTimeInterval(10), "w1's lease end")
                expect.equal(workers.last?.lastHeartbeat, clock.now().addingTimeInterval(-4), "w2 was last seen when it claimed")
                _ = try await queue.finish(taskName: "c", workerID: "w2", outcome: .succeeded(.null))
                expect.equal(try await queue.workers().map(\.workerID), ["w1"], "a worker holding nothing and never announced is not listed")
            },
            Check(role: "queue", name: "announced workers are listed while present, idle or not, until retired or their presence ends") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                let started = clock.now()
                let idle = WorkerPresence(workerID: "idle", host: "host-a", pid: 41, startedAt: started, concurrency: 4)
                let busy = WorkerPresence(workerID: "busy", host: "host-b", pid: 42, startedAt: started, concurrency: 2)
                try await queue.announce(idle, until: clock.now().addingTimeInterval(30))
                try await queue.announce(busy, until: clock.now().addingTimeInterval(30))
                try await queue.enqueue(job("a"))
                _ = try await queue.claim(workerID: "busy", limit: 1, leaseTTL: .seconds(60))
                clock.advance(by: .seconds(10))
                try await queue.announce(idle, until: clock.now().addingTimeInterval(30))  // renewed
                var workers = try await queue.workers()
                expect.equal(workers.map(\.workerID), ["busy", "idle"], "both workers")
                expect.equal(workers.last?.presence, idle, "the idle worker's host, pid, start and concurrency")
                expect.equal(workers.last?.presentUntil, clock.now().addingTimeInterval(30), "the renewed presence")
                expect.equal(workers.last?.lastHeartbeat, clock.now(), "last seen when it announced")
                expect.equal(workers.last?.taskNames, [], "the idle worker holds nothing")
                expect.equal(workers.first?.taskNames, ["a"], "the busy worker's task")
                expect.equal(workers.first?.presence, busy, "the busy worker's presence")

                clock.advance(by: .seconds(25))  // busy's presence ended; it still holds its lease
                workers = try await queue.workers()
                expect.equal(workers.map(\.workerID), ["busy", "idle"], "a worker holding a lease stays listed")
                expect.equal(workers.first?.presence, nil, "an ended presence is not shown")
                try await queue.retire(workerID: "idle")
                expect.equal(try await queue.workers().map(\.workerID), ["busy"], "a retired worker is gone")
                try await queue.retire(workerID: "never-announced")  // nothing to forget: no error
            },
        ]
    }
}
