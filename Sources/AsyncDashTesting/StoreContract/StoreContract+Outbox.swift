import AsyncDash
import Foundation

extension StoreContract {
    static func message(_ consumer: String, _ task: String, at date: Date) -> OutboxMessage {
        OutboxMessage(consumer: consumer, event: ["event": "create", "task_name": .string(task)], createdAt: date)
    }

    static var outboxChecks: [Check] {
        let model = contractModel
        return [
            Check(role: "outbox", name: "a message appended again with the same consumer and event id is kept once") { stores, clock, expect in
                let outbox = stores.outbox
                var first = message("c1", "t1", at: clock.now())
                first.eventID = "event-1"
                var other = first
                other.consumer = "c2"
                try await outbox.append([first, other])
                try await outbox.append([first])  // a write retried after its acknowledgement was lost
                var anonymous = message("c1", "t2", at: clock.now())
                anonymous.eventID = nil
                try await outbox.append([anonymous, anonymous])
                let entries = try await outbox.entries(consumer: nil, states: [], limit: 10)
                expect.equal(entries.filter { $0.message.eventID == "event-1" }.map(\.message.consumer), ["c1", "c2"],
                             "one entry per consumer for event-1, in append order")
                expect.equal(entries.filter { $0.message.eventID == nil }.count, 2, "messages without an id are each an entry")
            },
            Check(role: "outbox", name: "entries are claimed oldest first; a leased entry holds back its task's later ones, not other tasks'") { stores, clock, expect in
                let outbox = stores.outbox
                func tasks(_ entries: [OutboxEntry]) -> [String] { entries.map { $0.message.event["task_name"]?.stringValue ?? "?" } }
                try await outbox.append(["t1", "t1", "t2", "t1", "t3"].map { message("c1", $0, at: clock.now()) } + [message("c2", "t1", at: clock.now())])
                let first = try await outbox.claim(consumer: "c1", owner: "p1", limit: 2, leaseTTL: .seconds(30))
                expect.equal(tasks(first), ["t1", "t1"], "the two oldest, in order")
                expect.equal(first.map(\.message.orderKey), ["t1", "t1"], "the order key is the event's task")
                let second = try await outbox.claim(consumer: "c1", owner: "p2", limit: 5, leaseTTL: .seconds(30))
                expect.equal(tasks(second), ["t2", "t3"], "another owner gets the other tasks' entries, not t1's third behind p1's lease")
                expect.equal(try await outbox.claim(consumer: "c1", owner: "p1", limit: 5, leaseTTL: .seconds(30)).count, 0,
                             "nothing while every task has an entry in flight (the owner's own too)")
                expect.equal(try await outbox.claim(consumer: "c2", owner: "p2", limit: 5, leaseTTL: .seconds(30)).count, 1, "other consumers are independent")
                try await outbox.markDelivered(first.map(\.id), owner: "p1")
                let rest = try await outbox.claim(consumer: "c1", owner: "p2", limit: 5, leaseTTL: .seconds(30))
                expect.equal(tasks(rest), ["t1"], "after delivery t1's next entry is free, for any owner")
                let delivered = try await outbox.entries(consumer: "c1", states: [.delivered], limit: 10)
                expect.equal(delivered.map(\.attempts), [1, 1], "delivered entries count their attempt")
                expect.that(delivered.allSatisfy { $0.deliveredAt != nil }, "delivered entries have a time")
            },
            Check(role: "outbox", name: "a failed entry waits for its retry time and holds back its task's later ones only; dead ones can be retried") { stores, clock, expect in
                let outbox = stores.outbox
                try await outbox.append(["t1", "t1", "t2"].map { message("c", $0, at: clock.now()) })
                let batch = try await outbox.claim(consumer: "c", owner: "p", limit: 5, leaseTTL: .seconds(30))
                guard batch.count == 3 else { return expect.fail("claimed \(batch.count) of 3") }
                let head = batch[0]
                try await outbox.markFailed(head.id, owner: "p", error: "timeout", retryAt: clock.now().addingTimeInterval(10))
                try await outbox.release([batch[1].id], owner: "p")
                try await outbox.markDelivered([batch[2].id], owner: "p")
                expect.equal(try await outbox.claim(consumer: "c", owner: "p", limit: 5, leaseTTL: .seconds(30)).count, 0,
                             "t1's second entry waits for its head's retry time (ordered delivery)")
                try await outbox.append([message("c", "t2", at: clock.now())])
                let other = try await outbox.claim(consumer: "c", owner: "q", limit: 5, leaseTTL: .seconds(30))
                expect.equal(other.map(\.message.orderKey), ["t2"], "another task's new entry is not held up by t1's retry")
                try await outbox.markDelivered(other.map(\.id), owner: "q")
                clock.advance(by: .seconds(10))
                let retried = try await outbox.claim(consumer: "c", owner: "p", limit: 1, leaseTTL: .seconds(30))
                expect.equal(retried.first?.id, head.id, "the head comes back first")
                expect.equal(retried.first?.attempts, 1, "with its failed attempt counted")
                expect.equal(retried.first?.lastError, "timeout", "and its error")
                try await outbox.markFailed(head.id, owner: "p", error: "gave up", retryAt: nil)
                let dead = try await outbox.entries(consumer: "c", states: [.dead], limit: 5)
                expect.equal(dead.map(\.id), [head.id], "dead after a failure with no retry")
                let behind = try await outbox.claim(consumer: "c", owner: "p", limit: 5, leaseTTL: .seconds(30))
                expect.equal(behind.map(\.id), [batch[1].id], "a dead entry no longer holds back its task's next one")
                try await outbox.markDelivered(behind.map(\.id), owner: "p")
                expect.that(try await outbox.retryDead(head.id), "a dead entry can be retried")
                expect.equal(try await outbox.entries(consumer: "c", states: [.pending], limit: 5).first?.attempts, 0, "its attempts reset")
            },
            Check(role: "outbox", name: "delivered and dead entries can be requeued with their event id; dead ones removed") { stores, clock, expect in
                let outbox = stores.outbox
                try await outbox.append(["t1", "t2", "t3"].enumerated().map { index, task in
                    var sent = message("c", task, at: clock.now())
                    sent.eventID = "event-\(index)"
                    return sent
                })
                let batch = try await outbox.claim(consumer: "c", owner: "p", limit: 5, leaseTTL: .seconds(30))
                guard batch.count == 3 else { return expect.fail("claimed \(batch.count) of 3") }
                try await outbox.markDelivered([batch[0].id], owner: "p")
                try await outbox.markFailed(batch[1].id, owner: "p", error: "HTTP 400", retryAt: nil)
                try await outbox.release([batch[2].id], owner: "p")
                clock.advance(by: .seconds(5))
                expect.equal(try await outbox.requeue([batch[0].id, batch[1].id, batch[2].id, batch[1].id, 999_999]), 2,
                             "the delivered and the dead one change; the pending one, a repeat and an unknown id do not")
                let pending = try await outbox.entries(consumer: "c", states: [.pending], limit: 5)
                expect.equal(pending.map(\.id), batch.map(\.id), "all three pending, in their order")
                expect.equal(pending.map(\.message.eventID), ["event-0", "event-1", "event-2"], "each keeps its event id")
                expect.equal(pending.map(\.attempts), [0, 0, 0], "attempts reset")
                expect.that(pending.allSatisfy { $0.deliveredAt == nil && $0.nextAttemptAt <= clock.now() }, "due now, not delivered")
                let again = try await outbox.claim(consumer: "c", owner: "q", limit: 5, leaseTTL: .seconds(30))
                expect.equal(again.map(\.id), batch.map(\.id), "another owner claims them at once (no lease left)")
                try await outbox.markFailed(again[0].id, owner: "q", error: "gave up", retryAt: nil)
                try await outbox.markDelivered([again[1].id], owner: "q")
                expect.equal(try await outbox.removeDead([again[0].id, again[1].id, again[2].id]), 1, "only the dead one is removed")
                expect.equal(try await outbox.entries(consumer: "c", states: [], limit: 5).map(\.id), [again[1].id, again[2].id], "the others stay")
                expect.equal(try await outbox.requeue([]), 0, "nothing to requeue")
                expect.equal(try await outbox.removeDead([]), 0, "nothing to remove")
            },
            Check(role: "outbox", name: "an expired lease lets another owner deliver; old delivered entries are pruned") { stores, clock, expect in
                let outbox = stores.outbox
                try await outbox.append([message("c", "t1", at: clock.now())])
                _ = try await outbox.claim(consumer: "c", owner: "crashed", limit: 5, leaseTTL: .seconds(30))
                clock.advance(by: .seconds(31))
                let taken = try await outbox.claim(consumer: "c", owner: "p2", limit: 5, leaseTTL: .seconds(30))
                expect.equal(taken.count, 1, "claimed again after the lease expired")
                try await outbox.markDelivered(taken.map(\.id), owner: "p2")
                clock.advance(by: .seconds(60))
                expect.equal(try await outbox.pruneDelivered(before: clock.now()), 1, "pruned")
                expect.equal(try await outbox.entries(consumer: nil, states: [], limit: 5).count, 0, "nothing left")
            },
            Check(role: "outbox", name: "retention prunes delivered and dead entries by age and count, never pending ones") { stores, clock, expect in
                let outbox = stores.outbox
                try await outbox.append((0..<6).map { message("c", "t\($0)", at: clock.now()) })
                clock.advance(by: .seconds(1))
                let batch = try await outbox.claim(consumer: "c", owner: "p", limit: 6, leaseTTL: .seconds(30))
                expect.equal(batch.count, 6, "claimed")
                guard batch.count == 6 else { return }
                // Delivered: entries 0 and 1 now, 2 a minute later; dead: 3 and 4; 5 stays pending.
                try await outbox.markDelivered([batch[0].id, batch[1].id], owner: "p")
                clock.advance(by: .seconds(60))
                try await outbox.markDelivered([batch[2].id], owner: "p")
                try await outbox.markFailed(batch[3].id, owner: "p", error: "no", retryAt: nil)
                try await outbox.markFailed(batch[4].id, owner: "p", error: "no", retryAt: nil)
                try await outbox.release([batch[5].id], owner: "p")
                clock.advance(by: .seconds(10))
                let all = RetentionLimit(before: clock.now(), keepNewest: nil)
                expect.equal(try await outbox.prune(.pending, all), 0, "pending entries are never pruned")
                expect.equal(try await outbox.prune(.delivered, RetentionLimit(before: clock.now().addingTimeInterval(-30), keepNewest: nil)), 2,
                             "the two delivered before the cut-off, by delivery time")
                expect.equal(try await outbox.prune(.dead, RetentionLimit(before: nil, keepNewest: 1)), 1, "all but the newest dead one")
                let left = try await outbox.entries(consumer: nil, states: [], limit: 10)
                expect.equal(left.map(\.id), [batch[2].id, batch[4].id, batch[5].id], "the newest delivered, the newest dead and the pending one")
                expect.equal(try await outbox.prune(.dead, all), 1, "the last dead one, by age")
                expect.equal(try await outbox.prune(.delivered, all), 1, "the last delivered one, by age")
                expect.equal(try await outbox.entries(consumer: nil, states: [], limit: 10).map(\.id), [batch[5].id], "only the pending one")
            },
            Check(role: "outbox", name: "a record change and its outbox messages are written together") { stores, clock, expect in
                try await stores.records.prepare(model)
                var change = RecordChange()
                change.always = [.init("status", .text("failed"))]
                try await stores.records.apply(model, key: "t1", change, outbox: [message("c", "t1", at: clock.now())])
                expect.equal(try await stores.records.fetch(model, key: "t1")?["status"], .text("failed"), "the record")
                expect.equal(try await stores.outbox.entries(consumer: "c", states: [.pending], limit: 5).count, 1, "the outbox message")
                var bad = RecordChange()
                bad.always = [.init("no_such_column", .text("x"))]
                do {
                    try await stores.records.apply(model, key: "t2", bad, outbox: [message("c", "t2", at: clock.now())])
                    expect.fail("a change of an unknown column was applied")
                } catch {}
                expect.equal(try await stores.outbox.entries(consumer: "c", states: [], limit: 5).count, 1,
                             "a refused change writes no outbox message either")
            },
        ]
    }
}
