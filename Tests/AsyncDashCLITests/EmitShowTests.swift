import AsyncDash
import Foundation
import Testing

/// The seed's scenarios, round-tripped through `emit` and `show --json` on SQLite.
@Suite("asyncdash emit and show")
struct EmitShowTests {
    /// Runs `asyncdash emit …` and expects success.
    private func emit(_ cli: CLIHarness, _ arguments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let result = try await cli.run(["emit"] + arguments)
        #expect(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
    }

    private func show(_ cli: CLIHarness, _ task: String) async throws -> JSONValue {
        let result = try await cli.run(["show", task, "--json"])
        #expect(result.exitCode == 0, "\(result)")
        return try result.json()
    }

    @Test func fullLifecycleRoundTrips() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            try await emit(cli, [
                "create", "--task", "import-1", "--message", "Task queued", "--user", "alice",
                "--affected", "book:1", "--affected", "book:2", "--kwargs", #"{"dry_run":false,"ids":[1,2]}"#,
            ])
            var record = try await show(cli, "import-1")
            #expect(record["status"]?.stringValue == "pending")
            #expect(record["task_kwargs"] == ["dry_run": false, "ids": [1, 2]])

            try await emit(cli, ["progress", "--task", "import-1", "--progress", #"{"done":1,"total":2,"unit":"rows"}"#])
            record = try await show(cli, "import-1")
            #expect(record["status"]?.stringValue == "in_progress")
            #expect(record["message"]?.stringValue == "Task queued")
            let progress = try JSONValue(parsing: try #require(record["progress_payload"]?.stringValue))
            #expect(progress == ["done": 1, "total": 2, "unit": "rows"])

            try await emit(cli, ["progress", "--task", "import-1", "--progress", "Writing rows"])
            try await emit(cli, ["complete", "--task", "import-1", "--result", #"{"updated":2}"#, "--timestamp", "2026-01-02T03:04:05Z"])
            try await emit(cli, ["cleanup", "--task", "import-1"])

            record = try await show(cli, "import-1")
            #expect(record["status"]?.stringValue == "success")
            #expect(record["message"]?.stringValue == "Task queued")
            #expect(record["progress_payload"]?.stringValue == "Writing rows")
            #expect(record["result_payload"] == ["updated": 2])
            #expect(record["completed_at"]?.stringValue.flatMap(ISO8601.parse) == ISO8601.parse("2026-01-02T03:04:05Z"))
            #expect(record["failed_at"] == .null)
            #expect(record["cleaned_up"] == true)
            #expect(record["user_label"]?.stringValue == "alice")
            #expect(record["affected_objects"]?.stringValue == "book:1, book:2")
        }
    }

    @Test func anonymousTaskThatFails() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            try await emit(cli, ["create", "--task", "anon-1"])
            var record = try await show(cli, "anon-1")
            #expect(record["user_label"]?.stringValue == "Anonymous")

            try await emit(cli, ["fail", "--task", "anon-1", "--message", "disk full"])
            record = try await show(cli, "anon-1")
            #expect(record["status"]?.stringValue == "failed")
            #expect(record["message"]?.stringValue == "disk full")
            #expect(record["failed_at"]?.stringValue.flatMap(ISO8601.parse) != nil)
            #expect(record["completed_at"] == .null)
        }
    }

    @Test func lateProgressKeepsTerminalStatus() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            try await emit(cli, ["create", "--task", "late-1", "--user", #"{"username":"bob","id":7}"#])
            try await emit(cli, ["complete", "--task", "late-1"])
            try await emit(cli, ["progress", "--task", "late-1", "--progress", #"{"done":5,"total":10}"#])
            let record = try await show(cli, "late-1")
            #expect(record["status"]?.stringValue == "success")
            #expect(record["user_label"]?.stringValue == "bob")
        }
    }

    @Test func emitJSONPrintsTheRecordAndShowPrintsColumns() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            let emitted = try await cli.run(["emit", "create", "--task", "j-1", "--args", "[1,2]", "--json"])
            #expect(emitted.exitCode == 0, "\(emitted)")
            #expect(try emitted.json()["task_args"] == [1, 2])

            let shown = try await cli.run(["show", "j-1"])
            #expect(shown.exitCode == 0)
            let lines = shown.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "task_name: j-1")
            #expect(lines.contains("task_args: [1,2]"))
            #expect(lines.contains("status: pending"))
        }
    }

    @Test func listIsNewestFirstAndFilters() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            try await emit(cli, ["create", "--task", "l-1", "--user", "ann"])
            try await emit(cli, ["create", "--task", "l-2"])
            try await emit(cli, ["fail", "--task", "l-1"])

            let all = try await cli.run(["list", "--json"])
            #expect(all.exitCode == 0, "\(all)")
            #expect(try all.json().arrayValue?.compactMap { $0["task_name"]?.stringValue } == ["l-1", "l-2"])

            let failed = try await cli.run(["list", "--status", "failed", "--json"])
            #expect(try failed.json().arrayValue?.compactMap { $0["task_name"]?.stringValue } == ["l-1"])

            let table = try await cli.run(["list"])
            let lines = table.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("TASK  STATUS") == true)
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix("l-1   failed   ann"))
        }
    }
}

@Suite("emit: progress text and structured progress")
struct EmitProgressTests {
    @Test func progressTextIsKeptExactlyAndStructuredProgressHasItsFlags() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = ["ASYNCDASH_STORE": cli.sqliteURL()]
            let text = #"{"percent": 50, "zeta": 1}"#
            _ = try await cli.run(["emit", "create", "--task", "t1"], environment: env)
            let asText = try await cli.run(["emit", "progress", "--task", "t1", "--progress", text, "--json"], environment: env)
            #expect(asText.exitCode == 0, "\(asText)")
            #expect(try asText.json()["progress_payload"] == .string(text))
            let structured = try await cli.run(["emit", "progress", "--task", "t1", "--done", "40", "--total", "100", "--unit", "rows", "--json"], environment: env)
            #expect(structured.exitCode == 0, "\(structured)")
            let stored = try structured.json()["progress_payload"]?.stringValue ?? ""
            #expect(try JSONValue(parsing: stored) == ["done": 40, "total": 100, "unit": "rows"], "\(stored)")
            let orphan = try await cli.run(["emit", "progress", "--task", "t1", "--total", "100"], environment: env)
            #expect(orphan.exitCode != 0 && orphan.stderr.contains("give --done too"), "\(orphan)")
            let negative = try await cli.run(["emit", "progress", "--task", "t1", "--done", "-1"], environment: env)
            #expect(negative.exitCode != 0 && negative.stderr.contains("0 or more"), "\(negative)")
        }
    }
}
