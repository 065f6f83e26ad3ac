import AsyncDash
import Foundation
import Testing

/// `MAX_TASK_DURATION` through the binary: a `worker` process cancels a run past it, the record
/// ends `failed` with the reason (never both `failed_at` and `completed_at`), and the task's
/// locks are held until it stops (issue 9, item 16). Real SQLite file.
@Suite("MAX_TASK_DURATION in a worker process", .serialized)
struct MaxTaskDurationCLITests {
    @Test func aWorkerStopsARunPastTheLimitAndItEndsFailedWithTheReason() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            var env = cli.queueEnvironment("max-duration.sqlite", leaseTTL: 2)
            env["ASYNCDASH_MAX_TASK_DURATION"] = "2"
            let launch = try await cli.run(["launch", "sample.tasks.long_running", "--args", #"{"seconds":60}"#,
                                            "--name", "too-long", "--lock", "book:41"], environment: env)
            #expect(launch.exitCode == 0, "\(launch)")
            // The lock is taken at launch; the worker's heartbeats keep it while the task runs.
            let held = try await cli.run(["locks", "list", "--json"], environment: env)
            #expect(held.stdout.contains("book:41"), "the lock is held from the launch: \(held)")
            let worker = try cli.start(["worker", "--concurrency", "2"], environment: env, deadline: .seconds(120))

            let records = try await cli.waitForRecords(env, timeout: .seconds(60)) { $0["too-long"]?["status"] == "failed" }
            let record = try #require(records["too-long"])
            #expect(record["message"] == "Task stopped: it ran longer than MAX_TASK_DURATION (2.0 seconds)", "\(record)")
            #expect(record["failed_at"] != .null && record["completed_at"] == .null, "\(record)")
            let released = try await cli.run(["locks", "list", "--json"], environment: env)
            #expect(!released.stdout.contains("book:41"), "the lock is released once it stopped: \(released)")
            #expect(worker.stderr.contains("a task ran past MAX_TASK_DURATION"), "\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
        }
    }
}
