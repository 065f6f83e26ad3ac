import AsyncDash
import Foundation
import Testing

/// DESIGN §8: 0 success; 1 error; 2 usage or config error; 3 lock conflict.
@Suite("asyncdash exit codes")
struct ExitCodeTests {
    @Test func unknownEventIsAUsageError() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let result = try await cli.run(["emit", "finish", "--task", "t"])
            #expect(result.exitCode == 2)
            #expect(result.stderr.contains("asyncdash: error: unknown event 'finish'"))
            #expect(result.stderr.contains("create, progress, complete, fail, cleanup"))
        }
    }

    @Test func badJSONOptionIsAUsageError() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let result = try await cli.run(["emit", "create", "--task", "t", "--args", "{not json"])
            #expect(result.exitCode == 2)
            #expect(result.stderr.contains("--args"))
            #expect(result.stderr.contains("{not json"))
        }
    }

    @Test func badStatusAndTimestampAreUsageErrors() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let status = try await cli.run(["emit", "create", "--task", "t", "--status", "done"])
            #expect(status.exitCode == 2)
            #expect(status.stderr.contains("in_progress"))
            let timestamp = try await cli.run(["emit", "complete", "--task", "t", "--timestamp", "yesterday"])
            #expect(timestamp.exitCode == 2)
            #expect(timestamp.stderr.contains("--timestamp 'yesterday'"))
        }
    }

    @Test func parseErrorsExitTwoAndHelpExitsZero() async throws {
        try await withHarness { cli in
            let unknown = try await cli.run(["list", "--bogus"])
            #expect(unknown.exitCode == 2)
            #expect(unknown.stderr.hasPrefix("asyncdash: error: "))
            let missing = try await cli.run(["emit", "create"])
            #expect(missing.exitCode == 2)
            let help = try await cli.run(["emit", "--help"])
            #expect(help.exitCode == 0)
            #expect(help.stdout.contains("USAGE: asyncdash emit"))
            let none = try await cli.run([])
            #expect(none.exitCode == 2)
        }
    }

    /// Issue 12: `--version`, and a mistyped command gets a did-you-mean and the commands where it
    /// was typed (at the root and under a group); an extra word after a command is still reported
    /// as it is.
    @Test func versionAndMistypedCommands() async throws {
        try await withHarness { cli in
            let version = try await cli.run(["--version"])
            #expect(version.exitCode == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == AsyncDashVersion.current, "\(version)")
            let root = try await cli.run(["chek-config"])
            #expect(root.exitCode == 2)
            #expect(root.stderr.contains("asyncdash: error: unknown command 'chek-config' for 'asyncdash' (did you mean 'check-config'?); commands: check-config,"), "\(root)")
            #expect(!root.stderr.contains("plugin-probe"), "hidden commands are not offered")
            let nested = try await cli.run(["--config", "lsit.yaml", "locks", "lsit"])
            #expect(nested.exitCode == 2)
            #expect(nested.stderr.contains("unknown command 'lsit' for 'asyncdash locks' (did you mean 'list'?); commands: list, check, reserve, release"), "\(nested)")
            let far = try await cli.run(["zzzzzz"])
            #expect(far.stderr.contains("unknown command 'zzzzzz' for 'asyncdash'; commands: "), "no suggestion when nothing is close: \(far)")
            let extra = try await cli.run(["show", "a", "b"])
            #expect(extra.exitCode == 2 && extra.stderr.contains("Unexpected argument 'b'"), "\(extra)")
        }
    }

    /// Issue 12: a memory store says, on stderr, that nothing it holds survives the process; a
    /// persistent one says nothing of the kind.
    @Test func aMemoryStoreWarnsThatNothingSurvivesTheProcess() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: memory
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    record_model_path: sample.AsyncTaskRecord
                """)
            let memory = try await cli.run(["emit", "create", "--task", "t1"])
            #expect(memory.exitCode == 0, "\(memory)")
            #expect(memory.stderr.contains("STORE memory keeps everything in this process"), "\(memory)")
            #expect(memory.stderr.contains("use sqlite://PATH"), "\(memory)")
            try cli.writeSQLiteConfig()
            let sqlite = try await cli.run(["emit", "create", "--task", "t1"])
            #expect(sqlite.exitCode == 0 && !sqlite.stderr.contains("keeps everything in this process"), "\(sqlite)")
        }
    }

    /// Issue 12: the sample notifying managers (declared in the shipped config, and the class) are
    /// heard at the default log level, `notice`.
    @Test func theSampleNotifyingManagersAreHeardAtTheDefaultLogLevel() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let declared = try await cli.run(["emit", "complete", "--task", "n1", "--manager", "sample.NotifyingAsyncManager"])
            #expect(declared.exitCode == 0 && declared.stderr.contains("notice") && declared.stderr.contains("complete n1"), "\(declared)")
            let subclass = try await cli.run(["emit", "complete", "--task", "n2", "--manager", "sample.async_manager.NotifyingAsyncManager"])
            #expect(subclass.exitCode == 0 && subclass.stderr.contains("Task n2 succeeded"), "\(subclass)")
            let quiet = try await cli.run(["emit", "complete", "--task", "n3", "--manager", "sample.NotifyingAsyncManager", "--log-level", "warning"])
            #expect(quiet.exitCode == 0 && !quiet.stderr.contains("complete n3"), "--log-level still quiets it: \(quiet)")
        }
    }

    @Test func showOfUnknownTaskIsAnError() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let result = try await cli.run(["show", "nope"])
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("asyncdash: error: no task named 'nope'"))
        }
    }

    @Test func showThroughAManagerWithoutRecordsIsAnError() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let result = try await cli.run(["show", "x", "--manager", "asyncdash.AsyncManager"])
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("keeps no dashboard records"))
        }
    }

    @Test func lockConflictsExitThree() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let first = try await cli.run(["locks", "reserve", "--task", "A", "book:1", "book:2"])
            #expect(first.exitCode == 0, "\(first)")

            let conflict = try await cli.run(["locks", "reserve", "--task", "B", "book:2", "book:3"])
            #expect(conflict.exitCode == 3)
            #expect(conflict.stdout.contains("book:2 locked by A"))
            #expect(conflict.stderr.contains("book:2 held by A"))

            let locked = try await cli.run(["locks", "check", "book:1", "book:3"])
            #expect(locked.exitCode == 3)
            #expect(locked.stdout == "book:1 locked by A\n")
            let free = try await cli.run(["locks", "check", "book:3"])
            #expect(free.exitCode == 0)
            #expect(free.stdout.isEmpty)

            let list = try await cli.run(["locks", "list", "--json"])
            #expect(try list.json().arrayValue?.compactMap { $0["key"]?.stringValue } == ["book:1", "book:2"])

            let release = try await cli.run(["locks", "release", "--task", "A"])
            #expect(release.exitCode == 0)
            #expect(release.stdout == "book:1\nbook:2\n")
            let again = try await cli.run(["locks", "release", "--task", "A"])
            #expect(again.exitCode == 0)
            #expect(again.stdout.isEmpty)
            #expect(try await cli.run(["locks", "check", "book:1"]).exitCode == 0)

            let badRef = try await cli.run(["locks", "check", "book"])
            #expect(badRef.exitCode == 2)
        }
    }

    @Test func migratePreparesEveryManagersModel() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["migrate"], environment: ["ASYNCDASH_STORE": cli.sqliteURL()])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.contains("prepared sample.AsyncTaskRecord (table async_task_records"))
            #expect(result.stdout.contains("sample.NotifyingAsyncManager"))
        }
    }
}
