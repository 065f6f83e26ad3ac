import AsyncDash
import Foundation
import Testing

/// The `RecordStore.apply(_:key:_:)` contract: every store matches `RecordChange.apply(to:isNew:)`.
@Suite("RecordChange contract")
struct RecordChangeContractTests {
    private static let model: RecordModel = {
        do {
            return try RecordModel(name: "test.Change", table: "changes", columns: [
                .init("task_name", .text), .init("status", .text), .init("note", .text), .init("n", .integer),
                .init("payload", .json), .init("flag", .bool), .init("at", .timestamp), .init("ratio", .real),
            ])
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    private func store(_ backend: Backend) async throws -> any RecordStore {
        let stores = try await backend.makeStores()
        try await stores.records.prepare(Self.model)
        return stores.records
    }

    private func change(onInsert: [RecordChange.Assignment] = [], guarded: [RecordChange.Assignment] = [], always: [RecordChange.Assignment] = []) -> RecordChange {
        var change = RecordChange()
        change.onInsert = onInsert
        change.guarded = guarded
        change.always = always
        change.guardColumn = "status"
        change.guardValues = ["success", "failed"]
        return change
    }

    @Test(arguments: Backend.allCases)
    func insertWritesAllListsWithLaterListsWinning(_ backend: Backend) async throws {
        let store = try await store(backend)
        try await store.apply(Self.model, key: "k", change(
            onInsert: [.init("note", .text("insert")), .init("n", .integer(1))],
            guarded: [.init("note", .text("guarded")), .init("status", .text("pending"))],
            always: [.init("flag", .bool(true))]
        ))
        let record = try #require(try await store.fetch(Self.model, key: "k"))
        #expect(record["note"] == .text("guarded"))
        #expect(record["n"] == .integer(1))
        #expect(record["status"] == .text("pending"))
        #expect(record["flag"] == .bool(true))
    }

    @Test(arguments: Backend.allCases)
    func onInsertIsIgnoredForExistingRecords(_ backend: Backend) async throws {
        let store = try await store(backend)
        try await store.apply(Self.model, key: "k", change(onInsert: [.init("n", .integer(1))]))
        try await store.apply(Self.model, key: "k", change(onInsert: [.init("n", .integer(2))], always: [.init("note", .text("x"))]))
        let record = try #require(try await store.fetch(Self.model, key: "k"))
        #expect(record["n"] == .integer(1))
        #expect(record["note"] == .text("x"))
    }

    @Test(arguments: Backend.allCases)
    func guardedWritesAreSkippedWhileTheGuardHolds(_ backend: Backend) async throws {
        let store = try await store(backend)
        try await store.apply(Self.model, key: "k", change(guarded: [.init("status", .text("success")), .init("note", .text("done"))]))
        try await store.apply(Self.model, key: "k", change(
            guarded: [.init("status", .text("in_progress")), .init("note", .text("late"))],
            always: [.init("payload", .json(["late": true]))]
        ))
        let record = try #require(try await store.fetch(Self.model, key: "k"))
        #expect(record["status"] == .text("success"))
        #expect(record["note"] == .text("done"))
        #expect(record["payload"] == .json(["late": true]))
    }

    @Test(arguments: Backend.allCases)
    func guardedWritesApplyWhenTheGuardDoesNotHold(_ backend: Backend) async throws {
        let store = try await store(backend)
        try await store.apply(Self.model, key: "k", change(guarded: [.init("status", .text("pending"))]))
        try await store.apply(Self.model, key: "k", change(guarded: [.init("status", .text("in_progress")), .init("ratio", .real(0.5))]))
        let record = try #require(try await store.fetch(Self.model, key: "k"))
        #expect(record["status"] == .text("in_progress"))
        #expect(record["ratio"] == .real(0.5))
    }

    @Test(arguments: Backend.allCases)
    func everyColumnTypeRoundTripsThroughApply(_ backend: Backend) async throws {
        let store = try await store(backend)
        let at = Date(timeIntervalSince1970: 1_850_000_000.25)
        try await store.apply(Self.model, key: "k", change(always: [
            .init("note", .text("héllo \"quoted\"")), .init("n", .integer(-7)), .init("payload", .json(["a": [1, 2.5, "x", nil]])),
            .init("flag", .bool(false)), .init("at", .timestamp(at)), .init("ratio", .real(1.25)),
        ]))
        let record = try #require(try await store.fetch(Self.model, key: "k"))
        #expect(record["note"] == .text("héllo \"quoted\""))
        #expect(record["n"] == .integer(-7))
        #expect(record["payload"] == .json(["a": [1, 2.5, "x", nil]]))
        #expect(record["flag"] == .bool(false))
        guard case .timestamp(let back) = record["at"] else { Issue.record("no timestamp"); return }
        #expect(abs(back.timeIntervalSince(at)) < 0.001)
        #expect(record["ratio"] == .real(1.25))
    }

    @Test(arguments: Backend.allCases)
    func concurrentAppliesToOneRecordAreEachApplied(_ backend: Backend) async throws {
        let store = try await store(backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<300 {
                group.addTask { try await store.apply(Self.model, key: "k\(i % 3)", self.change(always: [.init("n", .integer(i))])) }
            }
            try await group.waitForAll()
        }
        let all = try await store.list(Self.model, query: RecordQuery(limit: 10))
        #expect(all.count == 3)
    }

    @Test(arguments: Backend.allCases)
    func applyToAColumnTheModelLacksFails(_ backend: Backend) async throws {
        let store = try await store(backend)
        await #expect(throws: (any Error).self) {
            try await store.apply(Self.model, key: "k", self.change(always: [.init("nope", .text("x"))]))
        }
    }
}
