import AsyncDash
import Foundation

extension StoreContract {
    /// How long a check waits for a notice: a driver may poll (SQLite polls every 100 ms by
    /// default), so a notice can take a little while; a correct driver is never near this.
    static let noticePatience: Duration = .seconds(10)

    /// Reads notices from `changes` until every task in `expected` has been named (or a resync
    /// covered them) or `noticePatience` passes; returns the names still missing and the
    /// notices read.
    static func awaitNotices(_ changes: ChangeSubscription, naming expected: Set<String>) async -> (missing: Set<String>, notices: [ChangeNotice]) {
        var missing = expected
        var notices: [ChangeNotice] = []
        let deadline = ContinuousClock.now + noticePatience
        while !missing.isEmpty, ContinuousClock.now < deadline {
            guard let notice = await changes.next(timeout: deadline - ContinuousClock.now) else { break }
            notices.append(notice)
            switch notice {
            case .resync: missing = []
            case .changed(let names): missing.subtract(names)
            }
        }
        return (missing, notices)
    }

    static var changeChecks: [Check] {
        let model = contractModel
        return [
            Check(role: "change feed", name: "record writes and deletes, progress, locks and the active set each name their task") { stores, _, expect in
                try await stores.records.prepare(model)
                let changes = try await stores.changes.subscribe()
                var change = RecordChange()
                change.always = [.init("status", .text("pending"))]
                try await stores.records.apply(model, key: "record-task", change)
                try await stores.coordination.setProgress(.text("1 of 2"), for: "progress-task", ttl: .seconds(60))
                _ = try await stores.coordination.reserveLocks(["book:1"], owner: "lock-task", ttl: .seconds(60))
                try await stores.coordination.addActiveTask("active-task")
                let first = await awaitNotices(changes, naming: ["record-task", "progress-task", "lock-task", "active-task"])
                expect.equal(first.missing, [], "tasks never named after their change (notices: \(first.notices))")

                _ = try await stores.records.delete(model, key: "record-task")
                _ = try await stores.coordination.deleteProgress(for: "progress-task")
                _ = try await stores.coordination.releaseLocks(owner: "lock-task")
                _ = try await stores.coordination.removeActiveTask("active-task")
                let second = await awaitNotices(changes, naming: ["record-task", "progress-task", "lock-task", "active-task"])
                expect.equal(second.missing, [], "tasks never named after their removal (notices: \(second.notices))")
            },
            Check(role: "change feed", name: "many changes to one task come as fewer notices, naming only that task") { stores, _, expect in
                let changes = try await stores.changes.subscribe()
                for step in 1...50 {
                    try await stores.coordination.setProgress(.text("\(step) of 50"), for: "busy", ttl: .seconds(60))
                }
                var notices = await awaitNotices(changes, naming: ["busy"]).notices
                // Whatever is still on its way arrives within the patience; then nothing more.
                while let notice = await changes.next(timeout: .milliseconds(500)) { notices.append(notice) }
                expect.that(!notices.isEmpty, "no notice for 50 changes of task 'busy'")
                expect.that(notices.count < 50, "50 changes of one task gave \(notices.count) notices: they are not coalesced")
                for case .changed(let names) in notices {
                    expect.equal(names, ["busy"], "a notice after changes of task 'busy' only")
                }
            },
            Check(role: "change feed", name: "a listener that does not read loses nothing: each change is named or covered by a resync") { stores, _, expect in
                let changes = try await stores.changes.subscribe()
                let names = Set((0..<1_500).map { "task-\($0)" })
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for name in names {
                        group.addTask { try await stores.coordination.addActiveTask(name) }
                    }
                    try await group.waitForAll()
                }
                let result = await awaitNotices(changes, naming: names)
                expect.equal(result.missing.count, 0, "tasks neither named nor covered by a resync")
            },
            Check(role: "change feed", name: "each subscription hears every change; one released does not stop the others") { stores, _, expect in
                let kept = try await stores.changes.subscribe()
                var released: ChangeSubscription? = try await stores.changes.subscribe()
                try await stores.coordination.addActiveTask("one")
                if let subscription = released {
                    expect.equal(await awaitNotices(subscription, naming: ["one"]).missing, [], "the second subscription did not hear of 'one'")
                }
                released = nil
                try await stores.coordination.addActiveTask("two")
                expect.equal(await awaitNotices(kept, naming: ["one", "two"]).missing, [], "the first subscription missed a change")
                _ = released
            },
        ]
    }
}
