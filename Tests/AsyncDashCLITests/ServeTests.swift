import AsyncDash
import Foundation
import Testing

@Suite("asyncdash serve", .serialized)
struct ServeTests {
    @Test(arguments: ["durable", "inprocess"])
    func serveDemoRunsSampleTasksAndStopsOnSIGTERM(_ queue: String) async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            var env = cli.queueEnvironment("serve-\(queue).sqlite")
            env["ASYNCDASH_QUEUE"] = queue
            env["ASYNCDASH_CLEANUP_SCHEDULE_INTERVAL"] = "1"
            let serve = try cli.start(["serve", "--demo", "--concurrency", "4", "--grace-period", "5", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(90))
            #expect(await serve.waitForOutput("serving: queue \(queue)"), "\(serve.description)")
            let records = try await cli.waitForRecords(env, timeout: .seconds(60), interval: .milliseconds(300)) { records in
                records.values.contains { $0.status == "success" } && records.values.contains { $0.status == "failed" }
            }
            #expect(records.values.contains { $0.status == "success" && $0["cleaned_up"] == true }, "\(serve.description)")
            #expect(records.values.contains { $0.status == "failed" && $0["message"]?.stringValue?.contains("failing value") == true })
            #expect(await serve.terminate() == 0, "\(serve.description)")
            #expect(serve.stdout.contains("stopped (graceful shutdown)"))
            // Nothing is left in progress: every task finished, was handed back, or was cancelled.
            let after = try await cli.records(env)
            let unfinished = after.filter { $0.value.status == "in_progress" }
            #expect(unfinished.isEmpty, "\(unfinished.keys.sorted())")
        }
    }
}
