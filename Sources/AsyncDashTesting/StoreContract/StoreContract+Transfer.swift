import AsyncDash
import Foundation

extension StoreContract {
    /// What every role hands over and takes in when an installation moves (``StoreCopy``): the
    /// driver under test is the target of a copy from the memory reference, then the source of a
    /// copy back; both ends must hold the same.
    static var transferChecks: [Check] {
        [
            Check(role: "transfer", name: "a copy into the store and back keeps records, audit, jobs, outbox, locks and dead letters") { stores, clock, expect in
                let model = contractModel
                let source = StoreSet.memory(clock: clock)
                try await fillForTransfer(source, model: model, clock: clock)

                let copy = StoreCopy(from: source, to: stores, models: [model], batchSize: 2, clock: clock)
                let report = try await copy.run()
                expect.equal(report.records, [model.name: 5], "records copied")
                expect.equal(report.auditEntries, 3, "audit entries copied")
                expect.equal(report.jobs.queued, 2, "queued jobs copied")
                expect.equal(report.jobs.handedBack, 1, "the job of a gone worker is queued again")
                expect.equal(report.outbox.pending, 2, "pending outbox entries copied")
                expect.equal(report.outbox.dead, 1, "dead outbox entries copied")
                expect.equal(report.locks, 2, "unexpired locks copied")
                expect.equal(report.activeTasks, 2, "active tasks copied")
                expect.equal(report.deadLetters, 1, "dead letters copied")

                let copied = try await TransferSnapshot(of: stores, model: model, at: clock.now())
                let original = try await TransferSnapshot(of: source, model: model, at: clock.now())
                expect.equal(copied.records, original.records, "records, every column")
                expect.equal(copied.audit, original.audit, "audit entries, in order")
                expect.equal(copied.outbox, original.outbox, "outbox entries (consumer, event, id, state, attempts, error, times)")
                expect.equal(copied.jobs, original.jobs.map(\.queuedAgain), "jobs, queued (the running one at the same attempt)")
                expect.equal(copied.locks, original.locks, "locks, owners and ends")
                expect.equal(copied.activeTasks, original.activeTasks, "active tasks")
                expect.equal(copied.deadLetters, original.deadLetters, "dead letters")

                do {
                    _ = try await copy.run()
                    expect.fail("a second copy into the now non-empty store was not refused")
                } catch let error as StoreCopyError {
                    guard case .targetNotEmpty(let held) = error else { return expect.fail("refused for \(error)") }
                    expect.that(held.contains("audit entries") && held.contains("locks"), "the refusal names what is there: \(held)")
                }
                var again = copy
                again.intoNonEmpty = true
                let second = try await again.run()
                expect.equal(second.auditEntries, 0, "a second run adds no audit entry")
                expect.equal(second.skipped.auditEntries, 3, "it skips the three")
                expect.equal(second.skipped.jobs, 3, "and the jobs")
                expect.equal(second.skipped.outboxEntries, 3, "and the outbox entries")
                expect.equal(second.skipped.deadLetters, 1, "and the dead letter")
                expect.equal(try await TransferSnapshot(of: stores, model: model, at: clock.now()), copied, "nothing changed")

                let back = StoreSet.memory(clock: clock)
                _ = try await StoreCopy(from: stores, to: back, models: [model], batchSize: 3, clock: clock).run()
                let roundTrip = try await TransferSnapshot(of: back, model: model, at: clock.now())
                expect.equal(roundTrip, copied, "what the store exports is what it took in")
            },
            Check(role: "transfer", name: "a copy refuses to start while a worker is live on the source") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                try await queue.enqueue(job("running"))
                _ = try await queue.claim(workerID: "busy", limit: 1, leaseTTL: .seconds(30))
                let target = StoreSet.memory(clock: clock)
                do {
                    _ = try await StoreCopy(from: stores, to: target, models: [], clock: clock).run()
                    expect.fail("copied while worker 'busy' holds a lease")
                } catch let error as StoreCopyError {
                    expect.equal(error, .liveWorkers(["busy"]), "the live worker is named")
                }
                expect.equal(try await target.queue.exportJobs(after: 0, limit: 10).items.count, 0, "nothing was copied")
                clock.advance(by: .seconds(31))
                let report = try await StoreCopy(from: stores, to: target, models: [], clock: clock).run()
                expect.equal(report.jobs.handedBack, 1, "once the lease ended, its job is copied as queued")
            },
        ]
    }

    /// Fills `stores`: 5 records, 3 audit entries, 2 queued jobs (one waiting out a retry) and one
    /// running under an ended lease, 3 outbox entries (pending, failed once, dead), 2 unexpired
    /// locks and one expired, 2 active tasks, 1 dead letter.
    static func fillForTransfer(_ stores: StoreSet, model: RecordModel, clock: ManualClock) async throws {
        try await stores.records.prepare(model)
        for index in 1...5 {
            try await stores.records.upsert(model, key: "r\(index)") { record, _ in
                record["status"] = .text(index.isMultiple(of: 2) ? "success" : "failed")
                record["count"] = .integer(index)
                record["score"] = index == 3 ? .null : .real(Double(index) / 4)
                record["payload"] = .json(["index": .int(index), "tags": ["a", "b"]])
                record["done"] = .bool(index > 2)
                record["updated_at"] = .timestamp(Date(timeIntervalSince1970: 1_700_000_000 + Double(index)))
            }
        }
        for (index, action) in ["cancel", "retry", "cleanup"].enumerated() {
            try await stores.audit.append(AuditEntry(
                taskName: "r\(index + 1)", action: action, actor: "admin", at: clock.now().addingTimeInterval(Double(index)), outcome: "done \(index)"))
        }
        let queue = stores.queue.taskQueue(runner: NotingRunner())
        var running = job("q-running", maxAttempts: 3)
        running.args = ["n": 1]
        try await queue.enqueue(running)
        _ = try await queue.claim(workerID: "gone", limit: 1, leaseTTL: .seconds(5))
        try await queue.enqueue(job("q-first"))
        var retrying = job("q-retry", maxAttempts: 4)
        retrying.recovered = 1
        try await queue.enqueue(retrying)
        _ = try await queue.claim(workerID: "w", limit: 2, leaseTTL: .seconds(5))
        _ = try await queue.finish(taskName: "q-first", workerID: "w", outcome: .succeeded(.null))
        _ = try await queue.requeue(taskName: "q-retry", workerID: "w", notBefore: clock.now().addingTimeInterval(600), attempt: 2)
        try await queue.enqueue(job("q-first"))  // queued again after it finished
        for (index, consumer) in ["app/journal", "app/journal", "app/hook"].enumerated() {
            var message = OutboxMessage(consumer: consumer, event: ["task_name": .string("r\(index)"), "n": .int(index)],
                                        createdAt: clock.now().addingTimeInterval(Double(index)), eventID: "event-\(index)")
            if index == 2 { message.eventID = nil }
            try await stores.outbox.append([message])
        }
        let head = try await stores.outbox.claim(consumer: "app/journal", owner: "p", limit: 1, leaseTTL: .seconds(5))
        if let head = head.first { try await stores.outbox.markFailed(head.id, owner: "p", error: "HTTP 503", retryAt: clock.now().addingTimeInterval(60)) }
        let hook = try await stores.outbox.claim(consumer: "app/hook", owner: "p", limit: 1, leaseTTL: .seconds(5))
        if let hook = hook.first { try await stores.outbox.markFailed(hook.id, owner: "p", error: "HTTP 410", retryAt: nil) }
        _ = try await stores.coordination.reserveLocks(["book:1", "book:2"], owner: "q-first", ttl: .seconds(3600))
        _ = try await stores.coordination.reserveLocks(["book:9"], owner: "old", ttl: .seconds(1))
        try await stores.coordination.addActiveTask("q-first")
        try await stores.coordination.addActiveTask("q-retry")
        try await stores.coordination.deadLetter(DeadLetter(taskName: "r1", event: ["kind": "fail"], reason: "observer failed", at: clock.now()))
        clock.advance(by: .seconds(10))  // the running job's lease and book:9 have ended
    }
}

/// Everything a copy moves, read back through the roles, for comparison (times to the millisecond).
struct TransferSnapshot: Equatable {
    struct Job: Equatable {
        var taskName: String
        var functionName: String
        var args: JSONValue
        var attempt: Int
        var maxAttempts: Int
        var recovered: Int
        var enqueuedAt: Int64
        var notBefore: Int64
        var running: Bool

        /// As a copy queues it.
        var queuedAgain: Job {
            var job = self
            job.running = false
            return job
        }
    }

    struct Outboxed: Equatable {
        var consumer: String
        var event: JSONValue
        var eventID: String?
        var createdAt: Int64
        var state: OutboxState
        var attempts: Int
        var lastError: String?
        var nextAttemptAt: Int64
    }

    var records: [Record]
    var audit: [String]
    var jobs: [Job]
    var outbox: [Outboxed]
    var locks: [String]
    var activeTasks: [String]
    var deadLetters: [String]

    init(of stores: StoreSet, model: RecordModel, at now: Date) async throws {
        // A missing column reads as null: stores differ in which of the two they hand back.
        records = try await stores.records.exportRecords(model, after: nil, limit: 1_000).map { Record($0.values.filter { $0.value != .null }) }
        audit = try await stores.audit.exportEntries(after: 0, limit: 1_000).items.map { entry in
            "\(entry.taskName) \(entry.action) \(entry.actor) \(Self.ms(entry.at)) \(entry.outcome)"
        }
        jobs = try await stores.queue.exportJobs(after: 0, limit: 1_000).items.map { item in
            Job(taskName: item.job.taskName, functionName: item.job.functionName, args: item.job.args, attempt: item.job.attempt,
                maxAttempts: item.job.maxAttempts, recovered: item.job.recovered, enqueuedAt: Self.ms(item.job.enqueuedAt),
                notBefore: Self.ms(item.notBefore), running: item.isRunning)
        }.sorted { $0.taskName < $1.taskName }
        outbox = try await stores.outbox.exportUndelivered(after: 0, limit: 1_000).items.map { entry in
            Outboxed(consumer: entry.message.consumer, event: entry.message.event, eventID: entry.message.eventID,
                     createdAt: Self.ms(entry.message.createdAt), state: entry.state, attempts: entry.attempts, lastError: entry.lastError,
                     nextAttemptAt: Self.ms(entry.nextAttemptAt))
        }
        locks = try await stores.coordination.locks().filter { $0.expiresAt > now }.map { "\($0.key)=\($0.owner)@\(Self.ms($0.expiresAt))" }.sorted()
        activeTasks = try await stores.coordination.activeTasks().sorted()
        deadLetters = try await stores.coordination.deadLetters().map { "\($0.taskName) \($0.event.jsonText) \($0.reason) \(Self.ms($0.at))" }
    }

    static func ms(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
