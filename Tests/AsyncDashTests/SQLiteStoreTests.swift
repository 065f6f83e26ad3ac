import AsyncDash
@testable import AsyncDashSQLite
import Foundation
import Testing


private let counterModel = try! RecordModel(
    name: "tests.Counter", table: "counters",
    columns: [.init("task_name", .text), .init("count", .integer), .init("payload", .json)])

private func increment(_ record: inout Record, _: Bool) {
    if case .integer(let n) = record["count"] { record["count"] = .integer(n + 1) } else { record["count"] = .integer(1) }
}

/// A small deterministic random generator (the test must not differ from run to run).
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next() -> Int { Int(truncatingIfNeeded: next() as UInt64) & Int.max }
}

@Suite("SQLite store")
final class SQLiteStoreTests {
    /// Directories of the SQLite files this test created, removed when the test ends.
    private var directories: [URL] = []

    deinit {
        for directory in directories { try? FileManager.default.removeItem(at: directory) }
    }

    /// A database file in a fresh temp directory.
    private func temporaryDatabasePath() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-sqlite-\(UUID().uuidString)")
        directories.append(directory)
        return directory.appendingPathComponent("store.sqlite").path
    }
    // MARK: - Several connections on one file (as several processes would)

    @Test func twoStoresOnOneFileHaveExactlyOneLockWinnerPerTrial() async throws {
        let path = temporaryDatabasePath()
        let a = try await SQLiteStore.open(path: path)
        let b = try await SQLiteStore.open(path: path)
        let trials = 500
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for trial in 0..<trials {
                group.addTask {
                    async let first = a.reserveLocks(["x:\(trial)", "y:\(trial)"], owner: "a\(trial)", ttl: .seconds(60))
                    async let second = b.reserveLocks(["y:\(trial)", "x:\(trial)"], owner: "b\(trial)", ttl: .seconds(60))
                    return try await [first, second].filter { $0 == .reserved }.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(winners.count == trials)
        #expect(winners.allSatisfy { $0 == 1 })
        #expect(try await a.locks().count == 2 * trials)
    }

    @Test func twoStoresOnOneFileLoseNoIncrement() async throws {
        let path = temporaryDatabasePath()
        let a = try await SQLiteStore.open(path: path)
        let b = try await SQLiteStore.open(path: path)
        // Both prepare at once, as two processes starting together would.
        async let preparedA: Void = a.prepare(counterModel)
        async let preparedB: Void = b.prepare(counterModel)
        _ = try await (preparedA, preparedB)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<400 {
                let store = i % 2 == 0 ? a : b
                group.addTask { try await store.upsert(counterModel, key: "shared", increment) }
            }
            try await group.waitForAll()
        }
        #expect(try await a.fetch(counterModel, key: "shared")?["count"] == .integer(400))
        #expect(try await b.fetch(counterModel, key: "shared")?["count"] == .integer(400))
    }

    @Test func storesOpenedAtOnceOnANewFileAllWork() async throws {
        let path = temporaryDatabasePath()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    let store = try await SQLiteStore.open(path: path)
                    try await store.prepare(counterModel)
                    try await store.upsert(counterModel, key: "shared", increment)
                    try await store.addActiveTask("t\(i)")
                }
            }
            try await group.waitForAll()
        }
        let store = try await SQLiteStore.open(path: path)
        #expect(try await store.fetch(counterModel, key: "shared")?["count"] == .integer(4))
        #expect(try await store.activeTasks() == ["t0", "t1", "t2", "t3"])
    }

    @Test func writesSurviveReopening() async throws {
        let path = temporaryDatabasePath()
        do {
            let store = try await SQLiteStore.open(path: path)
            try await store.prepare(counterModel)
            try await store.upsert(counterModel, key: "kept") { record, _ in record["payload"] = .json(["n": 2.0]) }
            #expect(try await store.reserveLocks(["m:1"], owner: "a", ttl: .seconds(600)) == .reserved)
        }
        let reopened = try await SQLiteStore.open(path: path)
        try await reopened.prepare(counterModel)
        let record = try #require(try await reopened.fetch(counterModel, key: "kept"))
        #expect(record["payload"] == .json(["n": 2.0]))
        #expect(try await reopened.lockOwners(["m:1"]) == ["m:1": "a"])
    }

    // MARK: - Group commit

    @Test func failingWriteInABatchFailsOnlyItsOwnCaller() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await store.prepare(counterModel)
        let unprepared = try RecordModel(name: "tests.Never", table: "never_prepared", columns: [.init("task_name", .text)])
        let outcomes = await withTaskGroup(of: (good: Bool, failed: Bool).self) { group in
            for i in 0..<300 {
                group.addTask {
                    do {
                        if i % 3 == 0 {
                            try await store.upsert(unprepared, key: "bad-\(i)") { _, _ in }
                        } else {
                            try await store.upsert(counterModel, key: "good-\(i % 10)", increment)
                        }
                        return (i % 3 != 0, false)
                    } catch {
                        return (false, i % 3 == 0)
                    }
                }
            }
            return await group.reduce(into: [(good: Bool, failed: Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.filter(\.good).count == 200)
        #expect(outcomes.filter(\.failed).count == 100)
        let counts = try await store.list(counterModel, query: RecordQuery(limit: 100)).map { $0["count"] }
        #expect(counts.count == Set((0..<300).filter { $0 % 3 != 0 }.map { $0 % 10 }).count)
        #expect(counts.reduce(0) { total, value in if case .integer(let n) = value { total + n } else { total } } == 200)
    }

    @Test func jsonColumnsReadBackExactlyWhatWasWritten() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await store.prepare(counterModel)
        let values: [JSONValue] = [
            nil, true, false, 0, -7, .int(Int.max), .int(Int.min), 2.0, -0.5, 1e300, 1.5e-9, 123456789012345.0,
            "", "plain", "quote \" backslash \\ slash / tab \t newline \n", "control \u{01}\u{1F}", "é ✓ 🎉 \u{10FFFF}",
            [], [1, [2, [3, nil]]], [:], ["b": 1, "a": ["nested": [true, 2.25, "x"]]],
        ]
        for (i, value) in values.enumerated() {
            let written = try await store.upsert(counterModel, key: "j\(i)") { record, _ in record["payload"] = .json(value) }
            #expect(written["payload"] == .json(value))
            #expect(try await store.fetch(counterModel, key: "j\(i)")?["payload"] == .json(value), "\(value)")
        }
    }

    @Test func applyMatchesTheReferenceSemanticsOnRandomChanges() async throws {
        let model = try RecordModel(
            name: "tests.Applied", table: "applied",
            columns: [
                .init("task_name", .text), .init("status", .text), .init("state", .json), .init("n", .integer),
                .init("note", .text), .init("at", .timestamp), .init("flag", .bool),
            ])
        let sqlite = try await SQLiteStore.open(path: temporaryDatabasePath())
        let memory = MemoryRecordStore()
        try await sqlite.prepare(model)
        try await memory.prepare(model)
        var random = SplitMix(seed: 42)
        let statuses = ["pending", "in_progress", "success", "failed"]
        func assignment() -> RecordChange.Assignment {
            switch random.next() % 6 {
            case 0: .init("status", .text(statuses[random.next() % 4]))
            case 1: .init("state", .json(.string(statuses[random.next() % 4])))
            case 2: .init("n", .integer(random.next() % 100))
            case 3: .init("note", random.next() % 4 == 0 ? .null : .text("note \(random.next() % 10)"))
            case 4: .init("at", .timestamp(Date(timeIntervalSince1970: 1_800_000_000 + Double(random.next() % 1000) / 4)))
            default: .init("flag", .bool(random.next() % 2 == 0))
            }
        }
        for step in 0..<600 {
            var change = RecordChange()
            change.onInsert = (0..<(random.next() % 3)).map { _ in assignment() }
            change.guarded = (0..<(random.next() % 3)).map { _ in assignment() }
            change.always = (0..<(random.next() % 3)).map { _ in assignment() }
            if random.next() % 4 != 0 {
                change.guardColumn = random.next() % 3 == 0 ? "state" : "status"
                change.guardValues = Array(statuses.shuffled(using: &random).prefix(random.next() % 3))
            }
            let key = "k\(random.next() % 8)"
            try await sqlite.apply(model, key: key, change)
            try await memory.apply(model, key: key, change)
            let expected = try #require(try await memory.fetch(model, key: key))
            let actual = try #require(try await sqlite.fetch(model, key: key))
            for column in model.columns {
                #expect(actual[column.name] == expected[column.name], "step \(step), column \(column.name), change \(change)")
            }
        }
    }

    // MARK: - Schema and queries

    @Test func modelsWithNamesSQLiteCannotHoldAreRejectedWhenDeclared() throws {
        // RecordModel refuses them up front, so no store (and no config) ever sees them.
        #expect(throws: RecordModelError.self) {
            try RecordModel(name: "tests.WithID", table: "with_id", columns: [.init("task_name", .text), .init("id", .integer)])
        }
        #expect(throws: RecordModelError.self) {
            try RecordModel(name: "tests.Reserved", table: "asyncdash_locks", columns: [.init("task_name", .text)])
        }
        #expect(throws: RecordModelError.self) {
            try RecordModel(name: "tests.Cased", table: "cased", columns: [.init("task_name", .text), .init("Task_Name", .text)])
        }
    }

    @Test func listRejectsColumnsTheModelDoesNotHave() async throws {
        let store = try await SQLiteStore.open(path: temporaryDatabasePath())
        try await store.prepare(counterModel)
        let error = await #expect(throws: SQLiteStoreError.self) {
            try await store.list(counterModel, query: RecordQuery(filters: ["nope": .text("x")]))
        }
        #expect(error?.code == .unknownColumn)
        #expect(error?.description.contains("nope") == true)
        await #expect(throws: SQLiteStoreError.self) { try await store.list(counterModel, query: RecordQuery(orderBy: "nope")) }
    }

    // MARK: - URLs

    @Test func parsesRelativeAndAbsoluteURLs() throws {
        let relative = try SQLiteStore.parse(url: "sqlite://var/data/dash.sqlite")
        #expect(relative.path == "var/data/dash.sqlite")
        #expect(relative.options == SQLiteStoreOptions())
        let absolute = try SQLiteStore.parse(url: "sqlite:///tmp/dash%20board.sqlite?synchronous=normal&busy_timeout_ms=2500")
        #expect(absolute.path == "/tmp/dash board.sqlite")
        #expect(absolute.options.synchronous == .normal)
        #expect(absolute.options.busyTimeout == .milliseconds(2500))
        #expect(try SQLiteStore.parse(url: "sqlite:///x.sqlite?synchronous=FULL").options.synchronous == .full)
        #expect(try SQLiteStore.parse(url: "sqlite:///x.sqlite?change_poll_ms=25").options.changePollInterval == .milliseconds(25))
        #expect(SQLiteStoreOptions().changePollInterval == .milliseconds(100))
    }

    // MARK: - The change feed across connections

    @Test func aChangeMadeThroughAnotherConnectionReachesEverySubscriber() async throws {
        let path = temporaryDatabasePath()
        let watcher = try await StoreSet.sqlite(url: "sqlite://\(path)?change_poll_ms=20")
        // The writer never prepares the model (as `worker` does not): its writes are captured anyway.
        try await watcher.records.prepare(counterModel)
        let writer = try await SQLiteStore.open(path: path)
        let subscriptions = try await [watcher.changes.subscribe(), watcher.changes.subscribe(), watcher.changes.subscribe()]
        try await writer.upsert(counterModel, key: "from-elsewhere", increment)
        try await writer.setProgress(.text("half"), for: "progressing", ttl: .seconds(60))
        for subscription in subscriptions {
            var heard: Set<String> = []
            while heard != ["from-elsewhere", "progressing"], let notice = await subscription.next(timeout: .seconds(10)) {
                if case .changed(let names) = notice { heard.formUnion(names) } else { Issue.record("unexpected \(notice)") }
            }
            #expect(heard == ["from-elsewhere", "progressing"])
        }
    }

    @Test func aRenewalOfALockIsNotAChangeButATakeoverIs() async throws {
        let stores = try await StoreSet.sqlite(url: "sqlite://\(temporaryDatabasePath())?change_poll_ms=10")
        #expect(try await stores.coordination.reserveLocks(["k"], owner: "t1", ttl: .seconds(60)) == .reserved)
        let changes = try await stores.changes.subscribe()
        #expect(try await stores.coordination.reserveLocks(["k"], owner: "t1", ttl: .seconds(120)) == .reserved)  // renewal
        #expect(await changes.next(timeout: .milliseconds(300)) == nil)
        _ = try await stores.coordination.releaseLocks(owner: "t1")
        #expect(await changes.next(timeout: .seconds(10)) == .changed(["t1"]))
    }

    @Test func aPollBehindThePrunedLogResyncsItsListeners() async throws {
        // One log row per write transaction: writes one after another, each its own transaction.
        let store = try await SQLiteStore.open(url: "sqlite://\(temporaryDatabasePath())?synchronous=normal")
        let total = SQLiteSchema.changesKept + 2 * SQLiteSchema.changesPruneEvery
        for index in 0..<total {
            try await store.addActiveTask("t\(index)")
        }
        let poller = SQLiteChangePoller(pool: store.pool, interval: .seconds(60))
        let broadcaster = ChangeBroadcaster()
        let changes = broadcaster.subscribe()
        // From the start: the first rows are pruned.
        #expect(try await poller.readChanges(after: 0, for: broadcaster) == Int64(total))
        #expect(await changes.next(timeout: .seconds(1)) == .resync)
        // From near the end: the last two tasks, by name.
        #expect(try await poller.readChanges(after: Int64(total - 2), for: broadcaster) == Int64(total))
        #expect(await changes.next(timeout: .seconds(1)) == .changed(["t\(total - 2)", "t\(total - 1)"]))
        // More than one read takes: a resync, not a partial list.
        #expect(try await poller.readChanges(after: Int64(total - SQLiteSchema.changesPruneEvery - 1), for: broadcaster) == Int64(total))
        #expect(await changes.next(timeout: .seconds(1)) == .resync)
    }

    @Test(arguments: [
        ("postgres://db/x", "sqlite://"),
        ("sqlite://", "no file path"),
        ("sqlite:///x.sqlite?synchronous=off", "synchronous=off"),
        ("sqlite:///x.sqlite?busy_timeout_ms=soon", "busy_timeout_ms=soon"),
        ("sqlite:///x.sqlite?busy_timeout_ms=2147483648", "busy_timeout_ms=2147483648"),
        ("sqlite:///x.sqlite?busy_timeout_ms=-1", "from 0 to 3600000"),
        ("sqlite:///x.sqlite?change_poll_ms=0", "from 10 to 60000"),
        ("sqlite:///x.sqlite?change_poll_ms=9223372036854775808", "change_poll_ms="),
        ("sqlite:///x.sqlite?journal=wal", "journal"),
    ])
    func badURLsNameTheValueAndWhatIsValid(url: String, mentioned: String) throws {
        let error = #expect(throws: SQLiteStoreError.self) { try SQLiteStore.parse(url: url) }
        let description = error?.description ?? ""
        #expect(description.contains(mentioned), "\(description)")
        #expect(description.contains("expected") || description.contains("valid"), "\(description)")
    }

    @Test func storeSetServesBothRolesFromOneFile() async throws {
        let path = temporaryDatabasePath()
        let stores = try await StoreSet.sqlite(url: "sqlite://" + path)
        try await stores.records.prepare(counterModel)
        try await stores.records.upsert(counterModel, key: "t1", increment)
        try await stores.coordination.addActiveTask("t1")
        let other = try await SQLiteStore.open(path: path)
        #expect(try await other.activeTasks() == ["t1"])
        #expect(try await other.fetch(counterModel, key: "t1")?["count"] == .integer(1))
    }
}
