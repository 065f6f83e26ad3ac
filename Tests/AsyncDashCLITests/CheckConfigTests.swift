import AsyncDash
import Foundation
import Testing

@Suite("asyncdash check-config")
struct CheckConfigTests {
    @Test func shippedConfigResolves() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["check-config"])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.contains("ASYNC_MANAGER_DEFAULT: sample.async_manager.SampleAsyncManager (ModelTrackingAsyncManager)"))
            #expect(result.stdout.contains("sample.AsyncTaskRecord"))
            #expect(result.stdout.contains("progress → progress_payload"))
            #expect(result.stdout.contains("asyncdash.observers.log  events: complete, fail"))
            #expect(result.stdout.hasSuffix("config OK\n"))
        }
    }

    @Test func shippedConfigAsJSON() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let result = try await cli.run(["check-config", "--json"])
            #expect(result.exitCode == 0, "\(result)")
            let json = try result.json()
            #expect(json["default_manager"]?["class"]?.stringValue == "sample.async_manager.SampleAsyncManager")
            #expect(json["default_manager"]?["record_model"]?["table"]?.stringValue == "async_task_records")
            #expect(json["managers"]?["sample.NotifyingAsyncManager"]?["chain"]?.arrayValue?.count == 2)
        }
    }

    @Test func everyConfigMistakeIsReportedWithItsLine() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                CONFLICT_TTL: -5
                STOER: x
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManagr
                MANAGERS:
                  myapp.Renamed:
                    base: sample.async_manager.SampleAsyncManager
                    field_map: { progress: progres_payload }
                """)
            let result = try await cli.run(["check-config"])
            #expect(result.exitCode == 2, "\(result)")
            #expect(result.stdout.isEmpty)
            let pattern = /^config\.yaml:(\d+):(\d+): error: (.*)$/
            let diagnostics = result.stderr.split(separator: "\n").compactMap { try? pattern.wholeMatch(in: String($0)) }
            #expect(diagnostics.count == 4, "\(result)")
            #expect(diagnostics.map { Int($0.output.1) } == [2, 3, 5, 9])
            let messages = diagnostics.map { String($0.output.3) }
            #expect(messages.contains { $0.contains("CONFLICT_TTL") && $0.contains("-5") })
            #expect(messages.contains { $0.contains("unknown key 'STOER'") })
            #expect(messages.contains { $0.contains("did you mean 'sample.async_manager.SampleAsyncManager'") })
            #expect(messages.contains { $0.contains("'progres_payload' is not a column") })
        }
    }

    @Test func missingConfigIsAConfigError() async throws {
        try await withHarness { cli in
            let result = try await cli.run(["check-config", "--config", "nowhere.yaml"])
            #expect(result.exitCode == 2)
            #expect(result.stderr.contains("nowhere.yaml:0:0: error: config file not found"))
        }
    }

    @Test func configPathComesFromTheEnvironment() async throws {
        try await withHarness { cli in
            try cli.writeSQLiteConfig()
            try FileManager.default.moveItem(
                at: cli.directory.appendingPathComponent("config.yaml"), to: cli.directory.appendingPathComponent("other.yaml"))
            let result = try await cli.run(["check-config"], environment: ["ASYNCDASH_CONFIG": "other.yaml"])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.contains("config: other.yaml"))
        }
    }
}
