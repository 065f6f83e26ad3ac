import AsyncDash
import Foundation
import Testing

/// Issue 11: `pg_ctl restart` while tasks report progress — no event lost, the run completes.
/// The test runs a PostgreSQL cluster of its own (`.ci/postgres` on port 5491), so restarting it
/// disturbs no other test.
@Suite(
    "PostgreSQL restart mid-run", .serialized,
    .enabled("skipped: no PostgreSQL (start one with .ci/postgres start, or set ASYNCDASH_TEST_POSTGRES_URL)") { await CLIPostgres.probe.value })
struct PostgresRestartTests {
    static let port = 5491

    /// Runs `.ci/postgres ACTION` for this suite's cluster; returns its output and exit status.
    static func cluster(_ action: String, downSeconds: Int = 0) async throws -> (Int32, String) {
        try await OwnPostgresCluster.run(action, port: port, downSeconds: downSeconds)
    }

    @Test func aRestartWhileTasksReportProgressLosesNoEventAndTheRunCompletes() async throws {
        let (started, startOutput) = try await Self.cluster("start")
        try #require(started == 0, "could not start a cluster of the test's own: \(startOutput)")
        do {
            try await restartWhileTasksRun()
        } catch {
            _ = try? await Self.cluster("stop")
            throw error
        }
        _ = try await Self.cluster("stop")
    }

    /// The body of the test, on the cluster it started.
    private func restartWhileTasksRun() async throws {
        try await withHarness { cli in
            let url = "postgres://asyncdash@127.0.0.1:\(Self.port)/asyncdash_test?sslmode=disable&schema=restart_" + UUID().uuidString.prefix(8).lowercased()
            try cli.writeConfig("""
                STORE: "\(url)"
                QUEUE: durable
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    record_model_path: sample.AsyncTaskRecord
                    observers:
                      - type: asyncdash.observers.jsonl
                        path: events.jsonl
                        durable: true
                """)
            let (taskCount, steps) = (12, 40)
            let launch = try await cli.run(
                ["launch", "sample.tasks.update_items", "--args", "{\"count\":\(steps),\"delay_ms\":60}", "--name", "restart", "--count", "\(taskCount)"])
            #expect(launch.exitCode == 0, "\(launch)")
            let names = launch.stdout.split(separator: "\n").map(String.init)
            let worker = try cli.start(["worker", "--concurrency", "\(taskCount)"], deadline: .seconds(180))
            #expect(await worker.waitForOutput("started restart-"), "\(worker.description)")
            try await Task.sleep(for: .milliseconds(600))  // every task is part-way through its steps

            let restartedAt = ContinuousClock.now
            // Down for 3 s, as a restart on a loaded machine can be: writes wait and retry meanwhile.
            let (restarted, restartOutput) = try await Self.cluster("restart", downSeconds: 3)
            #expect(restarted == 0, "\(restartOutput)")
            let restartTook = ContinuousClock.now - restartedAt

            for name in names {
                #expect(await worker.waitForOutput("finished \(name) succeeded", timeout: .seconds(120)), "\(worker.description)")
            }
            // Every progress step of every task reached the durable observer (at least once: a
            // delivery whose "delivered" mark was cut off by the restart is sent again), and every
            // completion. Waits for all of them, so that an event delivered late is told apart
            // from one lost.
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            var delivered = DeliveredEvents()
            repeat {
                try await Task.sleep(for: .milliseconds(200))
                delivered = DeliveredEvents(jsonLines: (try? String(contentsOf: cli.directory.appendingPathComponent("events.jsonl"), encoding: .utf8)) ?? "")
            } while !delivered.hasEverything(of: names, steps: steps) && ContinuousClock.now < deadline
            let waitedAfterLastFinish = ContinuousClock.now - deadline + .seconds(60)
            #expect(await worker.terminate() == 0, "\(worker.description)")
            let warnings = (worker.stdout + worker.stderr).split(separator: "\n")
                .filter { $0.contains("warning") || $0.contains("error") || $0.contains("critical") }.joined(separator: "\n")
            for name in names {
                if delivered.steps[name] != Set(1...steps) {
                    // What the outbox holds for the task says whether the event was never stored
                    // or stored and not delivered.
                    let outbox = try await cli.run(["webhooks", "list", "--observer", "asyncdash.observers.jsonl", "--task", name])
                    Issue.record("\(name): progress steps delivered \(delivered.steps[name]?.sorted() ?? []) of 1...\(steps); its outbox entries: \(outbox.stdout)\nthe worker's warnings and errors:\n\(warnings)")
                }
                #expect(delivered.completed.contains(name), "\(name) never completed")
                let show = try await cli.run(["show", name, "--json"])
                #expect(try show.json()["status"]?.stringValue == "success", "\(show)")
            }
            let doctor = try await cli.run(["doctor"])
            #expect(doctor.stdout.contains(" 0 dead letters"), "\(doctor)")
            print("restart test: restart took \(restartTook); \(delivered.lines) events delivered, \(delivered.distinct) distinct (\(delivered.lines - delivered.distinct) delivered twice); all in \(waitedAfterLastFinish) after the last task finished")
        }
    }
}

/// The events a `asyncdash.observers.jsonl` observer wrote: progress steps and completions per task.
struct DeliveredEvents {
    var steps: [String: Set<Int>] = [:]
    var completed: Set<String> = []
    var lines = 0
    var distinct = 0

    init() {}

    init(jsonLines text: String) {
        var distinctLines: Set<Substring> = []
        for line in text.split(separator: "\n") {
            distinctLines.insert(line)
            guard let event = try? JSONValue(parsing: String(line)), let task = event["task_name"]?.stringValue else { continue }
            lines += 1
            if event["event"]?.stringValue == "complete" { completed.insert(task) }
            if let done = event["progress"]?["done"]?.intValue { steps[task, default: []].insert(done) }
        }
        distinct = distinctLines.count
    }

    /// Whether every task's steps 1...`steps` and its completion are in.
    func hasEverything(of tasks: [String], steps count: Int) -> Bool {
        tasks.allSatisfy { completed.contains($0) && steps[$0]?.count == count }
    }
}
