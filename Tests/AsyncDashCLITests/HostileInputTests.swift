import AsyncDash
import Foundation
import Testing

/// Hostile input through the real `asyncdash` binary: every case ends with an error and an exit
/// code, or a bounded answer — never a signal (a trap or a crash).
@Suite("Hostile input: config, flags, JSON and terminal output", .serialized)
struct HostileInputTests {
    func expectNoSignal(_ result: CLIResult, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(!result.bySignal, "\(what) ended by a signal: \(result)", sourceLocation: sourceLocation)
    }

    @Test func controlCharactersAreEscapedInHumanOutputAndExactInJSON() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = ["ASYNCDASH_STORE": cli.sqliteURL()]
            let hostile = "\u{1B}[2J\u{1B}]0;owned\u{7}\u{9B}31m"
            let create = try await cli.run(["emit", "create", "--task", "t1", "--message", hostile, "--user", "eve\u{1B}[5m"], environment: env)
            #expect(create.exitCode == 0, "\(create)")
            for command in [["list"], ["show", "t1"]] {
                let result = try await cli.run(command, environment: env)
                #expect(result.exitCode == 0, "\(result)")
                let raw = result.stdout.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
                #expect(raw.isEmpty, "\(command): raw control characters \(raw.map(\.value))")
                #expect(result.stdout.contains("\\x1B"), "\(result.stdout)")
            }
            let json = try await cli.run(["show", "t1", "--json"], environment: env)
            #expect(try json.json()["message"] == .string(hostile), "JSON output keeps the exact value")
            #expect(!json.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B }, "escaped as \\u in JSON")
        }
    }

    @Test func deepOrOutOfRangeJSONArgumentsAreErrors() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = ["ASYNCDASH_STORE": cli.sqliteURL()]
            let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
            let cases: [[String]] = [
                ["emit", "create", "--task", "d1", "--kwargs", deep],
                ["emit", "create", "--task", "d2", "--args", "[01]"],
                ["emit", "create", "--task", "d3", "--kwargs", "{\"n\": 99999999999999999999}"],
                ["launch", "sample.tasks.update_items", "--args", deep],
            ]
            for arguments in cases {
                let result = try await cli.run(arguments, environment: env)
                expectNoSignal(result, arguments.prefix(4).joined(separator: " "))
                #expect(result.exitCode != 0, "\(arguments.prefix(4)): \(result)")
                #expect(result.stderr.contains("invalid JSON") || result.stderr.contains("JSON"), "\(result)")
            }
        }
    }

    @Test func outOfRangeNumbersInFlagsEnvironmentAndStoreURLAreErrors() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let runs: [([String], [String: String], String)] = [
                (["worker", "--grace-period", "inf"], ["ASYNCDASH_STORE": cli.sqliteURL()], "--grace-period"),
                (["worker", "--grace-period", "1e300"], ["ASYNCDASH_STORE": cli.sqliteURL()], "--grace-period"),
                (["list"], ["ASYNCDASH_STORE": cli.sqliteURL() + "?busy_timeout_ms=2147483648"], "busy_timeout_ms"),
                (["check-config"], ["ASYNCDASH_CONFLICT_TTL": "9223372036854775807"], "ASYNCDASH_CONFLICT_TTL"),
                (["check-config"], ["ASYNCDASH_LEASE_TTL": "0"], "1 to 86400"),
            ]
            for (arguments, environment, mentioned) in runs {
                let result = try await cli.run(arguments, environment: environment, timeout: .seconds(60))
                expectNoSignal(result, arguments.joined(separator: " "))
                #expect(result.exitCode != 0 && result.stderr.contains(mentioned), "\(arguments) \(environment): \(result)")
            }
        }
    }

    @Test func aTaskWhoseArgumentIsOutOfRangeFailsAloneWithTheReason() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = ["ASYNCDASH_STORE": cli.sqliteURL()]
            let bad = try await cli.run(["launch", "sample.tasks.long_running", "--args", "{\"seconds\": 1e300}", "--name", "bad"], environment: env)
            #expect(bad.exitCode == 0, "\(bad)")
            let good = try await cli.run(["launch", "sample.tasks.update_items", "--args", "{\"count\": 2}", "--name", "good"], environment: env)
            #expect(good.exitCode == 0, "\(good)")
            let worker = try cli.start(["worker", "--concurrency", "2"], environment: env)
            var statuses: [String: String] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, statuses["bad"] != "failed" || statuses["good"] != "success" {
                try await Task.sleep(for: .milliseconds(100))
                let list = try await cli.run(["list", "--json"], environment: env)
                for record in (try? list.json().arrayValue) ?? [] {
                    if let name = record["task_name"]?.stringValue { statuses[name] = record["status"]?.stringValue }
                }
            }
            #expect(statuses == ["bad": "failed", "good": "success"])
            #expect(worker.isRunning, "the worker survived the out-of-range argument")
            let show = try await cli.run(["show", "bad", "--json"], environment: env)
            #expect(show.stdout.contains("out of range"), "\(show)")
            #expect(await worker.terminate() == 0)
        }
    }

    @Test func configBombsEndWithAConfigErrorQuickly() async throws {
        try await withHarness { cli in
            var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
            for level in 1...9 {
                lines.append("a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", "))]")
            }
            lines.append("PLUGINS: *a9")
            for (name, text) in [("bomb.yaml", lines.joined(separator: "\n")), ("deep.yaml", "PLUGINS: " + String(repeating: "[", count: 200_000))] {
                try cli.writeConfig(text, name: name)
                let result = try await cli.run(["check-config", "--config", name], timeout: .seconds(60))
                expectNoSignal(result, name)
                #expect(result.exitCode == 2, "\(name): \(result)")
                #expect(result.stderr.contains("\(name):"), "\(result)")
            }
        }
    }
}
