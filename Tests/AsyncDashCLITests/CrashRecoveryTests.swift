import AsyncDash
import Foundation
import Testing

/// Issue 3's crash test: two `asyncdash worker` processes on one SQLite file run 500 tasks while
/// one of them is killed with SIGKILL (and restarted) several times.
@Suite("worker crash recovery across processes", .serialized)
struct CrashRecoveryTests {
    static let taskCount = 500

    @Test func killedWorkersLoseNoTaskAndLeaveNoLocksOrActiveEntries() async throws {
        try await withHarness { cli in
            try cli.copyShippedConfig()
            let env = cli.queueEnvironment("crash.sqlite", leaseTTL: 2)
            let names = Set((0..<Self.taskCount).map { "crash-\($0)" })
            let launch = try await cli.run(
                ["launch", "sample.tasks.update_items", "--args", #"{"count":2,"delay_ms":40}"#, "--name", "crash", "--count", "\(Self.taskCount)"],
                environment: env, timeout: .seconds(90))
            #expect(launch.exitCode == 0, "\(launch)")
            #expect(Set(launch.stdout.split(separator: "\n").map(String.init)) == names)

            let steady = try cli.start(["worker", "--concurrency", "4", "--worker-id", "steady"], environment: env, deadline: .seconds(200))
            var workers = [steady]
            var kills = 0
            for round in 0..<3 {
                let victim = try cli.start(["worker", "--concurrency", "8", "--worker-id", "victim-\(round)"], environment: env,
                                           deadline: .seconds(200))
                workers.append(victim)
                guard await victim.waitForOutput("started crash-", timeout: .seconds(20)) else { break }
                try await Task.sleep(for: .milliseconds(150))
                await victim.kill()
                kills += 1
            }
            let restarted = try cli.start(["worker", "--concurrency", "8", "--worker-id", "victim-last"], environment: env, deadline: .seconds(200))
            workers.append(restarted)
            #expect(kills >= 1, "the victim worker was never killed while running tasks")

            let records = try await cli.waitForRecords(env, timeout: .seconds(180), interval: .seconds(1)) { records in
                names.allSatisfy { records[$0].flatMap(\.status).map(terminalStatuses.contains) == true }
            }
            #expect(await steady.terminate() == 0, "\(steady.description)")
            #expect(await restarted.terminate() == 0, "\(restarted.description)")

            // Every task reached a terminal status, with the outcome of one run.
            #expect(Set(records.keys) == names)
            var lost: [String] = []
            for name in names.sorted() {
                guard let record = records[name] else { continue }
                let message = record["message"]?.stringValue ?? ""
                switch record.status {
                case "success":
                    #expect(record["result_payload"]?.jsonText == #"{"updated":2}"#, "\(name): \(record)")
                    if message.contains("recovered") { lost.append(name) }
                case "failed":
                    #expect(message == "worker lost", "\(name): \(record)")
                    lost.append(name)
                default:
                    Issue.record("\(name) did not reach a terminal status: \(record)")
                }
            }
            // None ran to success twice: no task's "finished NAME succeeded" appears in two workers' output.
            var successes: [String: Int] = [:]
            for worker in workers {
                for line in worker.stdout.split(separator: "\n") where line.hasPrefix("finished crash-") && line.hasSuffix(" succeeded") {
                    successes[String(line.split(separator: " ")[1]), default: 0] += 1
                }
            }
            let twice = successes.filter { $0.value > 1 }
            #expect(twice.isEmpty, "ran to success more than once: \(twice)")
            // The killed workers' tasks were taken back: the records say so ("recovered", "worker
            // lost"), except for a task whose success was recorded just before the kill — its
            // terminal record is never rewritten by the second run — which the reclaiming
            // worker's output names.
            let reclaimedLines = workers.flatMap { $0.stdout.split(separator: "\n").filter { $0.hasPrefix("reclaimed crash-") } }
            #expect(!lost.isEmpty || !reclaimedLines.isEmpty, "no task was taken back from a killed worker (kills: \(kills))")
            #expect(reclaimedLines.count >= lost.count - lost.filter { records[$0]?.status == "success" }.count)

            let locks = try await cli.run(["locks", "list"], environment: env, timeout: .seconds(30))
            #expect(locks.stdout.contains("no locks held"), "\(locks)")
            let cleanup = try await cli.run(["cleanup", "--json"], environment: env, timeout: .seconds(30))
            #expect(try cleanup.json()["active_tasks"] == 0, "\(cleanup)")
            print("crash test: \(kills) kills, \(lost.count) tasks recovered or failed as worker lost, \(successes.count) successes seen in worker output")
        }
    }
}
