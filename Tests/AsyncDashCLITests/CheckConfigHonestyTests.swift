import AsyncDash
@testable import AsyncDashCLI
import Foundation
import Testing

/// `check-config` validates what `serve` and `worker` validate, the `DASHBOARD` section
/// included; each mistake is printed once, at its real place, sorted, and all in one run.
@Suite("check-config means what serve means")
struct CheckConfigHonestyTests {
    /// The `file:line:column: error:` lines of `stderr`.
    func errorLines(_ result: CLIResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
    }

    @Test func aConfigServeRejectsIsRejectedByCheckConfigWithTheSameMessagesOnceEach() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: app.Mine
                MANAGERS:
                  app.Mine:
                    base: sample.async_manager.SampleAsyncManager
                    formatters:
                      user: { anonymus: Nobody }
                    observers:
                      - type: asyncdash.observers.lg
                DASHBOARD:
                  fields: [task_name, statuz, user]
                  page_size: 0
                  auth_token_env: SHORT_TOKEN
                """)
            let environment = ["SHORT_TOKEN": "short"]
            let check = try await cli.run(["check-config"], environment: environment)
            #expect(check.exitCode == 2, "\(check)")
            let lines = errorLines(check)
            #expect(lines.count == 5, "one line per mistake, no repeats: \(check)")
            #expect(Set(lines).count == lines.count, "\(check)")
            #expect(lines.map { $0.split(separator: ":")[1] } == ["8", "10", "12", "13", "14"], "sorted by line: \(check)")
            #expect(!check.stderr.contains("ASYNC_MANAGER_DEFAULT.base"), "the mistakes are reported where they were written: \(check)")
            #expect(check.stderr.contains("MANAGERS.app.Mine.formatters.user"), "\(check)")
            #expect(check.stderr.contains("DASHBOARD.fields: 'statuz' is not a column"), "\(check)")
            #expect(check.stderr.contains("did you mean 'status'?"), "\(check)")
            #expect(check.stderr.contains("DASHBOARD.auth_token_env: the token in SHORT_TOKEN has 5 characters"), "\(check)")

            let serve = try await cli.run(["serve", "--bind", "127.0.0.1:0"], environment: environment, timeout: .seconds(60))
            #expect(serve.exitCode == 2, "\(serve)")
            #expect(errorLines(serve) == lines, "serve rejects it with the same messages: \(serve)")
            // A worker serves no dashboard: the DASHBOARD section is not its business.
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                DASHBOARD:
                  auth_token_env: UNSET_TOKEN_VARIABLE
                """)
            let worker = try cli.start(["worker"], deadline: .seconds(60))
            #expect(await worker.waitForOutput("ready"), "\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            let unset = try await cli.run(["check-config"])
            #expect(unset.exitCode == 2, "\(unset)")
            #expect(unset.stderr.contains("DASHBOARD.auth_token_env: the environment variable UNSET_TOKEN_VARIABLE is not set"), "\(unset)")
        }
    }

    @Test func everyMistakeOfADeclarationWithAnUnknownBaseIsReported() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: app.Mine
                MANAGERS:
                  app.Mine:
                    base: sample.async_manager.SampleAsyncManagr
                    formatters:
                      user: { anonymus: Nobody }
                    observers:
                      - type: asyncdash.observers.lg
                """)
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 2, "\(check)")
            let lines = errorLines(check)
            #expect(lines.map { $0.split(separator: ":")[1] } == ["6", "8", "10"], "three typos, three lines: \(check)")
        }
    }

    @Test func dashboardFieldsAcceptTheFieldMapsLogicalNames() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                DASHBOARD:
                  fields: [task_name, status, user, updated_at]
                  detail_fields: [message, progress, result]
                """)
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0, "\(check)")
            let emit = try await cli.run(["emit", "create", "--task", "t1", "--user", "ada"])
            #expect(emit.exitCode == 0, "\(emit)")
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0", "--concurrency", "1"], deadline: .seconds(60))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            let (status, page) = try await ServeDashboardTests.get(base)
            #expect(status == 200)
            #expect(page.contains("ada"), "the logical field 'user' shows the user_label column: \(page.prefix(3000))")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }
}

/// README "How errors are reported": the `bad.yaml` block, checked, prints the block below it.
@Suite("README: how errors are reported")
struct ReadmeErrorExampleTests {
    static func block(after marker: String) throws -> String {
        let readme = try String(contentsOf: CLIHarness.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "<!-- readme: \(marker) -->"), "marker \(marker)") + 2
        let end = try #require(lines[start...].firstIndex(of: "```"))
        return lines[start..<end].joined(separator: "\n")
    }

    @Test func theBadConfigPrintsWhatTheReadmeShows() async throws {
        try await withHarness { cli in
            try cli.writeConfig(try Self.block(after: "bad.yaml") + "\n", name: "bad.yaml")
            let result = try await cli.run(["check-config", "--config", "bad.yaml"])
            #expect(result.exitCode == 2, "\(result)")
            #expect(result.stderr.trimmingCharacters(in: .newlines) == (try Self.block(after: "bad.yaml errors")), "\(result)")
        }
    }
}

/// README "Observers": the config block resolves, with the deliveries it says.
@Suite("README: observers")
struct ReadmeObserversExampleTests {
    @Test func theObserversConfigResolvesWithItsDeliveries() async throws {
        try await withHarness { cli in
            try cli.writeConfig(try ReadmeErrorExampleTests.block(after: "observers.yaml") + "\n")
            let check = try await cli.run(["check-config", "--json"])
            #expect(check.exitCode == 0, "\(check)")
            let observers = try check.json()["default_manager"]?["observers"]?.arrayValue ?? []
            #expect(observers.count == 2, "\(check)")
            #expect(observers.first?["buffer"] == 256 && observers.first?["durable"] == false, "\(check)")
            #expect(observers.last?["durable"] == true && observers.last?["max_attempts"] == 10, "\(check)")
        }
    }
}

/// A change feed that subscribes but never delivers a notice.
struct SilentChangeFeed: ChangeFeed {
    let feed = ChangeBroadcaster()
    func subscribe() async throws -> ChangeSubscription { feed.subscribe() }
}

/// `doctor` opens the store and checks every role; `check-config` never does.
@Suite("asyncdash doctor")
struct DoctorTests {
    @Test func aHealthyStorePassesEveryRole() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            #expect(try await cli.run(["migrate"]).exitCode == 0)
            let doctor = try await cli.run(["doctor"])
            #expect(doctor.exitCode == 0, "\(doctor)")
            for role in ["records", "coordination", "change feed", "queue", "audit log", "outbox"] {
                #expect(doctor.stdout.contains("\(role): ok"), "\(role): \(doctor)")
            }
            let json = try await cli.run(["doctor", "--json"])
            #expect(try json.json()["outbox"]?["ok"] == true, "\(json)")
        }
    }

    @Test func aStoreThatCannotBeOpenedFailsDoctorButNotCheckConfig() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: sqlite:///proc/asyncdash-cannot-write-here/a.sqlite
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                """)
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0, "check-config stays offline: \(check)")
            let doctor = try await cli.run(["doctor"])
            #expect(doctor.exitCode == 1, "\(doctor)")
            #expect(doctor.stderr.contains("cannot be opened"), "\(doctor)")
        }
    }

    /// A feed that never delivers (as `LISTEN` behind a pooler in transaction mode) fails the
    /// change-feed check with what it breaks; on PostgreSQL the message names the PgBouncer mode.
    @Test func aChangeFeedThatHearsNothingFailsTheCheckWithWhatItBreaks() async throws {
        var stores = StoreSet.memory()
        stores.changes = SilentChangeFeed()
        for (url, hint) in [("memory", false), ("postgres://db.example/app", true)] {
            let error = try await #require(throws: DoctorError.self) {
                try await DoctorCommand.checkChangeFeed(stores, owner: "probe", url: url, patience: .milliseconds(300))
            }
            #expect(error.description.contains("was not heard within 0.3 seconds"), "\(error)")
            #expect(error.description.contains("live pages and other processes will not be told of changes"), "\(error)")
            #expect(error.description.contains("pool_mode = session") == hint, "\(error)")
        }
        #expect(try await stores.coordination.locks().isEmpty, "the probe lock is released")
        let healthy = try await DoctorCommand.checkChangeFeed(.memory(), owner: "probe", url: "memory")
        #expect(healthy.hasPrefix("a change was heard after"), "\(healthy)")
    }

    @Test func aMissingRecordTableIsReportedWithTheFix() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let doctor = try await cli.run(["doctor"])
            #expect(doctor.exitCode == 1, "\(doctor)")
            #expect(doctor.stdout.contains("records: FAILED") && doctor.stdout.contains("asyncdash migrate"), "\(doctor)")
        }
    }
}
