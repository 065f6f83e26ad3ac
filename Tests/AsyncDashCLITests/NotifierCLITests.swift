import AsyncDash
import Foundation
import Testing

/// The built-in notifiers through the real `asyncdash` binary (issue 10): `serve` counts events
/// of `asyncdash.observers.metrics` into its `/metrics`, and delivers `asyncdash.observers.command`
/// events from the outbox, for a task launched by another process.
@Suite("Built-in notifiers in asyncdash serve")
struct NotifierCLITests {
    @Test func serveCountsEventsIntoMetricsAndRunsTheCommandForEachEvent() async throws {
        try await withHarness { cli in
            let script = cli.directory.appendingPathComponent("notify.sh")
            try "#!/bin/sh\ncat >> \"$OUT/events.jsonl\"\n".write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL("notifiers.sqlite"))
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    record_model_path: sample.AsyncTaskRecord
                    observers:
                      - type: asyncdash.observers.metrics
                      - type: asyncdash.observers.command
                        command: [\(script.path)]
                        pass_env: [OUT]
                        events: [create, complete]
                        durable: true
                """)
            let environment = ["OUT": cli.directory.path]
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: environment, deadline: .seconds(90))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            let base = try #require(BrowserTests.dashboardURL(in: serve.stdout))
            var components = try #require(URLComponents(string: base))
            components.path = "/metrics"
            let metricsURL = try #require(components.string)
            let launch = try await cli.run(["launch", "sample.tasks.update_items", "--args", "{\"count\":2}", "--name", "counted"], environment: environment)
            #expect(launch.exitCode == 0, "\(launch)")

            var completeLine: Substring?
            var commandEvents: [String] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, completeLine == nil || commandEvents.count < 2 {
                try await Task.sleep(for: .milliseconds(100))
                if let (_, text) = try? await ServeDashboardTests.get(metricsURL) {
                    completeLine = text.split(separator: "\n").first {
                        $0.hasPrefix("asyncdash_task_events_total{") && $0.contains("kind=\"complete\"")
                            && $0.contains("function=\"sample.tasks.update_items\"") && $0.contains("status=\"success\"")
                    }
                }
                let lines = (try? String(contentsOf: cli.directory.appendingPathComponent("events.jsonl"), encoding: .utf8)) ?? ""
                commandEvents = lines.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0))["event"]?.stringValue }
            }
            #expect(completeLine?.hasSuffix(" 1") == true, "the complete event counted once in /metrics: \(completeLine ?? "none")")
            #expect(commandEvents == ["create", "complete"], "the command ran for the declared events, in order: \(commandEvents)")
            #expect(await serve.terminate() == 0, "\(serve.description)")
        }
    }
}

@Suite("README: more notifiers")
struct ReadmeNotifiersTests {
    @Test func theNotifiersConfigOfTheReadmeChecks() async throws {
        try await withHarness { cli in
            try cli.writeConfig(try ReadmeErrorExampleTests.block(after: "notifiers.yaml") + "\n")
            let check = try await cli.run(["check-config"])
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout.contains("asyncdash.observers.metrics"), "\(check)")
            #expect(check.stdout.contains("asyncdash.observers.command"), "\(check)")
        }
    }
}
