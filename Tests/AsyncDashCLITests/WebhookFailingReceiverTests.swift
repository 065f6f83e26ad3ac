import AsyncDash
import AsyncDashSQLite
import Foundation
import Testing

extension WebhookDeliveryTests {
    /// Issue 10: a receiver answering 500 forever. Tasks run by a worker process all finish while
    /// their webhooks are still failing (posting never holds a task up), and every event ends
    /// dead after `max_attempts`, one request per attempt.
    @Test func aReceiverFailingForeverNeverHoldsUpTasksAndItsEventsEndDead() async throws {
        let receiver = try await WebhookReceiver.start { _ in .init(status: 500) }
        defer { Task { await receiver.stop() } }
        try await withHarness { cli in
            try cli.writeConfig("""
                STORE: \(cli.sqliteURL())
                ASYNC_MANAGER_DEFAULT:
                  manager_class: sample.async_manager.SampleAsyncManager
                  config:
                    observers:
                      - type: asyncdash.observers.webhook
                        durable: true
                        max_attempts: 3
                        events: [complete]
                        url: \(receiver.url)
                        secret_env: HOOK_SECRET
                """)
            let env = ["HOOK_SECRET": Self.secret]
            let tasks = 12
            let launch = try await cli.run(
                ["launch", "sample.tasks.update_items", "--args", #"{"count":2,"delay_ms":10}"#, "--name", "steady", "--count", "\(tasks)"],
                environment: env)
            #expect(launch.exitCode == 0, "\(launch)")
            let worker = try cli.start(["worker", "--concurrency", "4"], environment: env, deadline: .seconds(180))
            let started = ContinuousClock.now
            var succeeded = 0
            while succeeded < tasks, ContinuousClock.now < started + .seconds(120) {
                let list = try await cli.run(["list", "--json", "--limit", "100"], environment: env)
                succeeded = (try? list.json().arrayValue)?.filter { $0["status"] == "success" }.count ?? 0
                if succeeded < tasks { try await Task.sleep(for: .milliseconds(100)) }
            }
            let tookForTasks = started.duration(to: .now)
            #expect(succeeded == tasks, "\(worker.description)")
            let store = try await StoreSet.sqlite(path: cli.directory.appendingPathComponent("a.sqlite").path)
            let atFinish = try await store.outbox.entries(consumer: nil, states: [], limit: 100)
            #expect(atFinish.count == tasks, "one complete event per task")
            // Every task finished although no event could be delivered; backoff means most are still pending.
            #expect(atFinish.allSatisfy { $0.state != .delivered }, "\(atFinish.map(\.state))")

            #expect(await Self.wait(.seconds(120)) {
                receiver.received.count >= tasks * 3
            }, "\(receiver.received.count) requests; \(worker.description)")
            var dead: [OutboxEntry] = []
            for _ in 0..<100 {
                dead = try await store.outbox.entries(consumer: nil, states: [.dead], limit: 100)
                if dead.count == tasks { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(dead.count == tasks && dead.allSatisfy { $0.attempts == 3 }, "\(dead.map(\.attempts))")
            #expect(dead.allSatisfy { ($0.lastError ?? "").contains("HTTP 500") })
            #expect(Self.distinct(receiver.received).count == tasks)
            #expect(receiver.received.count == tasks * 3, "three attempts each, no more")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            print("webhooks answered 500 forever: \(tasks) tasks finished in \(tookForTasks); every event dead after 3 attempts")
        }
    }
}
