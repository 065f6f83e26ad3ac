import AsyncDash
import Foundation
import Testing

/// A `durable: true` observer receives every event, also one emitted by a short-lived
/// `asyncdash emit` while no worker ran, and after a worker was killed and restarted.
@Suite("Durable observers across processes", .serialized)
struct DurableObserverTests {
    func lines(_ cli: CLIHarness) -> [JSONValue] {
        let text = (try? String(contentsOf: cli.directory.appendingPathComponent("events.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
    }

    func waitForLines(_ cli: CLIHarness, _ count: Int) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < deadline {
            if lines(cli).count >= count { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func everyEventIsDeliveredLaterByAWorkerAlsoAfterAKillAndARestart() async throws {
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    observers:
                      - type: asyncdash.observers.jsonl
                        path: events.jsonl
                        durable: true
                """)
            for (event, task) in [("create", "t1"), ("complete", "t1")] {
                let emit = try await cli.run(["emit", event, "--task", task])
                #expect(emit.exitCode == 0, "\(emit)")
            }
            #expect(lines(cli).isEmpty, "no process delivers the outbox yet")

            let first = try cli.start(["worker"], deadline: .seconds(90))
            #expect(await waitForLines(cli, 2), "\(first.description)")
            await first.kill()  // SIGKILL, as a crash

            for (event, task) in [("create", "t2"), ("fail", "t2")] {
                let emit = try await cli.run(["emit", event, "--task", task, "--message", "boom"])
                #expect(emit.exitCode == 0, "\(emit)")
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(lines(cli).count == 2, "nobody delivers while the worker is down")

            let second = try cli.start(["worker"], deadline: .seconds(90))
            #expect(await waitForLines(cli, 4), "\(second.description)")
            #expect(await second.terminate() == 0, "\(second.description)")
            let delivered = lines(cli).map { "\($0["task_name"]?.stringValue ?? "?"):\($0["event"]?.stringValue ?? "?")" }
            #expect(delivered == ["t1:create", "t1:complete", "t2:create", "t2:fail"], "every event, in order, once: \(delivered)")
        }
    }
}
