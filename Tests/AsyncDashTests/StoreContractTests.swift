import AsyncDash
import AsyncDashSQLite
import Foundation
import Synchronization
import Testing

/// A clock moved by hand, so TTL expiry is tested without sleeping.
private final class TestClock: AsyncDashClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    func now() -> Date { current.withLock { $0 } }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}

/// The backends the store contract runs against.
private enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite

    var testDescription: String { rawValue }
}

private let allTypes = try! RecordModel(
    name: "tests.AllTypes", table: "all_types",
    columns: [
        .init("task_name", .text), .init("label", .text), .init("payload", .json), .init("done", .bool),
        .init("count", .integer), .init("ratio", .real), .init("updated_at", .timestamp),
    ])

/// A date that survives any encoding as seconds (a whole number of milliseconds... in binary).
private let someDate = Date(timeIntervalSince1970: 1_800_000_123.5)

@Suite("Store contract")
final class StoreContractTests {
    /// Directories of the SQLite files this test created, removed when the test ends.
    private var directories: [URL] = []

    deinit {
        for directory in directories { try? FileManager.default.removeItem(at: directory) }
    }

    /// Fresh stores of `kind` on `clock` (SQLite: a new file in a new temp directory).
    private func stores(_ kind: StoreKind, clock: TestClock = TestClock()) async throws -> StoreSet {
        switch kind {
        case .memory:
            return .memory(clock: clock)
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-contract-\(UUID().uuidString)")
            directories.append(directory)
            return try await .sqlite(path: directory.appendingPathComponent("store.sqlite").path, clock: clock)
        }
    }
    // MARK: - Records

    @Test(arguments: StoreKind.allCases)
    fileprivate func upsertCreatesThenUpdates(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        let created = try await records.upsert(allTypes, key: "t1") { record, isNew in
            #expect(isNew)
            #expect(record["task_name"] == .text("t1"))
            record["label"] = .text("first")
            record["count"] = .integer(1)
        }
        #expect(created["task_name"] == .text("t1"))
        #expect(created["label"] == .text("first"))
        let updated = try await records.upsert(allTypes, key: "t1") { record, isNew in
            #expect(!isNew)
            #expect(record["label"] == .text("first"))
            record["label"] = .text("second")
        }
        #expect(updated["label"] == .text("second"))
        #expect(updated["count"] == .integer(1))
        let fetched = try #require(try await records.fetch(allTypes, key: "t1"))
        #expect(fetched == updated)
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func upsertOfAColumnTheModelLacksFailsAndWritesNothing(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        try await records.upsert(allTypes, key: "t1") { record, _ in record["label"] = .text("kept") }
        let error = await #expect(throws: AsyncDashError.self) {
            try await records.upsert(allTypes, key: "t1") { record, _ in
                record["label"] = .text("lost")
                record["unknown_column"] = .text("x")
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.value == "unknown_column")
        #expect(try await records.fetch(allTypes, key: "t1")?["label"] == .text("kept"))
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func everyColumnTypeRoundTrips(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        let payload: JSONValue = ["ids": [1, 2, 3], "ratio": 2.5, "whole": 2.0, "name": "x \"quoted\"\n", "none": nil, "ok": true]
        let written = try await records.upsert(allTypes, key: "t1") { record, _ in
            record["label"] = .text("héllo ✓")
            record["payload"] = .json(payload)
            record["done"] = .bool(true)
            record["count"] = .integer(-42)
            record["ratio"] = .real(0.125)
            record["updated_at"] = .timestamp(someDate)
        }
        let fetched = try #require(try await records.fetch(allTypes, key: "t1"))
        for record in [written, fetched] {
            #expect(record["label"] == .text("héllo ✓"))
            #expect(record["payload"] == .json(payload))
            #expect(record["done"] == .bool(true))
            #expect(record["count"] == .integer(-42))
            #expect(record["ratio"] == .real(0.125))
            #expect(record["updated_at"] == .timestamp(someDate))
        }
        try await records.upsert(allTypes, key: "t2") { record, _ in
            record["payload"] = .json("just a string")
            record["done"] = .bool(false)
        }
        let second = try #require(try await records.fetch(allTypes, key: "t2"))
        #expect(second["payload"] == .json("just a string"))
        #expect(second["done"] == .bool(false))
        #expect(second["label"] == .null)
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func fetchOfMissingKeyIsNil(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        #expect(try await records.fetch(allTypes, key: "nope") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func listFiltersSortsAndLimits(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        for (i, label) in ["b", "a", "b", "c", "b"].enumerated() {
            try await records.upsert(allTypes, key: "t\(i)") { record, _ in
                record["label"] = .text(label)
                record["count"] = .integer(10 - i)
                record["done"] = .bool(i % 2 == 0)
            }
        }
        func keys(_ query: RecordQuery) async throws -> [String] {
            try await records.list(allTypes, query: query).map { $0["task_name"].text ?? "?" }
        }
        #expect(try await keys(RecordQuery()) == ["t4", "t3", "t2", "t1", "t0"])
        #expect(try await keys(RecordQuery(descending: false)) == ["t0", "t1", "t2", "t3", "t4"])
        #expect(try await keys(RecordQuery(filters: ["label": .text("b")], orderBy: "count", descending: false)) == ["t4", "t2", "t0"])
        #expect(try await keys(RecordQuery(filters: ["label": .text("b"), "done": .bool(true)], orderBy: "count")) == ["t0", "t2", "t4"])
        #expect(try await keys(RecordQuery(orderBy: "label", descending: false, limit: 3)) == ["t1", "t0", "t2"])
        #expect(try await keys(RecordQuery(orderBy: "label", limit: 2)) == ["t3", "t4"])
        #expect(try await keys(RecordQuery(filters: ["label": .text("zzz")])) == [])
        #expect(try await keys(RecordQuery(filters: ["ratio": .null], limit: 1)) == ["t4"])
        #expect(try await keys(RecordQuery(limit: 0)) == [])
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func deleteRemovesOnlyThatRecord(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        try await records.upsert(allTypes, key: "t1") { _, _ in }
        try await records.upsert(allTypes, key: "t2") { _, _ in }
        #expect(try await records.delete(allTypes, key: "t1"))
        #expect(try await !records.delete(allTypes, key: "t1"))
        #expect(try await records.fetch(allTypes, key: "t1") == nil)
        #expect(try await records.fetch(allTypes, key: "t2") != nil)
        let recreated = try await records.upsert(allTypes, key: "t1") { _, isNew in #expect(isNew) }
        #expect(recreated["task_name"] == .text("t1"))
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func prepareIsIdempotentAndAddsNewColumns(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        let v1 = try RecordModel(name: "tests.Growing", table: "growing", columns: [.init("task_name", .text), .init("status", .text)])
        try await records.prepare(v1)
        try await records.prepare(v1)
        try await records.upsert(v1, key: "old") { record, _ in record["status"] = .text("done") }
        let v2 = try RecordModel(
            name: "tests.Growing", table: "growing",
            columns: [.init("task_name", .text), .init("status", .text), .init("attempts", .integer), .init("updated_at", .timestamp)])
        try await records.prepare(v2)
        try await records.prepare(v2)
        try await records.upsert(v2, key: "new") { record, _ in record["attempts"] = .integer(3) }
        let old = try #require(try await records.fetch(v2, key: "old"))
        #expect(old["status"] == .text("done"))
        #expect(old["attempts"] == .null)
        #expect(try await records.fetch(v2, key: "new")?["attempts"] == .integer(3))
        #expect(try await records.list(v1, query: RecordQuery()).count == 2)
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func concurrentUpsertsOfOneKeyLoseNoIncrement(_ kind: StoreKind) async throws {
        let records = try await stores(kind).records
        try await records.prepare(allTypes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await records.upsert(allTypes, key: "counter") { record, _ in
                        if case .integer(let n) = record["count"] { record["count"] = .integer(n + 1) } else { record["count"] = .integer(1) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await records.fetch(allTypes, key: "counter")?["count"] == .integer(200))
    }

    // MARK: - Locks

    @Test(arguments: StoreKind.allCases)
    fileprivate func reservationIsAllOrNothing(_ kind: StoreKind) async throws {
        let locks = try await stores(kind).coordination
        #expect(try await locks.reserveLocks(["m:1", "m:2"], owner: "a", ttl: .seconds(60)) == .reserved)
        let result = try await locks.reserveLocks(["m:2", "m:3"], owner: "b", ttl: .seconds(60))
        #expect(result == .conflict(["m:2": "a"]))
        #expect(try await locks.lockOwners(["m:1", "m:2", "m:3"]) == ["m:1": "a", "m:2": "a"])
        #expect(try await locks.reserveLocks(["m:3"], owner: "b", ttl: .seconds(60)) == .reserved)
        let both = try await locks.reserveLocks(["m:1", "m:3", "m:4"], owner: "c", ttl: .seconds(60))
        #expect(both == .conflict(["m:1": "a", "m:3": "b"]))
        #expect(try await locks.lockOwners(["m:4"]) == [:])
        #expect(try await locks.reserveLocks(["m:5", "m:5"], owner: "d", ttl: .seconds(60)) == .reserved)
        #expect(try await locks.reserveLocks([], owner: "d", ttl: .seconds(60)) == .reserved)
        #expect(try await locks.releaseLocks(owner: "d") == ["m:5"])
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func sameOwnerReReservesAndRenewsTTL(_ kind: StoreKind) async throws {
        let clock = TestClock()
        let locks = try await stores(kind, clock: clock).coordination
        #expect(try await locks.reserveLocks(["m:1"], owner: "a", ttl: .seconds(10)) == .reserved)
        clock.advance(by: .seconds(8))
        #expect(try await locks.reserveLocks(["m:1", "m:2"], owner: "a", ttl: .seconds(10)) == .reserved)
        clock.advance(by: .seconds(8))
        #expect(try await locks.reserveLocks(["m:1"], owner: "b", ttl: .seconds(10)) == .conflict(["m:1": "a"]))
        #expect(try await locks.releaseLocks(owner: "a") == ["m:1", "m:2"])
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func expiredLockIsFree(_ kind: StoreKind) async throws {
        let clock = TestClock()
        let locks = try await stores(kind, clock: clock).coordination
        #expect(try await locks.reserveLocks(["m:1"], owner: "a", ttl: .seconds(10)) == .reserved)
        clock.advance(by: .seconds(9))
        #expect(try await locks.lockOwners(["m:1"]) == ["m:1": "a"])
        clock.advance(by: .seconds(2))
        #expect(try await locks.lockOwners(["m:1"]) == [:])
        #expect(try await locks.locks().isEmpty)
        #expect(try await locks.reserveLocks(["m:1"], owner: "b", ttl: .seconds(10)) == .reserved)
        #expect(try await locks.lockOwners(["m:1"]) == ["m:1": "b"])
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func releaseIsIdempotentAndReleasesOnlyOwnKeys(_ kind: StoreKind) async throws {
        let clock = TestClock()
        let locks = try await stores(kind, clock: clock).coordination
        #expect(try await locks.reserveLocks(["m:1", "m:2"], owner: "a", ttl: .seconds(10)) == .reserved)
        #expect(try await locks.reserveLocks(["m:3"], owner: "b", ttl: .seconds(100)) == .reserved)
        clock.advance(by: .seconds(11))
        // m:1 expired and went to c: a must not release it.
        #expect(try await locks.reserveLocks(["m:1"], owner: "c", ttl: .seconds(100)) == .reserved)
        #expect(try await locks.reserveLocks(["m:2"], owner: "a", ttl: .seconds(100)) == .reserved)
        #expect(try await locks.releaseLocks(owner: "a") == ["m:2"])
        #expect(try await locks.releaseLocks(owner: "a") == [])
        #expect(try await locks.releaseLocks(owner: "nobody") == [])
        #expect(try await locks.lockOwners(["m:1", "m:2", "m:3"]) == ["m:1": "c", "m:3": "b"])
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func locksListsUnexpiredLocksSortedByKey(_ kind: StoreKind) async throws {
        let clock = TestClock()
        let locks = try await stores(kind, clock: clock).coordination
        try #require(try await locks.reserveLocks(["m:2", "m:1"], owner: "a", ttl: .seconds(100)) == .reserved)
        try #require(try await locks.reserveLocks(["m:0"], owner: "b", ttl: .seconds(5)) == .reserved)
        try #require(try await locks.reserveLocks(["m:3"], owner: "c", ttl: .seconds(100)) == .reserved)
        #expect(try await locks.locks().map(\.key) == ["m:0", "m:1", "m:2", "m:3"])
        clock.advance(by: .seconds(10))
        let listed = try await locks.locks()
        #expect(listed.map(\.key) == ["m:1", "m:2", "m:3"])
        #expect(listed.map(\.owner) == ["a", "a", "c"])
        let expected = clock.now().addingTimeInterval(90).timeIntervalSince1970
        #expect(listed.allSatisfy { abs($0.expiresAt.timeIntervalSince1970 - expected) < 0.001 })
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func opposingReservationsHaveExactlyOneWinner(_ kind: StoreKind) async throws {
        let locks = try await stores(kind).coordination
        let trials = 2_000
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for trial in 0..<trials {
                group.addTask {
                    async let first = locks.reserveLocks(["x:\(trial)", "y:\(trial)"], owner: "p\(trial)", ttl: .seconds(60))
                    async let second = locks.reserveLocks(["y:\(trial)", "x:\(trial)"], owner: "q\(trial)", ttl: .seconds(60))
                    let results = try await [first, second]
                    return results.filter { $0 == .reserved }.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(winners.count == trials)
        #expect(winners.allSatisfy { $0 == 1 })
    }

    // MARK: - Progress, active set, dead letters

    @Test(arguments: StoreKind.allCases)
    fileprivate func progressIsSetReadExpiredAndDeleted(_ kind: StoreKind) async throws {
        let clock = TestClock()
        let store = try await stores(kind, clock: clock).coordination
        let structured = ProgressPayload.structured(.init(done: 40, total: 100, unit: "rows", message: "Reading"))
        try await store.setProgress(.text("Starting"), for: "t1", ttl: .seconds(10))
        #expect(try await store.progress(for: "t1") == .text("Starting"))
        try await store.setProgress(structured, for: "t1", ttl: .seconds(10))
        #expect(try await store.progress(for: "t1") == structured)
        #expect(try await store.progress(for: "t2") == nil)
        #expect(try await store.deleteProgress(for: "t1"))
        #expect(try await !store.deleteProgress(for: "t1"))
        #expect(try await store.progress(for: "t1") == nil)
        try await store.setProgress(.text("Soon gone"), for: "t3", ttl: .seconds(5))
        clock.advance(by: .seconds(6))
        #expect(try await store.progress(for: "t3") == nil)
        #expect(try await !store.deleteProgress(for: "t3"))
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func activeSetIsIdempotentAndSorted(_ kind: StoreKind) async throws {
        let store = try await stores(kind).coordination
        try await store.addActiveTask("t2")
        try await store.addActiveTask("t1")
        try await store.addActiveTask("t2")
        #expect(try await store.activeTasks() == ["t1", "t2"])
        #expect(try await store.removeActiveTask("t2"))
        #expect(try await !store.removeActiveTask("t2"))
        #expect(try await store.activeTasks() == ["t1"])
        #expect(try await store.isActiveTask("t1"))
        #expect(try await !store.isActiveTask("t2"))
        #expect(try await !store.isActiveTask("t"))
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func concurrentActiveTaskAdditionsAreAllKept(_ kind: StoreKind) async throws {
        let store = try await stores(kind).coordination
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1_000 {
                group.addTask { try await store.addActiveTask(String(format: "task-%04d", i)) }
            }
            try await group.waitForAll()
        }
        let active = try await store.activeTasks()
        #expect(active.count == 1_000)
        #expect(active == (0..<1_000).map { String(format: "task-%04d", $0) })
    }

    @Test(arguments: StoreKind.allCases)
    fileprivate func deadLettersRoundTripOldestFirst(_ kind: StoreKind) async throws {
        let store = try await stores(kind).coordination
        let first = DeadLetter(taskName: "t1", event: ["kind": "progress", "done": 3], reason: "no record", at: someDate)
        let second = DeadLetter(taskName: "t2", event: ["kind": "fail"], reason: "store down", at: someDate.addingTimeInterval(1))
        #expect(try await store.deadLetters().isEmpty)
        try await store.deadLetter(first)
        try await store.deadLetter(second)
        #expect(try await store.deadLetters() == [first, second])
    }
}
