import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

@Suite("asyncdash worker: scheduled clean-up")
struct WorkerCleanupTests {
    @Test func aWorkerCleansUpAnAbandonedTaskOnItsSchedule() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            var env = cli.queueEnvironment("sched.sqlite")
            env["ASYNCDASH_CLEANUP_SCHEDULE_INTERVAL"] = "1"
            // A task a dead process left behind: a record, a lock and an active entry, but no job.
            #expect(try await cli.run(["emit", "create", "--task", "orphan", "--user", "alice"], environment: env).exitCode == 0)
            #expect(try await cli.run(["locks", "reserve", "--task", "orphan", "book:9"], environment: env).exitCode == 0)
            do {
                let stores = try await StoreSet.sqlite(path: cli.directory.appendingPathComponent("sched.sqlite").path)
                try await stores.coordination.addActiveTask("orphan")
            }
            let worker = try cli.start(["worker"], environment: env, deadline: .seconds(60))
            #expect(await worker.waitForOutput("ready"), "\(worker.description)")
            let records = try await cli.waitForRecords(env, timeout: .seconds(30), interval: .milliseconds(200)) {
                $0["orphan"]?["cleaned_up"] == true
            }
            #expect(records["orphan"]?["cleaned_up"] == true, "\(worker.description)")
            #expect(records["orphan"]?.status == "failed")
            let locks = try await cli.run(["locks", "list"], environment: env)
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
        }
    }
}
