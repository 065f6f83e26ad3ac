import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// Throughput checks of the SQLite store's group commit. Off unless `ASYNCDASH_BENCH` is set;
/// meaningful in release mode:
///
/// ```sh
/// ASYNCDASH_BENCH=1 swift test -c release --filter SQLiteStoreBenchmark
/// ```
@Suite("SQLite store benchmark", .enabled(if: ProcessInfo.processInfo.environment["ASYNCDASH_BENCH"] != nil), .serialized)
final class SQLiteStoreBenchmarkTests {
    /// The columns of the sample dashboard model.
    private static let model = try! RecordModel(
        name: "bench.TaskRecord", table: "bench_task_records",
        columns: [
            .init("task_name", .text), .init("status", .text), .init("message", .text), .init("progress_payload", .text),
            .init("user_label", .text), .init("affected_objects", .text), .init("task_args", .json), .init("task_kwargs", .json),
            .init("result_payload", .json), .init("cleaned_up", .bool), .init("created_at", .timestamp),
            .init("updated_at", .timestamp), .init("completed_at", .timestamp), .init("failed_at", .timestamp),
        ])

    /// Directories of the SQLite files this test created, removed when the test ends.
    private var directories: [URL] = []

    deinit {
        for directory in directories { try? FileManager.default.removeItem(at: directory) }
    }

    private func makeStore() async throws -> SQLiteStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-bench-\(UUID().uuidString)")
        directories.append(directory)
        let path = directory.appendingPathComponent("bench.sqlite").path
        let synchronous = ProcessInfo.processInfo.environment["ASYNCDASH_BENCH_SYNC"].flatMap(SQLiteStoreOptions.Synchronous.init(name:))
        return try await SQLiteStore.open(path: path, options: SQLiteStoreOptions(synchronous: synchronous ?? .full))
    }

    private static var callers: Int { Int(ProcessInfo.processInfo.environment["ASYNCDASH_BENCH_CALLERS"] ?? "") ?? 64 }

    /// Runs `perCaller` operations in each of `callers` concurrent tasks; returns operations per second.
    private static func measure(perCaller: Int, _ operation: @escaping @Sendable (_ caller: Int, _ i: Int) async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for i in 0..<perCaller { try await operation(caller, i) }
                }
            }
            try await group.waitForAll()
        }
        return Double(callers * perCaller) / (ContinuousClock.now - start).timeInterval
    }

    @Test func upsertsPerSecond() async throws {
        let store = try await makeStore()
        let model = Self.model
        try await store.prepare(model)
        let perCaller = 256_000 / Self.callers
        // A lifecycle: create each record, then update it (as progress events do).
        let rate = try await Self.measure(perCaller: perCaller) { caller, i in
            let key = "task-\(caller)-\(i / 4)"
            try await store.upsert(model, key: key) { record, isNew in
                if isNew {
                    record["status"] = .text("pending")
                    record["message"] = .text("Task queued")
                    record["user_label"] = .text("Anonymous")
                    record["task_args"] = .json([1, 2, 3])
                    record["task_kwargs"] = .json(["dry_run": false, "ids": [4, 5]])
                    record["created_at"] = .timestamp(Date())
                } else {
                    record["status"] = .text("in_progress")
                    record["progress_payload"] = .text("\(i % 4) of 3")
                }
                record["updated_at"] = .timestamp(Date())
            }
        }
        print("SQLite upserts/s with \(Self.callers) callers, synchronous=\(store.options.synchronous): \(Int(rate))")
        #expect(try await store.list(model, query: RecordQuery(limit: 1)).count == 1)
    }

    @Test func appliesPerSecond() async throws {
        let store = try await makeStore()
        let model = Self.model
        try await store.prepare(model)
        // A lifecycle as ModelTrackingAsyncManager writes it: create, then progress updates.
        let rate = try await Self.measure(perCaller: 256_000 / Self.callers) { caller, i in
            var change = RecordChange()
            change.guardColumn = "status"
            change.guardValues = ["success", "failed", "cancelled"]
            let now = Date()
            if i % 4 == 0 {
                change.onInsert = [
                    .init("created_at", .timestamp(now)), .init("user_label", .text("Anonymous")),
                    .init("task_args", .json([1, 2, 3])), .init("task_kwargs", .json(["dry_run": false, "ids": [4, 5]])),
                ]
                change.guarded = [.init("status", .text("pending")), .init("message", .text("Task queued"))]
            } else {
                change.guarded = [.init("status", .text("in_progress"))]
                change.always = [.init("progress_payload", .text("\(i % 4) of 3"))]
            }
            change.always.append(.init("updated_at", .timestamp(now)))
            try await store.apply(model, key: "task-\(caller)-\(i / 4)", change)
        }
        print("SQLite applies/s with \(Self.callers) callers, synchronous=\(store.options.synchronous): \(Int(rate))")
        #expect(try await store.list(model, query: RecordQuery(limit: 1)).count == 1)
    }

    @Test func reserveAndReleasePairsPerSecond() async throws {
        let store = try await makeStore()
        let rate = try await Self.measure(perCaller: 64_000 / Self.callers) { caller, i in
            let owner = "task-\(caller)-\(i)"
            let keys = (0..<10).map { "model:\(caller)-\(i)-\($0)" }
            let result = try await store.reserveLocks(keys, owner: owner, ttl: .seconds(3600))
            precondition(result == .reserved)
            try await store.releaseLocks(owner: owner)
        }
        print("SQLite reserveLocks(10 keys)+releaseLocks pairs/s with \(Self.callers) callers, synchronous=\(store.options.synchronous): \(Int(rate))")
        #expect(try await store.locks().isEmpty)
    }
}
