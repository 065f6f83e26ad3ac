import AsyncDash
import Foundation

/// The listing contract of ``RecordStore`` as a kit, beside ``StoreContract``: keyset pages,
/// search and counts must give the answer ``RecordOrdering`` (the reference) gives — 126
/// queries (3 sort columns × 2 directions × 3 filters × 7 searches, pages of 7) over 61 records
/// with ties, nulls, mixed case and `%`/`_` in values, each walked forward and backward page by
/// page; a search that takes `%` and `_` literally and follows updates and deletes; counts that
/// follow inserts, changes and deletes; and errors that name a bad column.
///
/// ```swift
/// import AsyncDashTesting
/// import Testing
///
/// @Test func myStoreListsLikeTheReference() async throws {
///     let contract = RecordListingContract(driver: "mydb") {
///         let store = try StoreSet.mydb(url: freshURL(), clock: SystemClock()).records
///         try await store.prepare(RecordListingContract.model)
///         try await store.prepareListing(RecordListingContract.model, RecordListingContract.listing)
///         return store
///     }
///     let report = await contract.run()
///     #expect(report.failures.isEmpty, "\(report)")
/// }
/// ```
public struct RecordListingContract: Sendable {
    /// A name for reports.
    public var driver: String
    /// A fresh, empty store with ``model`` prepared (and, to test the indexed path,
    /// ``listing``); called once per check.
    public var makeStore: @Sendable () async throws -> any RecordStore

    public init(driver: String, makeStore: @escaping @Sendable () async throws -> any RecordStore) {
        self.driver = driver
        self.makeStore = makeStore
    }

    /// The model the checks list.
    public static let model: RecordModel = {
        do {
            return try RecordModel(name: "test.Listed", table: "listed", columns: [
                .init("task_name", .text), .init("status", .text), .init("user_label", .text),
                .init("updated_at", .timestamp), .init("created_at", .timestamp), .init("result", .json),
            ])
        } catch {
            preconditionFailure("the listing contract's model is declared wrongly: \(error)")
        }
    }()

    /// What a store may prepare for the checks' queries (``RecordStore/prepareListing(_:_:)``).
    public static let listing = RecordListing(filterColumns: ["status"], sortColumns: ["updated_at", "created_at", "task_name"])

    static let statuses: [RecordValue] = [.text("pending"), .text("in_progress"), .text("success"), .text("failed"), .null]

    /// Writes the 61 records: ties in updated_at, some nulls, mixed-case names, users with `%` and `_`.
    public static func fill(_ store: any RecordStore) async throws {
        for index in 0..<61 {
            let name = (index % 3 == 0 ? "Import-" : "export-") + String(format: "%03d", (index * 37) % 61)
            try await store.upsert(model, key: name) { record, _ in
                record["status"] = statuses[index % statuses.count]
                record["user_label"] = index % 4 == 0 ? .null : .text(["alice", "bob_1", "50%off", "Ab"][index % 4])
                record["updated_at"] = index % 10 == 7 ? .null : .timestamp(Date(timeIntervalSince1970: 1_000 + Double(index % 13)))
                record["created_at"] = .timestamp(Date(timeIntervalSince1970: 500 + Double(index)))
            }
        }
    }

    /// The 126 queries the walk check pages through.
    public static var queries: [RecordPageQuery] {
        var queries: [RecordPageQuery] = []
        for sort in ["updated_at", "created_at", "task_name"] {
            for descending in [true, false] {
                for filters in [[:], ["status": RecordValue.text("success")], ["status": .null]] {
                    for search in [nil, RecordSearch("ab", in: ["task_name", "user_label"]), RecordSearch("_", in: ["user_label"]),
                                   RecordSearch("%", in: ["user_label"]), RecordSearch("PORT-0", in: ["task_name", "user_label"]),
                                   RecordSearch("b_1", in: ["user_label"]), RecordSearch("0%o", in: ["task_name", "user_label"])] {
                        queries.append(RecordPageQuery(sortColumn: sort, descending: descending, filters: filters, search: search, limit: 7))
                    }
                }
            }
        }
        return queries
    }

    /// Runs every check, one after another, each on a fresh store.
    public func run() async -> StoreContractReport {
        var results: [StoreContractReport.Result] = []
        for (name, check) in Self.checks {
            let expect = Expectations()
            do {
                try await check(try await makeStore(), expect)
            } catch {
                expect.fail("threw \(error)")
            }
            results.append(StoreContractReport.Result(check: name, role: "listing", failures: expect.failures))
        }
        return StoreContractReport(driver: driver, results: results)
    }

    typealias ListingCheck = @Sendable (any RecordStore, Expectations) async throws -> Void

    static var checks: [(String, ListingCheck)] {
        [
            ("walking forward and backward gives the reference order, every record once, with the reference flags", walks),
            ("the search is case-insensitive for ASCII letters and takes % and _ literally, and follows updates and deletes", search),
            ("counts by value follow inserts, status changes and deletes", counts),
            ("a column the model lacks, a JSON sort column or a non-text search column is an error naming it", errors),
        ]
    }

    static func key(_ record: Record) -> String { record["task_name"].text ?? "?" }

    static func walks(_ store: any RecordStore, _ expect: Expectations) async throws {
        try await fill(store)
        let all = try await store.list(model, query: RecordQuery(limit: 1_000))
        expect.equal(all.count, 61, "records filled")
        for query in queries {
            var unpaged = query
            unpaged.limit = 1_000
            let expected = RecordOrdering.page(of: all, model: model, query: unpaged).records.map(key)
            var seen: [String] = []
            var current = query
            var steps = 0
            while true {
                let page = try await store.page(model, query: current)
                let reference = RecordOrdering.page(of: all, model: model, query: current)
                expect.equal(page.records.map(key), reference.records.map(key), "forward \(current)")
                expect.that(page.hasNext == reference.hasNext && page.hasPrevious == reference.hasPrevious, "flags \(current)")
                seen += page.records.map(key)
                steps += 1
                guard page.hasNext, let cursor = page.lastCursor, steps < 50 else { break }
                // Through the cursor's token, as a dashboard link carries it.
                guard let type = model.column(query.sortColumn)?.type, let parsed = RecordCursor(token: cursor.token, type: type) else {
                    expect.fail("the cursor token of \(current) does not read back")
                    break
                }
                current.position = .after(parsed)
            }
            expect.equal(seen, expected, "walked forward: \(query)")
            var back: [String] = []
            current = query
            current.position = .last
            steps = 0
            while true {
                let page = try await store.page(model, query: current)
                let reference = RecordOrdering.page(of: all, model: model, query: current)
                expect.equal(page.records.map(key), reference.records.map(key), "backward \(current)")
                expect.that(page.hasNext == reference.hasNext && page.hasPrevious == reference.hasPrevious, "flags \(current)")
                back = page.records.map(key) + back
                steps += 1
                guard page.hasPrevious, let cursor = page.firstCursor, steps < 50 else { break }
                current.position = .before(cursor)
            }
            expect.equal(back, expected, "walked backward: \(query)")
        }
    }

    static func search(_ store: any RecordStore, _ expect: Expectations) async throws {
        try await fill(store)
        func users(_ text: String) async throws -> Set<String> {
            let page = try await store.page(model, query: RecordPageQuery(sortColumn: "task_name", search: RecordSearch(text, in: ["user_label"]), limit: 100))
            return Set(page.records.compactMap { $0["user_label"].text })
        }
        for (text, expected) in [("AB", ["Ab"]), ("_", ["bob_1"]), ("%", ["50%off"]), ("zzz", []), ("OB_", ["bob_1"]),
                                 ("0%OF", ["50%off"]), ("OFF", ["50%off"]), ("lice\"", [])] as [(String, Set<String>)] {
            expect.equal(try await users(text), expected, "users matching '\(text)'")
        }
        func names(_ text: String) async throws -> Set<String> {
            let page = try await store.page(model, query: RecordPageQuery(
                sortColumn: "updated_at", search: RecordSearch(text, in: ["task_name", "user_label"]), limit: 100))
            return Set(page.records.compactMap { $0["task_name"].text })
        }
        let all = try await store.list(model, query: RecordQuery(limit: 1_000))
        let expected = Set(all.filter { RecordSearch("xPoRt-03", in: ["task_name", "user_label"]).matches($0) }.compactMap { $0["task_name"].text })
        expect.that(expected.count >= 2, "the fixture has several matches of 'xPoRt-03'")
        expect.equal(try await names("xPoRt-03"), expected, "names or users matching 'xPoRt-03'")
        try await store.upsert(model, key: "export-037") { record, _ in record["user_label"] = .text("Zed-Renamed") }
        expect.equal(try await names("zed-ren"), ["export-037"], "the search follows an update")
        expect.that(try await !names("ob_1").contains("export-037"), "the old value no longer matches")
        expect.that(try await store.delete(model, key: "export-037"), "delete")
        expect.equal(try await names("zed-ren"), [], "the search follows a delete")
    }

    static func counts(_ store: any RecordStore, _ expect: Expectations) async throws {
        try await fill(store)
        try await store.upsert(model, key: "export-037") { record, _ in record["status"] = .text("cancelled") }
        try await store.upsert(model, key: "Import-000") { record, _ in record["user_label"] = .text("changed") }
        var change = RecordChange()
        change.always.append(.init("status", .text("success")))
        try await store.apply(model, key: "new-one", change)
        expect.that(try await store.delete(model, key: "export-002"), "delete")
        let all = try await store.list(model, query: RecordQuery(limit: 1_000))
        var expected: [RecordValue: Int] = [:]
        for record in all { expected[record["status"], default: 0] += 1 }
        expect.equal(try await store.counts(model, groupedBy: "status"), expected, "counts by status")
        expect.equal(all.count, 61, "filled, one new, one deleted")
    }

    static func errors(_ store: any RecordStore, _ expect: Expectations) async throws {
        for (query, name) in [
            (RecordPageQuery(sortColumn: "nope"), "nope"),
            (RecordPageQuery(sortColumn: "result"), "result"),
            (RecordPageQuery(sortColumn: "task_name", filters: ["stat": .text("x")]), "stat"),
            (RecordPageQuery(sortColumn: "task_name", search: RecordSearch("x", in: ["updated_at"])), "updated_at"),
        ] {
            do {
                _ = try await store.page(model, query: query)
                expect.fail("a page by \(query) did not fail")
            } catch let error as AsyncDashError {
                expect.equal(error.value, name, "the column the error names")
            }
        }
        do {
            _ = try await store.counts(model, groupedBy: "statuz")
            expect.fail("counts by a column the model lacks did not fail")
        } catch is AsyncDashError {}
    }
}
