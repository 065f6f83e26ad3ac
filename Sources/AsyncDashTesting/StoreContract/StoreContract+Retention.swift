import AsyncDash
import Foundation

extension StoreContract {
    /// `RETENTION`: each kind is pruned by age and by count, newest kept, and nothing else goes.
    static var retentionChecks: [Check] {
        [
            Check(role: "retention", name: "audit entries and dead letters are pruned by age, then all but the newest are dropped") { stores, clock, expect in
                let start = clock.now()
                for index in 0..<6 {
                    let at = start.addingTimeInterval(Double(index) * 60)
                    try await stores.audit.append(AuditEntry(taskName: "t", action: "a\(index)", actor: "ops", at: at, outcome: "ok"))
                    try await stores.coordination.deadLetter(DeadLetter(taskName: "t\(index)", event: ["kind": "progress"], reason: "r\(index)", at: at))
                }
                // Age: the two entries from before start + 2 min go.
                let byAge = RetentionLimit(before: start.addingTimeInterval(120), keepNewest: nil)
                expect.equal(try await stores.audit.prune(byAge), 2, "audit entries older than the cut-off")
                expect.equal(try await stores.coordination.pruneDeadLetters(byAge), 2, "dead letters older than the cut-off")
                // Count: of the four left, the newest three stay.
                let byCount = RetentionLimit(before: nil, keepNewest: 3)
                expect.equal(try await stores.audit.prune(byCount), 1, "audit entries beyond the newest 3")
                expect.equal(try await stores.coordination.pruneDeadLetters(byCount), 1, "dead letters beyond the newest 3")
                expect.equal(try await stores.audit.entries(forTask: "t", limit: 10).map(\.action), ["a5", "a4", "a3"], "the audit entries kept")
                expect.equal(try await stores.coordination.deadLetters().map(\.taskName), ["t3", "t4", "t5"], "the dead letters kept")
                expect.equal(try await stores.audit.prune(RetentionLimit(before: nil, keepNewest: 3)), 0, "pruning again deletes nothing")
            },
            Check(role: "retention", name: "finished queue jobs are pruned by age and count; queued and running jobs never") { stores, clock, expect in
                let queue = stores.queue.taskQueue(runner: NotingRunner())
                for name in ["f1", "f2", "f3", "run", "wait"] { try await queue.enqueue(job(name)) }
                let claimed = try await queue.claim(workerID: "w", limit: 4, leaseTTL: .seconds(3600)).map(\.taskName)
                expect.equal(claimed, ["f1", "f2", "f3", "run"], "claimed")
                for name in ["f1", "f2", "f3"] {
                    clock.advance(by: .seconds(60))
                    _ = try await queue.finish(taskName: name, workerID: "w", outcome: .succeeded(.null))
                }
                // f1 finished a minute before f2: an age cut between them takes f1 only.
                let cut = clock.now().addingTimeInterval(-90)
                expect.equal(try await stores.queue.pruneFinishedJobs(RetentionLimit(before: cut, keepNewest: nil)), 1, "jobs finished before the cut-off")
                expect.equal(try await stores.queue.pruneFinishedJobs(RetentionLimit(before: nil, keepNewest: 1)), 1, "finished jobs beyond the newest one")
                expect.equal(try await queue.state(of: "f1"), nil, "f1 is gone")
                expect.equal(try await queue.state(of: "f2"), nil, "f2 is gone")
                expect.equal(try await queue.state(of: "f3"), .finished, "the newest finished job stays")
                expect.equal(try await queue.state(of: "wait"), .queued, "a queued job stays")
                expect.that(try await queue.state(of: "run") != nil, "a running job stays")
                expect.equal(try await stores.queue.pruneFinishedJobs(RetentionLimit(before: nil, keepNewest: 0)), 1, "keep 0 deletes every finished job")
                expect.equal(try await queue.state(of: "wait"), .queued, "still queued")
            },
            Check(role: "retention", name: "finished records are pruned oldest first; other statuses and excluded keys stay") { stores, clock, expect in
                let model = contractModel
                try await stores.records.prepare(model)
                let start = clock.now()
                let rows: [(String, String)] = [("old-ok", "success"), ("old-bad", "failed"), ("old-run", "in_progress"),
                                                ("active", "success"), ("mid", "cancelled"), ("new", "success")]
                for (index, (key, status)) in rows.enumerated() {
                    try await stores.records.upsert(model, key: key) { record, _ in
                        record["status"] = .text(status)
                        record["updated_at"] = .timestamp(start.addingTimeInterval(Double(index) * 60))
                    }
                }
                let filter = FinishedRecordFilter(statusColumn: "status", terminalValues: ["success", "failed", "cancelled"].map(RecordValue.text),
                                                  timeColumn: "updated_at", excludedKeys: ["active"])
                // Age: finished records before start + 2.5 min: old-ok and old-bad (old-run runs, active is active).
                let byAge = RetentionLimit(before: start.addingTimeInterval(150), keepNewest: nil)
                expect.equal(try await stores.records.pruneRecords(model, finished: filter, byAge), 2, "finished records older than the cut-off")
                // Count: finished now are active, mid, new (3); keep 1 → mid goes (active is excluded, new is newest).
                expect.equal(try await stores.records.pruneRecords(model, finished: filter, RetentionLimit(before: nil, keepNewest: 1)), 1,
                             "finished records beyond the newest one")
                let left = try await stores.records.list(model, query: RecordQuery(limit: 10)).compactMap { $0["task_name"].text }.sorted()
                expect.equal(left, ["active", "new", "old-run"], "what is left")
            },
        ]
    }
}
