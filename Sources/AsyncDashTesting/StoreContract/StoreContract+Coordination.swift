import AsyncDash
import Foundation

extension StoreContract {
    static var coordinationChecks: [Check] {
        [
            Check(role: "coordination", name: "a reservation takes every key or none, naming the holders") { stores, _, expect in
                let locks = stores.coordination
                expect.equal(try await locks.reserveLocks(["book:1", "book:2"], owner: "a", ttl: .seconds(60)), .reserved, "first reservation")
                expect.equal(try await locks.reserveLocks(["book:2", "book:3"], owner: "b", ttl: .seconds(60)), .conflict(["book:2": "a"]),
                             "overlapping reservation")
                expect.equal(try await locks.lockOwners(["book:1", "book:2", "book:3"]), ["book:1": "a", "book:2": "a"], "nothing of b's was taken")
                expect.equal(try await locks.reserveLocks(["book:1"], owner: "a", ttl: .seconds(60)), .reserved, "the owner re-reserves its own key")
            },
            Check(role: "coordination", name: "an expired lock is free; release is idempotent and releases only own keys") { stores, clock, expect in
                let locks = stores.coordination
                _ = try await locks.reserveLocks(["k:1"], owner: "a", ttl: .seconds(10))
                _ = try await locks.reserveLocks(["k:2"], owner: "b", ttl: .seconds(100))
                clock.advance(by: .seconds(11))
                expect.equal(try await locks.lockOwners(["k:1", "k:2"]), ["k:2": "b"], "owners after a's TTL")
                expect.equal(try await locks.reserveLocks(["k:1"], owner: "c", ttl: .seconds(10)), .reserved, "an expired lock is free")
                expect.equal(try await locks.releaseLocks(owner: "a"), [], "a holds nothing any more")
                expect.equal(try await locks.releaseLocks(owner: "c"), ["k:1"], "c releases its key")
                expect.equal(try await locks.releaseLocks(owner: "c"), [], "a second release")
                expect.equal(try await locks.locks().map(\.key), ["k:2"], "the unexpired locks")
            },
            Check(role: "coordination", name: "a lock keeps the time it was taken while its owner renews it") { stores, clock, expect in
                let locks = stores.coordination
                let taken = clock.now()
                _ = try await locks.reserveLocks(["k:1"], owner: "a", ttl: .seconds(10))
                clock.advance(by: .seconds(5))
                _ = try await locks.reserveLocks(["k:1"], owner: "a", ttl: .seconds(10))
                expect.equal(try await locks.locks().first?.acquiredAt, taken, "acquired time after a renewal")
                expect.equal(try await locks.locks().first?.age(at: clock.now()), .seconds(5), "age")
                clock.advance(by: .seconds(11))
                _ = try await locks.reserveLocks(["k:1"], owner: "b", ttl: .seconds(10))
                expect.equal(try await locks.locks().first?.acquiredAt, clock.now(), "a new owner's lock starts its own age")
            },
            Check(role: "coordination", name: "of two racing reservations of overlapping keys exactly one wins") { stores, _, expect in
                let locks = stores.coordination
                for round in 0..<25 {
                    let keys = ["r\(round):1", "r\(round):2", "r\(round):3"]
                    async let first = locks.reserveLocks(keys, owner: "x\(round)", ttl: .seconds(60))
                    async let second = locks.reserveLocks(keys.reversed(), owner: "y\(round)", ttl: .seconds(60))
                    let outcomes = try await [first, second]
                    let winners = outcomes.filter { $0 == .reserved }.count
                    if winners != 1 { expect.fail("round \(round): \(winners) reservations won (\(outcomes))") }
                    let owners = Set(try await locks.lockOwners(keys).values)
                    if owners.count != 1 { expect.fail("round \(round): the keys are held by \(owners.sorted())") }
                }
            },
            Check(role: "coordination", name: "progress entries expire by their TTL; the active set and dead letters round-trip") { stores, clock, expect in
                let store = stores.coordination
                try await store.setProgress(.text("reading"), for: "t1", ttl: .seconds(30))
                expect.equal(try await store.progress(for: "t1"), .text("reading"), "progress")
                clock.advance(by: .seconds(31))
                expect.equal(try await store.progress(for: "t1"), nil, "progress past its TTL")
                try await store.setProgress(.text("x"), for: "t2", ttl: .seconds(30))
                expect.that(try await store.deleteProgress(for: "t2"), "deleting an entry returns true")
                for task in ["b", "a", "b"] { try await store.addActiveTask(task) }
                expect.equal(try await store.activeTasks(), ["a", "b"], "the active set, sorted, without repeats")
                expect.that(try await store.isActiveTask("a"), "a is active")
                expect.that(try await store.removeActiveTask("a"), "removing an active task returns true")
                expect.that(!(try await store.isActiveTask("a")), "a is no longer active")
                let letter = DeadLetter(taskName: "t1", event: ["event": "fail"], reason: "disk full", at: clock.now())
                try await store.deadLetter(letter)
                try await store.deadLetter(DeadLetter(taskName: "t2", event: ["event": "create"], reason: "x", at: clock.now()))
                expect.equal(try await store.deadLetters().map(\.taskName), ["t1", "t2"], "dead letters, oldest first")
                expect.equal(try await store.deadLetters().first?.reason, "disk full", "a dead letter's reason")
            },
        ]
    }
}
