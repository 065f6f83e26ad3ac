import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// The listing contract of ``RecordStore``: keyset pages, search, counts. Every store must give the
/// answer ``RecordOrdering`` (the reference) gives, page by page, in both directions.
@Suite("Record store listing contract")
struct RecordListingContractTests {
    /// memory; SQLite with indexes and kept counts; SQLite without (plain scans).
    enum Variant: String, CaseIterable, CustomTestStringConvertible {
        case memory, sqliteIndexed, sqlitePlain
        var testDescription: String { rawValue }

        func makeStore(_ model: RecordModel) async throws -> any RecordStore {
            let store: any RecordStore = switch self {
            case .memory: MemoryRecordStore()
            case .sqliteIndexed, .sqlitePlain: try Backend.sqlite.makeStores().records
            }
            try await store.prepare(model)
            if self != .sqlitePlain { try await store.prepareListing(model, Self.listing) }
            return store
        }

        static let listing = RecordListing(filterColumns: ["status"], sortColumns: ["updated_at", "created_at", "task_name"])
    }

    static let model = try! RecordModel(name: "test.Listed", table: "listed", columns: [
        .init("task_name", .text), .init("status", .text), .init("user_label", .text),
        .init("updated_at", .timestamp), .init("created_at", .timestamp), .init("result", .json),
    ])

    static let statuses: [RecordValue] = [.text("pending"), .text("in_progress"), .text("success"), .text("failed"), .null]

    /// 61 records: ties in updated_at, some nulls, mixed-case names, users with `%` and `_`.
    static func fill(_ store: any RecordStore) async throws {
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

    static var queries: [RecordPageQuery] {
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

    func key(_ record: Record) -> String { record["task_name"].text ?? "?" }

    @Test("walking forward and backward gives the reference order, every record once, with the reference flags",
          arguments: Variant.allCases)
    func walks(_ variant: Variant) async throws {
        let model = Self.model
        let store = try await variant.makeStore(model)
        try await Self.fill(store)
        let all = try await store.list(model, query: RecordQuery(limit: 1_000))
        #expect(all.count == 61)
        for query in Self.queries {
            var unpaged = query
            unpaged.limit = 1_000
            let expected = RecordOrdering.page(of: all, model: model, query: unpaged).records.map(key)
            // Forward.
            var seen: [String] = []
            var current = query
            var steps = 0
            while true {
                let page = try await store.page(model, query: current)
                let reference = RecordOrdering.page(of: all, model: model, query: current)
                #expect(page.records.map(key) == reference.records.map(key), "\(variant) forward \(current)")
                #expect(page.hasNext == reference.hasNext && page.hasPrevious == reference.hasPrevious, "\(variant) flags \(current)")
                seen += page.records.map(key)
                steps += 1
                guard page.hasNext, let cursor = page.lastCursor, steps < 50 else { break }
                current.position = .after(RecordCursor(token: cursor.token, type: model.column(query.sortColumn)!.type)!)
            }
            #expect(seen == expected, "\(variant) \(query)")
            // Backward from the last page.
            var back: [String] = []
            current = query
            current.position = .last
            steps = 0
            while true {
                let page = try await store.page(model, query: current)
                let reference = RecordOrdering.page(of: all, model: model, query: current)
                #expect(page.records.map(key) == reference.records.map(key), "\(variant) backward \(current)")
                #expect(page.hasNext == reference.hasNext && page.hasPrevious == reference.hasPrevious, "\(variant) flags \(current)")
                back = page.records.map(key) + back
                steps += 1
                guard page.hasPrevious, let cursor = page.firstCursor, steps < 50 else { break }
                current.position = .before(cursor)
            }
            #expect(back == expected, "\(variant) backward \(query)")
        }
    }

    @Test("the search is case-insensitive for ASCII letters and takes % and _ literally", arguments: Variant.allCases)
    func search(_ variant: Variant) async throws {
        let store = try await variant.makeStore(Self.model)
        try await Self.fill(store)
        func names(_ text: String) async throws -> Set<String> {
            let page = try await store.page(Self.model, query: RecordPageQuery(sortColumn: "task_name", search: RecordSearch(text, in: ["user_label"]), limit: 100))
            return Set(page.records.compactMap { $0["user_label"].text })
        }
        #expect(try await names("AB") == ["Ab"])
        #expect(try await names("_") == ["bob_1"])
        #expect(try await names("%") == ["50%off"])
        #expect(try await names("zzz").isEmpty)
        #expect(try await names("OB_") == ["bob_1"])
        #expect(try await names("0%OF") == ["50%off"])
        #expect(try await names("OFF") == ["50%off"])
        // The search follows updates and deletes.
        func both(_ text: String) async throws -> Set<String> {
            let page = try await store.page(Self.model, query: RecordPageQuery(
                sortColumn: "updated_at", search: RecordSearch(text, in: ["task_name", "user_label"]), limit: 100))
            return Set(page.records.compactMap { $0["task_name"].text })
        }
        let all = try await store.list(Self.model, query: RecordQuery(limit: 1_000))
        let expected = Set(all.filter { RecordSearch("xPoRt-03", in: ["task_name", "user_label"]).matches($0) }.compactMap { $0["task_name"].text })
        #expect(expected.count >= 2)
        #expect(try await both("xPoRt-03") == expected)
        try await store.upsert(Self.model, key: "export-037") { record, _ in record["user_label"] = .text("Zed-Renamed") }
        #expect(try await both("zed-ren") == ["export-037"])
        #expect(try await both("ob_1").contains("export-037") == false)
        #expect(try await store.delete(Self.model, key: "export-037"))
        #expect(try await both("zed-ren").isEmpty)
        #expect(try await names("lice\"") == [])
    }

    @Test("counts by value follow inserts, status changes and deletes", arguments: Variant.allCases)
    func counts(_ variant: Variant) async throws {
        let model = Self.model
        let store = try await variant.makeStore(model)
        try await Self.fill(store)
        try await store.upsert(model, key: "export-037") { record, _ in record["status"] = .text("cancelled") }
        try await store.upsert(model, key: "Import-000") { record, _ in record["user_label"] = .text("changed") }
        var change = RecordChange()
        change.always.append(.init("status", .text("success")))
        try await store.apply(model, key: "new-one", change)
        #expect(try await store.delete(model, key: "export-002"))
        let all = try await store.list(model, query: RecordQuery(limit: 1_000))
        var expected: [RecordValue: Int] = [:]
        for record in all { expected[record["status"], default: 0] += 1 }
        #expect(try await store.counts(model, groupedBy: "status") == expected)
        #expect(all.count == 61 + 1 - 1)  // filled, one new, one deleted
    }

    @Test("a column the model lacks, a JSON sort column or a non-text search column is an error naming it",
          arguments: Variant.allCases)
    func errors(_ variant: Variant) async throws {
        let store = try await variant.makeStore(Self.model)
        for (query, name) in [
            (RecordPageQuery(sortColumn: "nope"), "nope"),
            (RecordPageQuery(sortColumn: "result"), "result"),
            (RecordPageQuery(sortColumn: "task_name", filters: ["stat": .text("x")]), "stat"),
            (RecordPageQuery(sortColumn: "task_name", search: RecordSearch("x", in: ["updated_at"])), "updated_at"),
        ] {
            let error = await #expect(throws: AsyncDashError.self) { try await store.page(Self.model, query: query) }
            #expect(error?.value == name)
        }
        await #expect(throws: AsyncDashError.self) { try await store.counts(Self.model, groupedBy: "statuz") }
    }

    @Test("a cursor token reads back as the same cursor; garbage reads as nil")
    func cursorTokens() {
        let cursors = [
            RecordCursor(value: .timestamp(Date(timeIntervalSince1970: 1_732_000_000.123456)), key: "a/b+c?"),
            RecordCursor(value: .null, key: "x"),
        ]
        for cursor in cursors {
            #expect(RecordCursor(token: cursor.token, type: .timestamp) == cursor)
        }
        #expect(RecordCursor(value: .text("é\"<"), key: "k").token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(RecordCursor(token: RecordCursor(value: .text("v"), key: "k").token, type: .text) == RecordCursor(value: .text("v"), key: "k"))
        #expect(RecordCursor(token: "!!!", type: .text) == nil)
        #expect(RecordCursor(token: "WzFd", type: .text) == nil)  // [1]
    }
}
