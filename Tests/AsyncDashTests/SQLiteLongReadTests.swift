import AsyncDash
@testable import AsyncDashSQLite
import Foundation
import Synchronization
import Testing

/// Long reads (listing pages, searches, counts) run on connections and threads of their own, a
/// few at a time and each with a time limit, so cheap reads never wait behind them (issue 9,
/// item 2). Real SQLite files.
@Suite("SQLite long reads")
struct SQLiteLongReadTests {
    static let model = try! RecordModel(
        name: "tests.Searched", table: "searched", columns: [.init("task_name", .text), .init("message", .text)])

    /// A read that never ends on its own: counting an endless recursive sequence.
    static let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

    static func store(_ options: SQLiteStoreOptions) async throws -> (SQLiteStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-long-\(UUID().uuidString)")
        return (try await SQLiteStore.open(path: directory.appendingPathComponent("store.sqlite").path, options: options), directory)
    }

    /// Runs `Self.endless` as a long read of `store`.
    static func endlessRead(_ store: SQLiteStore) async throws -> Int64 {
        try await store.scans.read("an endless count") { db in
            let select = try SQLiteRawStatement(db, Self.endless)
            defer { select.reset() }
            _ = try select.step()
            return select.int64(0)
        }
    }

    @Test func aReadPastTheTimeLimitIsStoppedWithAStoreBusyError() async throws {
        let (store, directory) = try await Self.store(.init(readTimeLimit: .milliseconds(200)))
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = await #expect(throws: StoreBusyError.self) { try await Self.endlessRead(store) }
        #expect(error?.reason == .timeLimit(.milliseconds(200)))
        #expect(error?.description.contains("an endless count took longer than 0.2 seconds") == true, "\(String(describing: error))")
        // The connection is usable again afterwards.
        try await store.prepare(Self.model)
        #expect(try await store.page(Self.model, query: RecordPageQuery(sortColumn: "task_name")).records.isEmpty)
    }

    @Test func aSearchedPageOverManyRowsIsStoppedAtTheTimeLimit() async throws {
        let (store, directory) = try await Self.store(.init(readTimeLimit: .milliseconds(1)))
        defer { try? FileManager.default.removeItem(at: directory) }
        try await store.prepare(Self.model)
        try await store.execute(sql: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
            INSERT INTO searched (task_name, message) SELECT 'task-' || i, 'message number ' || i FROM n
            """)
        let query = RecordPageQuery(sortColumn: "task_name", search: RecordSearch("matches nothing", in: ["task_name", "message"]))
        let error = await #expect(throws: StoreBusyError.self) { try await store.page(Self.model, query: query) }
        #expect(error?.description.hasPrefix("a page of searched took longer than") == true, "\(String(describing: error))")
    }

    @Test func longReadsPastTheWaitingLimitAreTurnedAwayAtOnce() async throws {
        let (store, directory) = try await Self.store(.init(scanReaders: 1, readTimeLimit: .seconds(3)))
        defer { try? FileManager.default.removeItem(at: directory) }
        let limit = store.scans.maximumWaiting
        #expect(limit == 16)
        let outcomes = Shared<[String]>([])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<(limit + 4) {
                group.addTask {
                    do {
                        _ = try await Self.endlessRead(store)
                        outcomes.withLock { $0.append("finished") }
                    } catch let error as StoreBusyError {
                        outcomes.withLock { $0.append(error.reason == .tooManyWaiting(limit) ? "turned away" : "stopped") }
                    } catch {
                        outcomes.withLock { $0.append("cancelled") }
                    }
                }
            }
            // The turned-away ones answer without waiting for a connection; then end the rest.
            while outcomes.withLock({ $0.count }) < 4 { try? await Task.sleep(for: .milliseconds(20)) }
            group.cancelAll()
        }
        let all = outcomes.withLock { $0 }
        #expect(all.filter { $0 == "turned away" }.count == 4, "\(all)")
        #expect(!all.contains("finished"), "\(all)")
    }

    @Test func cheapReadsAnswerWhileMoreLongReadsRunThanThereAreCores() async throws {
        let (store, directory) = try await Self.store(.init(scanReaders: 2, readTimeLimit: .seconds(5)))
        defer { try? FileManager.default.removeItem(at: directory) }
        try await store.prepare(Self.model)
        try await store.upsert(Self.model, key: "cheap") { record, _ in record["message"] = .text("here") }
        try await store.setProgress(.text("3/10"), for: "cheap", ttl: .seconds(60))
        let longReadsRunning = Shared(true)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let answeredDuringLongReads = try await withThrowingTaskGroup(of: Int.self) { group in
            // More long reads than cooperative threads: were they on the pool, nothing else would run.
            for _ in 0..<(cores * 2 + 2) {
                group.addTask {
                    _ = try? await Self.endlessRead(store)
                    longReadsRunning.withLock { $0 = false }
                    return 0
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(200))
                var answered = 0
                for _ in 0..<20 {
                    let record = try await store.fetch(Self.model, key: "cheap")
                    let progress = try await store.progress(for: "cheap")
                    if record?["message"] == .text("here"), progress == .text("3/10"), longReadsRunning.withLock({ $0 }) { answered += 1 }
                }
                return answered
            }
            let answered = try await group.next() ?? 0
            group.cancelAll()
            return answered
        }
        #expect(answeredDuringLongReads == 20, "cheap reads answered while long reads ran: \(answeredDuringLongReads) of 20")
    }

    @Test func theURLOptionsAreRangeChecked() throws {
        let (_, options) = try SQLiteStore.parse(url: "sqlite://x.sqlite?scan_readers=4&read_timeout_ms=2500")
        #expect(options.scanReaders == 4)
        #expect(options.readTimeLimit == .milliseconds(2500))
        for bad in ["scan_readers=0", "scan_readers=65", "scan_readers=two", "read_timeout_ms=0", "read_timeout_ms=3600001", "read_timeout_ms=1e300"] {
            let error = #expect(throws: SQLiteStoreError.self) { try SQLiteStore.parse(url: "sqlite://x.sqlite?\(bad)") }
            #expect(error?.description.contains(bad) == true, "\(String(describing: error))")
        }
    }
}

/// A value shared by the tasks of one test.
private final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}
