import AsyncDash
import Foundation
import Testing

/// `RETENTION` through the binary (issue 9, item 11): `check-config` shows it, `cleanup` applies
/// it to a real SQLite file, and a bad value is a config error naming the key and the range.
@Suite("RETENTION", .serialized)
struct RetentionCLITests {
    /// The shipped config with `RETENTION.records` replaced by `records`.
    static func config(_ cli: CLIHarness, records: String) throws {
        try cli.copyShippedConfig()
        let url = cli.directory.appendingPathComponent("config.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("  records: ") })
        try text.replacingOccurrences(of: String(line), with: "  records: \(records)").write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func cleanupKeepsTheNewestFinishedRecordsAndCheckConfigShowsTheRules() async throws {
        try await withHarness { cli in
            try Self.config(cli, records: "{ max_age_days: 0, max_count: 2 }")
            let env = ["ASYNCDASH_STORE": cli.sqliteURL("retention.sqlite")]
            let check = try await cli.run(["check-config"], environment: env)
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("records: any age, newest 2"), "\(check)")
            #expect(check.stdout.contains("audit: 365 days, newest 1000000"), "\(check)")
            // Five finished tasks, one running.
            for index in 1...5 {
                for event in [["create", "--task", "done-\(index)"], ["complete", "--task", "done-\(index)", "--result", "{}"]] {
                    let emitted = try await cli.run(["emit"] + event, environment: env)
                    #expect(emitted.exitCode == 0, "\(emitted)")
                }
            }
            let running = try await cli.run(["emit", "progress", "--task", "running", "--status", "in_progress", "--progress", "1/9"], environment: env)
            #expect(running.exitCode == 0, "\(running)")
            let cleanup = try await cli.run(["cleanup", "--json"], environment: env)
            #expect(cleanup.exitCode == 0, "\(cleanup)")
            #expect(try cleanup.json()["retention"]?["records"] == 3, "\(cleanup)")
            let names = try await cli.records(env).keys.sorted()
            #expect(names == ["done-4", "done-5", "running"], "\(names)")
            let again = try await cli.run(["cleanup"], environment: env)
            #expect(again.stdout.contains("Retention deleted 0 records"), "\(again)")
        }
    }

    @Test func aRetentionValueOutOfRangeIsAConfigErrorNamingIt() async throws {
        try await withHarness { cli in
            for (records, message) in [
                ("{ max_count: -1 }", "RETENTION.records.max_count must be a whole number from 0 to 1000000000"),
                ("{ max_age_days: 99999999999999999999 }", "RETENTION.records.max_age_days must be a whole number from 0 to 36500"),
                ("{ max_days: 3 }", "max_days"),
            ] {
                try Self.config(cli, records: records)
                let check = try await cli.run(["check-config"])
                #expect(check.exitCode == 2, "\(records): \(check)")
                #expect(check.stderr.contains(message), "\(records): \(check)")
            }
        }
    }
}
