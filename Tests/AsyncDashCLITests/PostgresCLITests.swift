import AsyncDash
import AsyncDashPostgres
import Foundation
import Testing

/// The PostgreSQL server the command-line tests use (see `Tests/AsyncDashPostgresTests/TestPostgres.swift`,
/// which the PostgreSQL suites share; this target only needs the URL and the probe).
enum CLIPostgres {
    static let url = ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_URL"]
        ?? "postgres://asyncdash@127.0.0.1:5432/asyncdash_test?sslmode=disable"

    static let probe = Task<Bool, Never> {
        if ProcessInfo.processInfo.environment["ASYNCDASH_TEST_POSTGRES_REQUIRED"] == "1" { return true }
        guard let store = try? PostgresStore(url: url + "&connect_timeout_ms=2000") else { return false }
        return (try? await store.checkConnection()) != nil
    }

    /// A config like the shipped one, on a fresh schema of the test server.
    static func config(schema: String = "cli_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""), url: String? = nil)
        -> String
    {
        """
        STORE: "\(url ?? CLIPostgres.url + "&schema=\(schema)")"
        QUEUE: durable
        ASYNC_MANAGER_DEFAULT:
          manager_class: sample.async_manager.SampleAsyncManager
          config:
            record_model_path: sample.AsyncTaskRecord
        """
    }
}

@Suite(
    "asyncdash on PostgreSQL",
    .enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value })
struct PostgresCLITests {
    /// Issue 11, item 3: one clear line at start, exit 2 for a URL or credentials that cannot
    /// work, exit 1 for a server that cannot be reached — never a hang or a stack of NIO errors.
    @Test func startUpFailuresAreOneClearLineWithTheirExitCode() async throws {
        try await withHarness { cli in
            let base = "postgres://asyncdash_pw@127.0.0.1"
            let cases: [(String, [String: String], Int32, String)] = [
                (base + ":5432/asyncdash_test?sslmode=disable", ["PGPASSWORD": "wrong"], 2, "password authentication failed for user \"asyncdash_pw\""),
                ("postgres://asyncdash@127.0.0.1:5432/no_such_db?sslmode=disable", [:], 2, "database \"no_such_db\" does not exist"),
                ("postgres://asyncdash@127.0.0.1:5432/asyncdash_test?sslmode=require", [:], 2, "does not offer TLS"),
                ("postgres://asyncdash@127.0.0.1:1/asyncdash_test?sslmode=disable&connect_timeout_ms=2000", [:], 1, "no server answered at 127.0.0.1:1"),
                ("postgres://app:hunter2@127.0.0.1/app", [:], 2, "a password is written in the URL"),
                (base + "/asyncdash_test?password_env=UNSET_PASSWORD_VARIABLE", [:], 2, "UNSET_PASSWORD_VARIABLE is not set"),
            ]
            for (url, environment, code, message) in cases {
                try cli.writeConfig(CLIPostgres.config(url: url))
                let result = try await cli.run(["list"], environment: environment, timeout: .seconds(60))
                #expect(result.exitCode == code, "\(url): \(result)")
                #expect(result.stderr.contains(message), "\(url): \(result)")
                #expect(!result.stderr.contains("hunter2"), "the password is never printed: \(result)")
                #expect(result.stderr.split(separator: "\n").count <= 2, "one clear message, not a stack: \(result)")
            }
            // The right password, from the variable the URL names.
            try cli.writeConfig(CLIPostgres.config(url: base + ":5432/asyncdash_test?sslmode=disable&schema=cli_pw&password_env=APP_DB_PASSWORD"))
            let good = try await cli.run(["list"], environment: ["APP_DB_PASSWORD": "asyncdash-secret"], timeout: .seconds(60))
            #expect(good.exitCode == 0, "\(good)")
        }
    }

    /// The real command line on PostgreSQL: migrate, launch onto the durable queue, a worker
    /// process runs the tasks, and list/show read them back.
    @Test func launchAndWorkerRunTasksThroughThePostgresQueue() async throws {
        try await withHarness { cli in
            try cli.writeConfig(CLIPostgres.config())
            let migrate = try await cli.run(["migrate"])
            #expect(migrate.exitCode == 0, "\(migrate)")
            let launch = try await cli.run(["launch", "sample.tasks.update_items", "--count", "5"])
            #expect(launch.exitCode == 0, "\(launch)")
            let names = launch.stdout.split(separator: "\n").map(String.init)
            #expect(names.count == 5)
            let worker = try cli.start(["worker", "--concurrency", "2"], deadline: .seconds(90))
            #expect(await worker.waitForOutput("ready"), "\(worker.description)")
            for name in names {
                #expect(await worker.waitForOutput("finished \(name) succeeded"), "\(worker.description)")
            }
            #expect(await worker.terminate() == 0, "\(worker.description)")
            for name in names {
                let show = try await cli.run(["show", name, "--json"])
                #expect(show.exitCode == 0, "\(show)")
                #expect(try show.json()["status"]?.stringValue == "success", "\(show)")
            }
            let locks = try await cli.run(["locks", "list"])
            #expect(locks.exitCode == 0 && !locks.stdout.contains("task:"), "\(locks)")
        }
    }

    /// Issue 11, item 4: `STORE_ROLES: {records: postgres://…}` with the rest on a SQLite file,
    /// through real processes: the launch queues on the file, a worker process runs the tasks,
    /// and the records are in PostgreSQL (read back by `list` and by `psql`), none in the file.
    @Test func recordsOnPostgreSQLWithTheQueueOnASQLiteFile() async throws {
        try await withHarness { cli in
            let schema = "roles_" + UUID().uuidString.prefix(8).lowercased()
            let file = cli.sqliteURL("rest.sqlite")
            try cli.writeConfig("""
                STORE: \(file)
                STORE_ROLES:
                  records: "\(CLIPostgres.url)&schema=\(schema)"
                QUEUE: durable
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    record_model_path: sample.AsyncTaskRecord
                """)
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0 && check.stdout.contains("records"), "\(check)")
            let launch = try await cli.run(["launch", "sample.tasks.update_items", "--name", "split", "--lock", "book:7"])
            #expect(launch.exitCode == 0, "\(launch)")
            let conflict = try await cli.run(["launch", "sample.tasks.update_items", "--name", "second", "--lock", "book:7"])
            #expect(conflict.exitCode == 3, "book:7 is held (coordination on the file): \(conflict)")
            let more = try await cli.run(["launch", "sample.tasks.update_items", "--name", "free", "--count", "3"])
            #expect(more.exitCode == 0, "\(more)")
            let names = ["split"] + more.stdout.split(separator: "\n").map(String.init)
            let worker = try cli.start(["worker", "--concurrency", "2"], deadline: .seconds(90))
            for name in names { #expect(await worker.waitForOutput("finished \(name) succeeded"), "\(worker.description)") }
            #expect(await worker.terminate() == 0, "\(worker.description)")

            let records = try await cli.records([:])
            #expect(names.allSatisfy { records[$0]?["status"]?.stringValue == "success" }, "\(records)")
            let inPostgres = try Self.psql("SELECT string_agg(task_name || '=' || status, ',' ORDER BY task_name) FROM \(schema).async_task_records")
            #expect(inPostgres == names.sorted().map { "\($0)=success" }.joined(separator: ","), "records in PostgreSQL: \(inPostgres)")
            let tables = try Self.sqlite3(file, "SELECT count(*) FROM sqlite_master WHERE name = 'async_task_records'")
            #expect(tables == "0", "no record table in the SQLite file")
            let jobs = try Self.sqlite3(file, "SELECT count(*) FROM asyncdash_jobs WHERE state = 'done'")
            #expect(jobs == "4", "the jobs were queued and finished in the SQLite file")
            let locks = try await cli.run(["locks", "list"])
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
        }
    }

    /// One value from `psql` on the test server.
    static func psql(_ sql: String) throws -> String {
        try runTool(["psql", "-h", "127.0.0.1", "-U", "asyncdash", "-d", "asyncdash_test", "-At", "-c", sql])
    }

    /// One value from the `sqlite3` command on the file of `url`.
    static func sqlite3(_ url: String, _ sql: String) throws -> String {
        try runTool(["sqlite3", String(url.dropFirst("sqlite://".count)), sql])
    }

    static func runTool(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Issue 11: OS processes contending for overlapping locks. In each trial four `locks
    /// reserve` processes start together, each asking for one shared object and one of its own:
    /// exactly one wins (exit 0), the others are refused (exit 3) and hold nothing — not even
    /// their own object; after the winner releases, no lock is left.
    @Test func processesContendingForOverlappingLocksHaveExactlyOneWinner() async throws {
        try await withHarness { cli in
            try cli.writeConfig(CLIPostgres.config())
            let migrate = try await cli.run(["migrate"])
            #expect(migrate.exitCode == 0, "\(migrate)")
            var winners: [Int] = []
            for trial in 0..<8 {
                let contenders = try (0..<4).map { index in
                    try cli.start(["locks", "reserve", "--task", "t\(trial)-\(index)", "shelf:\(trial)", "book:\(trial)-\(index)"], deadline: .seconds(60))
                }
                var codes: [Int32] = []
                for contender in contenders { codes.append(await contender.exitCode()) }
                let won = codes.indices.filter { codes[$0] == 0 }
                let outputs = contenders.map(\.description).joined(separator: "\n")
                #expect(won.count == 1, "trial \(trial): exit codes \(codes)\n\(outputs)")
                #expect(codes.filter { $0 == 3 }.count == 3, "trial \(trial): exit codes \(codes)")
                let locks = try await cli.run(["locks", "list"])
                if let winner = won.first {
                    winners.append(winner)
                    for index in 0..<4 {
                        #expect(locks.stdout.contains("book:\(trial)-\(index)") == (index == winner), "trial \(trial): \(locks)")
                    }
                    let release = try await cli.run(["locks", "release", "--task", "t\(trial)-\(winner)"])
                    #expect(release.exitCode == 0, "\(release)")
                }
            }
            let left = try await cli.run(["locks", "list"])
            #expect(left.stdout.contains("no locks held"), "\(left)")
            print("lock contention on PostgreSQL: 8 trials of 4 processes, winners by index \(winners)")
        }
    }

}

/// README "Stores", PostgreSQL: the config block, as printed, passes `check-config` (offline) once
/// the password variable it names is set, and is a config error without it.
@Suite("README: the PostgreSQL store block")
struct PostgresReadmeBlockTests {
    @Test func theStoreBlockChecksWithItsPasswordVariable() async throws {
        let readme = try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(
            readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
                .first { $0.hasPrefix("STORE: postgres://asyncdash@db.internal") })
        try await withHarness { cli in
            try cli.writeConfig(block)
            let good = try await cli.run(["check-config"], environment: ["ASYNCDASH_DB_PASSWORD": "s3cret-from-a-vault"])
            #expect(good.exitCode == 0, "\(good)")
            #expect(!good.stdout.contains("s3cret-from-a-vault"))
            let unset = try await cli.run(["check-config"])
            #expect(unset.exitCode == 2, "\(unset)")
            #expect(unset.stderr.contains("ASYNCDASH_DB_PASSWORD is not set"), "\(unset)")
        }
    }
}
