import AsyncDash
import Foundation
import Testing

/// Issue 11, item 5: `asyncdash migrate --from … --to …` moves an installation between stores
/// (the copy itself is checked role by role by the contract kit's transfer checks).
@Suite("asyncdash migrate --from --to")
struct MigrateCopyTests {
    @Test func badCombinationsOfOptionsAreUsageErrors() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let source = cli.sqliteURL("a.sqlite")
            let cases: [([String], String)] = [
                (["--from", source], "--from needs --to"),
                (["--to", source], "--to needs --from"),
                (["--from", source, "--to", source], "--from and --to name the same store"),
                (["--into-non-empty"], "go with --from and --to"),
                (["--from", source, "--to", "nosuch://x"], "--to 'nosuch://x': no store for scheme 'nosuch'"),
                (["--from", source, "--to", cli.sqliteURL("b.sqlite"), "--batch-size", "0"], "--batch-size must be 1–10000, not 0"),
            ]
            for (arguments, message) in cases {
                let result = try await cli.run(["migrate"] + arguments)
                #expect(result.exitCode == 2, "\(arguments): \(result)")
                #expect(result.stderr.contains(message), "\(arguments): \(result)")
            }
        }
    }

    /// SQLite to SQLite: finished and queued tasks, their locks; the target's worker finishes the
    /// queued ones; a second copy is refused, and refused while a worker is live on the source.
    @Test func anInstallationMovesToAnotherFileAndItsQueuedTasksRunThere() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            try await Self.moveAndRun(cli, target: cli.sqliteURL("target.sqlite"))
        }
    }

    @Test(.enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value })
    func anInstallationMovesFromSQLiteToPostgreSQL() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            try await Self.moveAndRun(cli, target: CLIPostgres.url + "&schema=move_" + UUID().uuidString.prefix(8).lowercased())
        }
    }

    static func moveAndRun(_ cli: CLIHarness, target: String) async throws {
        let source = cli.queueEnvironment("source.sqlite")
        let done = try await cli.run(["launch", "sample.tasks.update_items", "--args", #"{"count":1}"#, "--name", "done", "--count", "6"],
                                     environment: source)
        #expect(done.exitCode == 0, "\(done)")
        let worker = try cli.start(["worker"], environment: source, deadline: .seconds(120))
        for index in 0..<6 { #expect(await worker.waitForOutput("finished done-\(index) succeeded"), "\(worker.description)") }
        #expect(await worker.terminate() == 0, "\(worker.description)")
        let waiting = try await cli.run(["launch", "sample.tasks.update_items", "--args", #"{"count":1}"#, "--name", "waiting", "--count", "3"],
                                        environment: source)
        #expect(waiting.exitCode == 0, "\(waiting)")
        let locked = try await cli.run(["launch", "sample.tasks.update_items", "--name", "locked", "--lock", "book:1,2"], environment: source)
        #expect(locked.exitCode == 0, "\(locked)")
        let sourceLocks = try await cli.run(["locks", "list"], environment: source)
        #expect(sourceLocks.stdout.contains("book:1") && sourceLocks.stdout.contains("book:2"), "\(sourceLocks)")

        let sourceURL = source["ASYNCDASH_STORE"] ?? ""
        let move = try await cli.run(["migrate", "--from", sourceURL, "--to", target], timeout: .seconds(120))
        #expect(move.exitCode == 0, "\(move)")
        #expect(move.stdout.contains("records: 10 of "), "\(move)")
        #expect(move.stdout.contains("jobs: 4 queued, 0 handed back"), "\(move)")
        #expect(move.stdout.contains("locks: 2; active tasks: 4"), "\(move)")
        #expect(move.stdout.contains("migrate OK"), "\(move)")

        let targetEnvironment = ["ASYNCDASH_STORE": target, "ASYNCDASH_LEASE_TTL": "2"]
        let moved = try await cli.records(targetEnvironment)
        let before = try await cli.records(source)
        #expect(Set(moved.keys) == Set(before.keys), "every record moved")
        for (name, record) in before { #expect(moved[name] == record, "\(name) moved unchanged") }
        let targetLocks = try await cli.run(["locks", "list"], environment: targetEnvironment)
        #expect(targetLocks.stdout.contains("book:1") && targetLocks.stdout.contains("book:2") && targetLocks.stdout.contains("locked"),
                "the locks moved with their owner: \(targetLocks)")

        // The queued tasks run on the target.
        let queued = before.filter { $0.value["status"]?.stringValue == "pending" }.keys.sorted()
        #expect(!queued.isEmpty)
        let targetWorker = try cli.start(["worker"], environment: targetEnvironment, deadline: .seconds(120))
        for name in queued { #expect(await targetWorker.waitForOutput("finished \(name) succeeded"), "\(targetWorker.description)") }
        #expect(await targetWorker.terminate() == 0, "\(targetWorker.description)")
        let after = try await cli.records(targetEnvironment)
        #expect(after.values.allSatisfy { $0["status"]?.stringValue == "success" || $0["status"]?.stringValue == "failed" }, "\(after)")
        let left = try await cli.run(["locks", "list"], environment: targetEnvironment)
        #expect(left.stdout.contains("no locks held"), "\(left)")

        // A second copy finds the target holding the first.
        let again = try await cli.run(["migrate", "--from", sourceURL, "--to", target], timeout: .seconds(60))
        #expect(again.exitCode == 1, "\(again)")
        #expect(again.stderr.contains("nothing copied: the target is not empty (it holds records of "), "\(again)")

        // A live worker on the source refuses the copy.
        let live = try cli.start(["worker", "--worker-id", "still-running"], environment: source, deadline: .seconds(120))
        #expect(await live.waitForOutput("ready"), "\(live.description)")
        let refused = try await cli.run(["migrate", "--from", sourceURL, "--to", cli.sqliteURL("other.sqlite")], timeout: .seconds(60))
        #expect(refused.exitCode == 1, "\(refused)")
        #expect(refused.stderr.contains("workers are live on the source (still-running)"), "\(refused)")
        #expect(await live.terminate() == 0, "\(live.description)")
    }
}

/// README "Scaling out": the migrate block, as printed (the program name aside), moves the
/// SQLite default to database `asyncdash` on the local test server (made afresh with `psql`).
@Suite("README: the migrate block")
struct MigrateReadmeBlockTests {
    static var localServer: Bool {
        ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_URL"] == nil
    }

    @Test(.enabled("skipped: no PostgreSQL on 127.0.0.1:5432 (start one with .ci/postgres start)") { await CLIPostgres.probe.value && localServer })
    func theBlockMovesTheDefaultStoreToPostgreSQL() async throws {
        let readme = try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(
            readme.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
                .first { $0.hasPrefix("asyncdash migrate --from") })
        let words = block.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        #expect(words.first == "asyncdash")
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", "-h", "127.0.0.1", "-U", "asyncdash", "-d", "asyncdash_test", "-q", "-v", "ON_ERROR_STOP=1",
                          "-c", "DROP DATABASE IF EXISTS asyncdash WITH (FORCE)", "-c", "CREATE DATABASE asyncdash"]
        try psql.run()
        psql.waitUntilExit()
        #expect(psql.terminationStatus == 0, "psql could not make database asyncdash afresh")
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let launch = try await cli.run(["launch", "sample.tasks.update_items", "--name", "readme", "--count", "3"])
            #expect(launch.exitCode == 0, "\(launch)")
            let move = try await cli.run(Array(words.dropFirst()), timeout: .seconds(120))
            #expect(move.exitCode == 0, "\(move)")
            #expect(move.stdout.contains("jobs: 3 queued"), "\(move)")
            let moved = try await cli.records(["ASYNCDASH_STORE": "postgres://asyncdash@127.0.0.1:5432/asyncdash"])
            #expect(moved.keys.sorted() == ["readme-0", "readme-1", "readme-2"], "\(moved)")
        }
    }
}
