import AsyncDash
import Foundation

extension StoreContract {
    /// A model with a column of every type.
    static let contractModel: RecordModel = {
        do {
            return try RecordModel(
                name: "contract.Record", table: "contract_records",
                columns: [.init("task_name", .text), .init("status", .text), .init("count", .integer), .init("score", .real),
                          .init("payload", .json), .init("done", .bool), .init("updated_at", .timestamp)])
        } catch {
            preconditionFailure("the contract model is declared wrongly: \(error)")
        }
    }()

    static func integer(_ value: RecordValue) -> Int {
        if case .integer(let number) = value { return number }
        return 0
    }

    static var recordChecks: [Check] {
        let model = contractModel
        return [
            Check(role: "records", name: "upsert creates then updates; every column type round-trips") { stores, _, expect in
                try await stores.records.prepare(model)
                try await stores.records.prepare(model)  // idempotent
                expect.equal(try await stores.records.fetch(model, key: "none"), nil, "fetch of a missing key")
                let at = Date(timeIntervalSince1970: 1_700_000_000)
                try await stores.records.upsert(model, key: "a") { record, isNew in
                    expect.that(isNew, "the first upsert of a key is new")
                    record["status"] = .text("pending")
                    record["count"] = .integer(3)
                    record["score"] = .real(2.5)
                    record["payload"] = .json(["ids": [1, 2], "nested": ["ok": true]])
                    record["done"] = .bool(false)
                    record["updated_at"] = .timestamp(at)
                }
                try await stores.records.upsert(model, key: "a") { record, isNew in
                    expect.that(!isNew, "the second upsert of a key is not new")
                    record["done"] = .bool(true)
                }
                let record = try await stores.records.fetch(model, key: "a")
                expect.equal(record?["status"], .text("pending"), "status")
                expect.equal(record?["count"], .integer(3), "count")
                expect.equal(record?["score"], .real(2.5), "score")
                expect.equal(record?["payload"], .json(["ids": [1, 2], "nested": ["ok": true]]), "payload")
                expect.equal(record?["done"], .bool(true), "done")
                expect.equal(record?["updated_at"], .timestamp(at), "updated_at")
            },
            Check(role: "records", name: "a column the model lacks is refused and nothing is written") { stores, _, expect in
                try await stores.records.prepare(model)
                do {
                    try await stores.records.upsert(model, key: "x") { record, _ in record["nope"] = .text("1") }
                    expect.fail("an upsert of an unknown column succeeded")
                } catch {}
                expect.equal(try await stores.records.fetch(model, key: "x"), nil, "the refused record")
            },
            Check(role: "records", name: "apply keeps guarded columns of a record whose guard holds a terminal value") { stores, _, expect in
                try await stores.records.prepare(model)
                var create = RecordChange()
                create.onInsert = [.init("count", .integer(0))]
                create.guarded = [.init("status", .text("success"))]
                create.guardColumn = "status"
                create.guardValues = ["success", "failed"]
                try await stores.records.apply(model, key: "t", create)
                var late = RecordChange()
                late.onInsert = [.init("count", .integer(9))]
                late.guarded = [.init("status", .text("in_progress"))]
                late.always = [.init("done", .bool(true))]
                late.guardColumn = "status"
                late.guardValues = ["success", "failed"]
                try await stores.records.apply(model, key: "t", late)
                let record = try await stores.records.fetch(model, key: "t")
                expect.equal(record?["status"], .text("success"), "a terminal status is not rewritten")
                expect.equal(record?["count"], .integer(0), "onInsert applies to a new record only")
                expect.equal(record?["done"], .bool(true), "always columns are written")
            },
            Check(role: "records", name: "list filters, sorts and limits; delete removes only that record") { stores, _, expect in
                try await stores.records.prepare(model)
                for (index, status) in ["a", "b", "a", "a", "b"].enumerated() {
                    try await stores.records.upsert(model, key: "k\(index)") { record, _ in
                        record["status"] = .text(status)
                        record["count"] = .integer(index)
                    }
                }
                let keys = try await stores.records.list(model, query: RecordQuery(filters: ["status": .text("a")], orderBy: "count", descending: true, limit: 2))
                    .map { $0["task_name"].text ?? "?" }
                expect.equal(keys, ["k3", "k2"], "list status=a by count descending, limit 2")
                expect.that(try await stores.records.delete(model, key: "k3"), "delete of an existing key returns true")
                expect.that(!(try await stores.records.delete(model, key: "k3")), "a second delete returns false")
                expect.equal(try await stores.records.list(model, query: RecordQuery(limit: 10)).count, 4, "records after one delete")
            },
            Check(role: "records", name: "concurrent upserts of one key lose no update") { stores, _, expect in
                try await stores.records.prepare(model)
                await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            try await stores.records.upsert(model, key: "counter") { record, _ in
                                record["count"] = .integer(StoreContract.integer(record["count"]) + 1)
                            }
                        }
                    }
                    while let result = await group.nextResult() {
                        if case .failure(let error) = result { expect.fail("an upsert threw \(error)") }
                    }
                }
                expect.equal(try await stores.records.fetch(model, key: "counter")?["count"], .integer(50), "count after 50 concurrent increments")
            },
            Check(role: "records", name: "keyset pages walk every record once in the reference order, with counts") { stores, _, expect in
                try await stores.records.prepare(model)
                try await stores.records.prepareListing(model, RecordListing(filterColumns: ["status"], sortColumns: ["updated_at", "task_name"]))
                for index in 0..<23 {
                    try await stores.records.upsert(model, key: "t\(String(format: "%02d", (index * 7) % 23))") { record, _ in
                        record["status"] = .text(index % 3 == 0 ? "failed" : "success")
                        record["updated_at"] = index % 5 == 0 ? .null : .timestamp(Date(timeIntervalSince1970: 1_000 + Double(index % 4)))
                    }
                }
                let all = try await stores.records.list(model, query: RecordQuery(limit: 1000))
                for filters in [[:], ["status": RecordValue.text("failed")]] {
                    var query = RecordPageQuery(sortColumn: "updated_at", descending: true, filters: filters, limit: 4)
                    var walked: [String] = []
                    for _ in 0..<20 {
                        let page = try await stores.records.page(model, query: query)
                        let reference = RecordOrdering.page(of: all, model: model, query: query)
                        expect.equal(page.records.map { $0["task_name"].text ?? "?" }, reference.records.map { $0["task_name"].text ?? "?" },
                                     "page \(walked.count / 4 + 1) of \(filters)")
                        walked += page.records.map { $0["task_name"].text ?? "?" }
                        guard page.hasNext, let cursor = page.lastCursor else { break }
                        query.position = .after(cursor)
                    }
                    expect.equal(walked.count, Set(walked).count, "no record twice in \(filters)")
                    expect.equal(walked.count, all.filter { filters.isEmpty || $0["status"] == .text("failed") }.count, "every record of \(filters)")
                }
                let counts = try await stores.records.counts(model, groupedBy: "status")
                expect.equal(counts, [.text("failed"): 8, .text("success"): 15], "counts by status")
            },
        ]
    }
}
