@testable import AsyncDashPostgres
import AsyncDash
import Foundation
import Logging
import PostgresNIO
import Testing

/// The rewriting that sends a batch's statements in one call: values never enter the SQL text,
/// and anything the rewriting cannot read with certainty is refused (sent the ordinary way).
@Suite("PostgreSQL statement batches: rewriting")
struct PostgresStatementRewriteTests {
    @Test func placeholdersBecomeTypedElementsOfOneArrayAfterTheEarlierStatements() throws {
        let statement = PostgresStatement(
            "INSERT INTO \"s\".t (a, b, c, d, e) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (a) DO UPDATE SET b = $2",
            [.text("x"), .int(-7), .double(0.1), .null, .bool(true)])
        let (sql, values) = try #require(PostgresStatementBatch.rewrite(statement, base: 3))
        #expect(
            sql == "INSERT INTO \"s\".t (a, b, c, d, e) VALUES (($1[4])::text, ($1[5])::int8, ($1[6])::float8, NULL, ($1[7])::bool) "
                + "ON CONFLICT (a) DO UPDATE SET b = ($1[5])::int8")
        #expect(values == ["x", "-7", "0.1", "t"])
    }

    @Test func quotedNamesAndStringLiteralsAreCopiedAsTheyAre() throws {
        // A table name from config may hold `$1` and quotes: it is inside a quoted identifier.
        let statement = PostgresStatement("UPDATE \"a$1\"\"b\" SET s = 'it''s $2' WHERE k = $1", [.text("\"; DROP TABLE x; --")])
        let (sql, values) = try #require(PostgresStatementBatch.rewrite(statement, base: 0))
        #expect(sql == "UPDATE \"a$1\"\"b\" SET s = 'it''s $2' WHERE k = ($1[1])::text")
        #expect(values == ["\"; DROP TABLE x; --"])
    }

    @Test(arguments: [
        "SELECT $$x$$", "SELECT E'\\n' WHERE a = $1", "SELECT 1 -- $1", "SELECT /* $1 */ 1", "SELECT $0", "SELECT $3",
        "SELECT 'open", "SELECT \"open", "SELECT a$1", "SELECT $",
    ])
    func whatItCannotReadWithCertaintyIsRefused(_ sql: String) {
        #expect(PostgresStatementBatch.rewrite(PostgresStatement(sql, [.text("a"), .text("b")]), base: 0) == nil)
    }

    @Test func oneRowInsertsOfOneShapeBecomeOneInsertAndRowsOfOneKeyGoInSeparateOnesInOrder() throws {
        func progress(_ task: String, _ text: String) -> PostgresStatement {
            .insert(
                "INSERT INTO p (task, payload)", types: ["text", "text"], row: [.text(task), .text(text)],
                "ON CONFLICT (task) DO UPDATE SET payload = excluded.payload", key: 0)
        }
        func audit(_ task: String, _ outcome: PostgresValue) -> PostgresStatement {
            .insert("INSERT INTO a (task_name, outcome)", types: ["text", "text"], row: [.text(task), outcome], "")
        }
        let other = PostgresStatement("DELETE FROM x WHERE k = $1", [.text("k")])
        let merged = PostgresStatementBatch.merged([
            progress("t1", "a"), audit("t1", .text("ok")), progress("t2", "b"), other, progress("t1", "c"), audit("t2", .null),
            progress("t3", "d"),
        ])
        let unnest = "SELECT u.c1, u.c2 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(c1, c2, i) ORDER BY u.i"
        // Inserts first, in the order of their text (the order concurrent batches lock rows in),
        // then the other statements.
        #expect(merged.map(\.sql) == [
            "INSERT INTO a (task_name, outcome) \(unnest) ",
            "INSERT INTO p (task, payload) \(unnest) ON CONFLICT (task) DO UPDATE SET payload = excluded.payload",
            // t1's second progress, after its first, alone: one insert cannot update a row twice.
            "INSERT INTO p (task, payload) VALUES ($1, $2) ON CONFLICT (task) DO UPDATE SET payload = excluded.payload",
            "DELETE FROM x WHERE k = $1",
        ])
        #expect(try #require(PostgresStatementBatch.rewrite(merged[0], base: 0)).1 == [#"{"t1","t2"}"#, #"{"ok",NULL}"#])
        #expect(try #require(PostgresStatementBatch.rewrite(merged[1], base: 0)).1 == [#"{"t1","t2","t3"}"#, #"{"a","b","d"}"#])
        #expect(try #require(PostgresStatementBatch.rewrite(merged[2], base: 0)).1 == ["t1", "c"])
    }

    @Test func rowsThatUpdateOnConflictAreInKeyOrder() throws {
        let rows = ["b", "a", "c"].map { task in
            PostgresStatement.insert("INSERT INTO p (task)", types: ["text"], row: [.text(task)], "ON CONFLICT (task) DO UPDATE SET task = excluded.task", key: 0)
        }
        let merged = PostgresStatementBatch.merged(rows)
        #expect(merged.count == 1)
        #expect(try #require(PostgresStatementBatch.rewrite(merged[0], base: 0)).1 == [#"{"a","b","c"}"#])
    }

    @Test func insertsWithDifferentSharedValuesStayApart() {
        func guarded(_ task: String, _ guardValue: String) -> PostgresStatement {
            .insert(
                "INSERT INTO r AS t (k, s)", types: ["text", "text"], row: [.text(task), .text("x")],
                "ON CONFLICT (k) DO UPDATE SET s = CASE WHEN t.s IN ($3) THEN t.s ELSE excluded.s END", shared: [.text(guardValue)], key: 0)
        }
        #expect(PostgresStatementBatch.merged([guarded("a", "done"), guarded("b", "done"), guarded("c", "failed")]).count == 2)
    }

    @Test func deletesByKeyOfOneShapeBecomeOneDeleteWhoseRowsGoToTheFirstAskerOfTheirKey() throws {
        func delete(_ key: String, write: Int) -> PostgresStatement {
            var statement = PostgresStatement.delete(from: "s.active", where: "task", equals: key, returning: [])
            statement.route = .write(write)
            return statement
        }
        var other = PostgresStatement("DELETE FROM s.locks WHERE owner = $1", [.text("o")])
        other.route = .write(9)
        let merged = PostgresStatementBatch.merged([delete("a", write: 0), other, delete("b", write: 1), delete("a", write: 2)])
        #expect(merged.map(\.sql) == [#"DELETE FROM s.active WHERE "task" = ANY($1::text[]) RETURNING "task""#, "DELETE FROM s.locks WHERE owner = $1"])
        #expect(merged[0].route == .byKey(column: "task", writes: ["a": 0, "b": 1]))
        #expect(try #require(PostgresStatementBatch.rewrite(merged[0], base: 0)).1 == [#"{"a","b"}"#])
        // One delete alone stays as it is.
        #expect(PostgresStatementBatch.merged([delete("a", write: 0)]).map(\.sql) == [#"DELETE FROM s.active WHERE "task" = $1 RETURNING "task""#])
    }

    @Test func arraysQuoteEveryElement() {
        #expect(PostgresStatementBatch.arrayText(["a\"b", "c\\d", "", "NULL", "x,y", "{}"]) == #"{"a\"b","c\\d","","NULL","x,y","{}"}"#)
        #expect(PostgresStatementBatch.arrayText([]) == "{}")
    }

    @Test func doublesReadBackExactly() {
        for double in [0.1, -0.0, 1e-300, 5e-324, Double.greatestFiniteMagnitude, 1_764_529_000.123_456, 3] {
            #expect(Double(PostgresStatementBatch.doubleText(double)) == double)
        }
        #expect(PostgresStatementBatch.doubleText(.nan) == "NaN")
        #expect(PostgresStatementBatch.doubleText(-.infinity) == "-Infinity")
    }
}

/// Batches on a real server: every kind of short write goes in one call, hostile values come
/// back exactly, and a write at fault fails alone.
@Suite("PostgreSQL statement batches", needsPostgres)
struct PostgresBatchTests {
    static let model: RecordModel = {
        do {
            return try RecordModel(name: "test.Batched", table: "batched", columns: [
                .init("task_name", .text), .init("message", .text), .init("detail", .json), .init("count", .integer),
                .init("ratio", .real), .init("flag", .bool), .init("at", .timestamp),
            ])
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    static let hostile = [
        "plain", "it's", "\"; DROP TABLE batched; --", "$1 $2 $$", "back\\slash", "{\"a\",\"b\"}", "NULL", "", "x,y", "🙂 ünïcödé",
        "E'\\n'", "/* c */ -- d",
    ]

    @Test func everyKindOfShortWriteGoesInOneCallAndHostileValuesComeBackExactly() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        try await store.prepare(Self.model)
        let at = Date(timeIntervalSince1970: 1_764_529_000.123_456)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, text) in Self.hostile.enumerated() {
                let key = "task-\(index)-\(text)"
                group.addTask {
                    var change = RecordChange()
                    change.always = [
                        .init("message", .text(text)), .init("detail", .json(["text": .string(text), "n": .int(index)])),
                        .init("count", .integer(Int.min + index)), .init("ratio", .real(index == 0 ? -0.0 : 1e-300 * Double(index))),
                        .init("flag", .bool(index % 2 == 0)), .init("at", .timestamp(at)),
                    ]
                    try await store.apply(Self.model, key: key, change)
                }
                group.addTask { try await store.setProgress(.text(text), for: key, ttl: .seconds(60)) }
                group.addTask { try await store.addActiveTask(key) }
                group.addTask { try await store.append(AuditEntry(taskName: key, action: text, actor: text, at: at, outcome: text)) }
                group.addTask { try await store.append([OutboxMessage(consumer: "c", event: .string(text), createdAt: at, eventID: key)]) }
                group.addTask { try await store.deadLetter(DeadLetter(taskName: key, event: .string(text), reason: text, at: at)) }
            }
            try await group.waitForAll()
        }
        #expect(store.batchFallbacks == 0, "a batch call failed and the batch was sent one statement at a time")

        for (index, text) in Self.hostile.enumerated() {
            let key = "task-\(index)-\(text)"
            let record = try #require(try await store.fetch(Self.model, key: key))
            #expect(record["message"] == .text(text))
            #expect(record["detail"] == .json(["text": .string(text), "n": .int(index)]))
            #expect(record["count"] == .integer(Int.min + index))
            #expect(record["ratio"] == .real(index == 0 ? -0.0 : 1e-300 * Double(index)))
            #expect(record["flag"] == .bool(index % 2 == 0))
            #expect(record["at"] == .timestamp(at))
            #expect(try await store.progress(for: key) == .text(text))
            #expect(try await store.isActiveTask(key))
            #expect(try await store.entries(forTask: key, limit: 5) == [AuditEntry(taskName: key, action: text, actor: text, at: at, outcome: text)])
        }
        let outbox = try await store.entries(consumer: "c", states: [.pending], limit: 100)
        #expect(Set(outbox.map(\.message.event)) == Set(Self.hostile.map { JSONValue.string($0) }))
        #expect(try await store.deadLetters().map(\.reason).sorted() == Self.hostile.sorted())
    }

    @Test func concurrentWritesOfOneKeyAllLandWithoutAFallback() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        try await store.prepare(Self.model)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    var change = RecordChange()
                    change.always = [.init("message", .text("m\(index)"))]
                    change.onInsert = [.init("count", .integer(index))]
                    try await store.apply(Self.model, key: "same-\(index % 3)", change)
                }
                group.addTask { try await store.setProgress(.text("p\(index)"), for: "same-\(index % 3)", ttl: .seconds(60)) }
                group.addTask { try await store.addActiveTask("same-\(index % 3)") }
            }
            try await group.waitForAll()
        }
        #expect(store.batchFallbacks == 0)
        for key in 0..<3 {
            let record = try #require(try await store.fetch(Self.model, key: "same-\(key)"))
            // The first insert's count stays (onInsert); the message is one of the writes'.
            guard case .text(let message) = record["message"], let n = Int(message.dropFirst()) else {
                Issue.record("message \(String(describing: record["message"]))")
                continue
            }
            #expect(n % 3 == key)
            guard case .integer(let count) = record["count"] else {
                Issue.record("count \(String(describing: record["count"]))")
                continue
            }
            #expect(count % 3 == key)
        }
        #expect(try await store.activeTasks() == ["same-0", "same-1", "same-2"])
    }

    @Test func concurrentDeletesByKeyEachGetTheirOwnRowsAndOneOfTwoAskersOfAKeyGetsIt() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        for index in 0..<30 {
            try await store.addActiveTask("t\(index)")
            try await store.setProgress(.text("p"), for: "t\(index)", ttl: .seconds(60))
            _ = try await store.reserveLocks(["k\(index)-a", "k\(index)-b"], owner: "t\(index)", ttl: .seconds(60))
        }
        // Each task's three deletes twice at once: one of the two gets each answer.
        let results = try await withThrowingTaskGroup(of: (Int, Bool, Bool, [String]).self) { group in
            for index in 0..<60 {
                group.addTask {
                    let task = "t\(index % 30)"
                    async let removed = store.removeActiveTask(task)
                    async let deleted = store.deleteProgress(for: task)
                    async let released = store.releaseLocks(owner: task)
                    return (index % 30, try await removed, try await deleted, try await released)
                }
            }
            return try await group.reduce(into: [(Int, Bool, Bool, [String])]()) { $0.append($1) }
        }
        for task in 0..<30 {
            let mine = results.filter { $0.0 == task }
            #expect(mine.filter(\.1).count == 1, "task \(task): removed from the active set once")
            #expect(mine.filter(\.2).count == 1, "task \(task): its progress deleted once")
            #expect(mine.map(\.3).filter { !$0.isEmpty } == [["k\(task)-a", "k\(task)-b"]], "task \(task): its locks released once")
        }
        #expect(try await store.activeTasks().isEmpty)
        #expect(try await store.locks().isEmpty)
        #expect(store.batchFallbacks == 0)
    }

    /// Collects the task names of notices until `expected` are all seen or 5 s pass, then 300 ms more.
    static func names(from changes: ChangeSubscription, expecting expected: Set<String>) async -> Set<String> {
        var seen: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !expected.isSubset(of: seen), ContinuousClock.now < deadline {
            if case .changed(let names)? = await changes.next(timeout: .milliseconds(200)) { seen.formUnion(names) }
        }
        while case .changed(let names)? = await changes.next(timeout: .milliseconds(300)) { seen.formUnion(names) }
        return seen
    }

    @Test func statementTriggersNameEachChangedTaskAndALockExtensionIsNoChange() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        try await store.prepare(Self.model)
        _ = try await store.reserveLocks(["held"], owner: "holder", ttl: .seconds(60))
        let changes = try await store.subscribe()

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    var change = RecordChange()
                    change.always = [.init("message", .text("m"))]
                    try await store.apply(Self.model, key: "r\(index)", change)
                }
                group.addTask { try await store.setProgress(.text("p"), for: "p\(index)", ttl: .seconds(60)) }
            }
            try await group.waitForAll()
        }
        let written = Set((0..<20).flatMap { ["r\($0)", "p\($0)"] })
        #expect(await Self.names(from: changes, expecting: written) == written)

        // A heartbeat's extension of a held lock is no change; taking an expired one is.
        _ = try await store.run(
            "extending", "UPDATE \(store.names.locks) SET expires_at = expires_at + 60 WHERE owner = 'holder'")
        #expect(await Self.names(from: changes, expecting: []) == [])
        _ = try await store.run("expiring", "UPDATE \(store.names.locks) SET expires_at = 0 WHERE owner = 'holder'")
        _ = await Self.names(from: changes, expecting: [])
        #expect(try await store.reserveLocks(["held"], owner: "taker", ttl: .seconds(60)) == .reserved)
        #expect(await Self.names(from: changes, expecting: ["holder", "taker"]) == ["holder", "taker"])
        #expect(store.batchFallbacks == 0)
    }

    @Test func schemaStatementsRunInOneBlockAndOnesItCannotQuoteRunAlone() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        let q = store.names.q
        try await store.transaction("testing runAll") { connection in
            try await PostgresSchema.runAll(
                [
                    "CREATE TABLE \(q).a (v text DEFAULT 'it''s')",
                    "CREATE TABLE \(q).b (v text DEFAULT 'back\\slash')",
                    "CREATE FUNCTION \(q).f() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
                    "INSERT INTO \(q).a DEFAULT VALUES", "INSERT INTO \(q).b DEFAULT VALUES",
                ], connection, logger: Logger(label: "test"))
        }
        #expect(try await store.run("reading", "SELECT v FROM \(q).a").first?.required(0, as: String.self) == "it's")
        #expect(try await store.run("reading", "SELECT v FROM \(q).b").first?.required(0, as: String.self) == "back\\slash")
        #expect(try await store.run("reading", "SELECT \(q).f()").first?.required(0, as: String.self) == "x")
    }

    @Test func aWriteTheServerRefusesFailsAloneAndTheOthersInItsBatchAreStored() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema))
        try await store.prepare(Self.model)
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    var change = RecordChange()
                    // PostgreSQL text cannot hold NUL: the server refuses this one write.
                    change.always = [.init("message", .text(index == 17 ? "bad\u{0}byte" : "good \(index)"))]
                    do {
                        try await store.apply(Self.model, key: "t\(index)", change)
                        return (index, true)
                    } catch {
                        return (index, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.filter { !$0.value }.map(\.key) == [17])
        for index in 0..<40 where index != 17 {
            #expect(try await store.fetch(Self.model, key: "t\(index)")?["message"] == .text("good \(index)"))
        }
        #expect(try await store.fetch(Self.model, key: "t17") == nil)
    }

    /// A connection prepares at most 256 statement shapes; past that a new shape runs unprepared,
    /// with the same values and results. One connection (pool_size=1) sees 300 shapes, each with a
    /// hostile value, twice: the second time through prepared and unprepared statements alike.
    @Test func shapesPastWhatAConnectionPreparesRunUnpreparedWithTheSameResults() async throws {
        let schema = TestPostgres.freshSchema("batch")
        defer { Task { await TestPostgres.drop([schema]) } }
        let store = try PostgresStore(url: TestPostgres.url(schema: schema) + "&pool_size=1&write_batches=1")
        let table = "\(PostgresNames.quote(schema)).shapes"
        _ = try await store.run("test table", "CREATE TABLE \(table) (k text PRIMARY KEY, v text NOT NULL, shape int NOT NULL)")
        let hostile = "it's \"$1\" \\ {a,b} NULL ; --"
        for round in 0..<2 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for shape in 0..<300 {
                    group.addTask {
                        // The constant makes each statement's text, and so its prepared name, differ.
                        let statement = PostgresStatement(
                            "INSERT INTO \(table) (k, v, shape) VALUES ($1, $2, \(shape)) ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING k",
                            [.text("k\(shape)"), .text(hostile + "\(round)")], returnsRows: true)
                        let rows = try await store.write("shape \(shape)", statements: [statement])
                        #expect(rows.count == 1)
                    }
                }
                try await group.waitForAll()
            }
        }
        let rows = try await store.run("reading back", "SELECT k, v, shape FROM \(table) ORDER BY shape")
        #expect(rows.count == 300)
        for (index, row) in rows.enumerated() {
            let (k, v, shape) = try row.decode((String, String, Int).self)
            #expect(k == "k\(index)" && shape == index && v == hostile + "1", "\(k) \(v) \(shape)")
        }
        #expect(store.batchFallbacks == 0)
        // The one connection holds the 256 it prepared (and the rest ran unprepared).
        let prepared = try await store.run("counting", "SELECT count(*)::int FROM pg_prepared_statements WHERE name LIKE 'asyncdash\\_%'")
        #expect(try prepared.first?.decode(Int.self) == 256)
    }
}
