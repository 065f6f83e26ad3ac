import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

/// `asyncdash cleanup [--json]` on a SQLite store.
@Suite("asyncdash cleanup")
struct CleanupCommandTests {
    private func run(_ cli: CLIHarness, _ arguments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> CLIResult {
        let result = try await cli.run(arguments)
        #expect(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    @Test func withNoActiveTasksItPrintsAnEmptySummary() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let human = try await run(cli, ["cleanup"])
            #expect(human.stdout == "Examined 0 active tasks; cleaned 0 (locks released 0, progress entries 0, records 0); skipped 0\n"
                + "Retention deleted 0 records, 0 audit, 0 dead letters, 0 finished jobs, 0 outbox delivered, 0 outbox dead\n")
            let json = try await run(cli, ["cleanup", "--json"])
            #expect(try json.json() == ["active_tasks": 0, "cleaned": [:], "skipped": [:],
                                        "retention": ["records": 0, "audit": 0, "dead_letters": 0, "finished_jobs": 0, "outbox_delivered": 0, "outbox_dead": 0]])
        }
    }

    /// A task launched by an app process that died: its record, locks, progress entry and active
    /// entry are all left behind. The CLI cannot register an active task itself (no `launch` yet),
    /// so the dead process's active entry and progress entry are written through the library on
    /// the same SQLite file; the record and locks go through `emit create` and `locks reserve`.
    @Test func aTaskLeftByADeadProcessIsCleanedAndReported() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            _ = try await run(cli, ["emit", "create", "--task", "import-41", "--user", "alice", "--affected", "book:1"])
            _ = try await run(cli, ["locks", "reserve", "--task", "import-41", "book:1", "book:2"])
            _ = try await run(cli, ["locks", "reserve", "--task", "not-active", "book:3"])
            do {
                let stores = try await StoreSet.sqlite(path: cli.directory.appendingPathComponent("a.sqlite").path)
                try await stores.coordination.setProgress(.text("Task queued"), for: "import-41", ttl: .seconds(3600))
                try await stores.coordination.addActiveTask("import-41")
            }

            let json = try await run(cli, ["cleanup", "--json"])
            #expect(try json.json() == [
                "active_tasks": 1,
                "cleaned": ["import-41": [
                    "reason": "missing from the queue", "conflict_lock_keys": 2, "progress_entries": 1, "dashboard_records": 1,
                ]],
                "skipped": [:],
                "retention": ["records": 0, "audit": 0, "dead_letters": 0, "finished_jobs": 0, "outbox_delivered": 0, "outbox_dead": 0],
            ])

            let record = try await run(cli, ["show", "import-41", "--json"]).json()
            #expect(record["status"]?.stringValue == "failed")
            #expect(record["cleaned_up"] == true)
            #expect(record["user_label"]?.stringValue == "alice")
            // Only active tasks are reconciled: another task's locks stay.
            let locks = try await run(cli, ["locks", "list", "--json"]).json()
            #expect(locks.arrayValue?.compactMap { $0["key"]?.stringValue } == ["book:3"])

            let again = try await run(cli, ["cleanup"])
            #expect(again.stdout.hasPrefix("Examined 0 active tasks; cleaned 0"))
        }
    }

    @Test func theHumanSummaryNamesEachTaskAndItsReason() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            _ = try await run(cli, ["locks", "reserve", "--task", "t1", "book:1"])
            do {
                let stores = try await StoreSet.sqlite(path: cli.directory.appendingPathComponent("a.sqlite").path)
                try await stores.coordination.addActiveTask("t1")
                try await stores.coordination.addActiveTask("t2")
            }
            let human = try await run(cli, ["cleanup"])
            #expect(human.stdout == """
                Examined 2 active tasks; cleaned 2 (locks released 1, progress entries 0, records 2); skipped 0
                  cleaned t1: missing from the queue (locks 1, progress entries 0, records 1)
                  cleaned t2: missing from the queue (locks 0, progress entries 0, records 1)
                Retention deleted 0 records, 0 audit, 0 dead letters, 0 finished jobs, 0 outbox delivered, 0 outbox dead

                """)
            let help = try await cli.run(["cleanup", "--help"])
            let helpText = (help.stdout + help.stderr).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(helpText.contains("--json"), "\(help)")
            #expect(helpText.contains("reconciling the active set with the durable task queue"), "\(help)")
        }
    }

    @Test func aLaunchedTaskStillInTheDurableQueueIsSkipped() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let environment = cli.queueEnvironment("queue.sqlite")
            let launch = try await cli.run(["launch", "sample.tasks.update_items", "--name", "waiting"], environment: environment)
            #expect(launch.exitCode == 0, "\(launch)")
            let cleanup = try await cli.run(["cleanup", "--json"], environment: environment)
            #expect(cleanup.exitCode == 0, "\(cleanup)")
            let summary = try cleanup.json()
            #expect(summary["active_tasks"] == 1)
            #expect(summary["skipped"] == ["waiting": "queued"])
            #expect(summary["cleaned"] == [:])
        }
    }

    @Test func withAsyncDisabledCleanupTouchesNothingAndSaysWhy() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            _ = try await run(cli, ["locks", "reserve", "--task", "import-41", "book:1"])
            do {
                let stores = try await StoreSet.sqlite(path: cli.directory.appendingPathComponent("a.sqlite").path)
                try await stores.coordination.addActiveTask("import-41")
            }
            let disabled = ["ASYNCDASH_ASYNC_ENABLED": "false"]
            let human = try await cli.run(["cleanup"], environment: disabled)
            #expect(human.exitCode == 0 && human.stdout.contains("Async is disabled (ASYNC_ENABLED: false)"), "\(human)")
            let json = try await cli.run(["cleanup", "--json"], environment: disabled)
            #expect(try json.json() == ["active_tasks": 0, "cleaned": [:], "skipped": [:], "async_disabled": true])
            let locks = try await run(cli, ["locks", "list", "--json"]).json()
            #expect(locks.arrayValue?.compactMap { $0["key"]?.stringValue } == ["book:1"], "nothing released")
        }
    }
}
