import AsyncDash
import Foundation
import Testing

/// `asyncdash launch`, `worker` and `cancel` as separate processes on one SQLite file.
@Suite("launch, worker and cancel across processes", .serialized)
struct LaunchWorkerTests {
    @Test func aLaunchedTaskRunsInAWorkerProcessWhichStopsOnSIGTERM() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("run.sqlite")
            let worker = try cli.start(["worker", "--concurrency", "2"], environment: env, deadline: .seconds(60))
            #expect(await worker.waitForOutput("ready"), "\(worker.description)")
            let launch = try await cli.run(
                ["launch", "sample.tasks.update_items", "--args", #"{"count":3,"delay_ms":10}"#, "--user", "alice"],
                environment: env, timeout: .seconds(30))
            #expect(launch.exitCode == 0, "\(launch)")
            let name = launch.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let records = try await cli.waitForRecords(env, timeout: .seconds(60), interval: .milliseconds(200)) {
                $0[name]?.status == "success"
            }
            let record = try #require(records[name])
            #expect(record.status == "success", "\(record)\n\(worker.description)")
            #expect(record["result_payload"]?.jsonText.contains(#""updated":3"#) == true, "\(record)")
            #expect(await worker.waitForOutput("finished \(name) succeeded"), "\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            #expect(worker.stdout.contains("stopped (graceful shutdown)"))
        }
    }

    @Test func sigtermDuringWorkHandsRunningTasksBackAndASecondWorkerFinishesThem() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("drain.sqlite")
            let launch = try await cli.run(
                ["launch", "sample.tasks.update_items", "--args", #"{"count":20,"delay_ms":400}"#, "--name", "drain", "--count", "6"],
                environment: env, timeout: .seconds(30))
            #expect(launch.exitCode == 0, "\(launch)")
            let names = (0..<6).map { "drain-\($0)" }
            #expect(launch.stdout.split(separator: "\n").map(String.init) == names)

            let first = try cli.start(["worker", "--concurrency", "2", "--grace-period", "0.2"], environment: env, deadline: .seconds(60))
            #expect(await first.waitForOutput("started drain-"), "\(first.description)")
            try await Task.sleep(for: .milliseconds(300))
            #expect(await first.terminate() == 0, "\(first.description)")
            #expect(first.stdout.contains("requeued drain-"), "running tasks are handed back: \(first.description)")

            let second = try cli.start(["worker", "--concurrency", "3"], environment: env, deadline: .seconds(60))
            let records = try await cli.waitForRecords(env, timeout: .seconds(60), interval: .milliseconds(250)) { records in
                names.allSatisfy { records[$0]?.status == "success" }
            }
            #expect(await second.terminate() == 0, "\(second.description)")
            for name in names {
                #expect(records[name]?.status == "success", "\(name): \(records[name] ?? .null)\n\(second.description)")
            }
            #expect(!records.values.contains { $0.status == "in_progress" || $0.status == "pending" })
            let cleanup = try await cli.run(["cleanup", "--json"], environment: env, timeout: .seconds(30))
            #expect(try cleanup.json()["active_tasks"] == 0, "\(cleanup)")
        }
    }

    @Test func launchErrorsHaveTheirExitCodes() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("errors.sqlite")
            let unknown = try await cli.run(["launch", "sample.tasks.update_itemz"], environment: env, timeout: .seconds(30))
            #expect(unknown.exitCode == 2, "\(unknown)")
            #expect(unknown.stderr.contains("sample.tasks.update_items"), "did you mean: \(unknown)")
            let badJSON = try await cli.run(["launch", "sample.tasks.update_items", "--args", "{count"], environment: env, timeout: .seconds(30))
            #expect(badJSON.exitCode == 2, "\(badJSON)")
            let memory = try await cli.run(["launch", "sample.tasks.update_items"], environment: ["ASYNCDASH_STORE": "memory"],
                                           timeout: .seconds(30))
            // The shipped config says QUEUE: durable, which a memory store cannot keep: a config error.
            #expect(memory.exitCode == 2, "\(memory)")
            #expect(memory.stderr.contains("QUEUE: inprocess"), "\(memory)")

            let holder = try await cli.run(["launch", "sample.tasks.update_items", "--name", "holder", "--lock", "book:1,2"],
                                           environment: env, timeout: .seconds(30))
            #expect(holder.exitCode == 0, "\(holder)")
            let conflict = try await cli.run(["launch", "sample.tasks.update_items", "--lock", "book:2,3", "--lock", "author:9"],
                                             environment: env, timeout: .seconds(30))
            #expect(conflict.exitCode == 3, "\(conflict)")
            #expect(conflict.stderr.contains("book:2 locked by holder"), "\(conflict)")
            let locks = try await cli.run(["locks", "list"], environment: env, timeout: .seconds(30))
            #expect(!locks.stdout.contains("book:3") && !locks.stdout.contains("author"), "all or nothing: \(locks)")
        }
    }

    @Test func cancelEndsAQueuedTaskAndUnknownNamesExit1() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("cancel.sqlite")
            let launch = try await cli.run(["launch", "sample.tasks.long_running", "--name", "slow", "--lock", "book:7"],
                                           environment: env, timeout: .seconds(30))
            #expect(launch.exitCode == 0, "\(launch)")
            let cancel = try await cli.run(["cancel", "slow"], environment: env, timeout: .seconds(30))
            #expect(cancel.exitCode == 0, "\(cancel)")
            #expect(cancel.stdout.contains("cancelled slow"), "\(cancel)")
            let records = try await cli.records(env)
            #expect(records["slow"]?.status == "cancelled", "\(records)")
            let locks = try await cli.run(["locks", "list"], environment: env, timeout: .seconds(30))
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
            let unknown = try await cli.run(["cancel", "nobody"], environment: env, timeout: .seconds(30))
            #expect(unknown.exitCode == 1, "\(unknown)")
            #expect(try await cli.run(["cancel", "slow"], environment: env, timeout: .seconds(30)).exitCode == 1)
        }
    }
    @Test func cancelStopsARunningTaskInItsWorkerAndSIGINTStopsTheWorker() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("cancel-running.sqlite")
            let worker = try cli.start(["worker", "--concurrency", "1"], environment: env, deadline: .seconds(60))
            let launch = try await cli.run(["launch", "sample.tasks.long_running", "--args", #"{"seconds":30}"#, "--name", "long",
                                            "--lock", "book:8"], environment: env, timeout: .seconds(30))
            #expect(launch.exitCode == 0, "\(launch)")
            #expect(await worker.waitForOutput("started long"), "\(worker.description)")
            let cancel = try await cli.run(["cancel", "long"], environment: env, timeout: .seconds(30))
            #expect(cancel.exitCode == 0, "\(cancel)")
            #expect(cancel.stdout.contains("cancel requested for long"), "\(cancel)")
            let records = try await cli.waitForRecords(env, timeout: .seconds(20), interval: .milliseconds(200)) {
                $0["long"]?.status == "cancelled"
            }
            #expect(records["long"]?.status == "cancelled", "\(records)\n\(worker.description)")
            #expect(await worker.waitForOutput("finished long cancelled"), "\(worker.description)")
            let locks = try await cli.run(["locks", "list"], environment: env, timeout: .seconds(30))
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
            #expect(await worker.signal(SIGINT) == 0, "\(worker.description)")
            #expect(worker.stdout.contains("stopped (graceful shutdown)"))
        }
    }
}
