import AsyncDash
import AsyncDashSQLite
import AsyncDashWebhooks
import Foundation
import Testing

/// The webhook observer against a real HTTP receiver on 127.0.0.1, through the outbox of a real
/// SQLite file and the dispatcher `serve` and `worker` run.
@Suite("Webhook delivery")
struct WebhookDeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A manager whose only observer is a durable webhook to `url`, on a fresh SQLite file.
    struct Hooked {
        var manager: AsyncManager
        var dispatcher: OutboxDispatcher
        var stores: StoreSet

        init(url: String, maxAttempts: Int = 5, statuses: Set<TaskStatus>? = nil) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("asyncdash-webhooks-\(UUID().uuidString)")
            stores = try await StoreSet.sqlite(path: directory.appendingPathComponent("hooks.sqlite").path)
            let registration = ObserverRegistration(
                name: "asyncdash.observers.webhook", observer: try WebhookObserver(url: url, secret: WebhookDeliveryTests.secret, statuses: statuses),
                timeout: .seconds(10), delivery: .durable(maxAttempts: maxAttempts, retryBase: .milliseconds(1)))
            manager = try AsyncManager(context: ManagerContext(name: "asyncdash.AsyncManager", stores: stores, observers: ObserverChain([registration])))
            dispatcher = OutboxDispatcher(managers: [manager])
        }

        /// Runs delivery passes until `done` holds (at most 30 s); returns whether it did.
        @discardableResult
        func deliver(until done: () -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(30)
            while !done() {
                guard ContinuousClock.now < deadline else { return false }
                _ = try await dispatcher.deliverDue()
                try await Task.sleep(for: .milliseconds(5))
            }
            return true
        }

        func entries(_ states: Set<OutboxState>) async throws -> [OutboxEntry] {
            try await stores.outbox.entries(consumer: nil, states: states, limit: 1_000)
        }
    }

    static func verifies(_ request: WebhookReceiver.Request) throws -> Bool {
        let signer = try WebhookSigner(secret: secret)
        guard let timestamp = Int64(request.timestamp) else { return false }
        return signer.verify(id: request.id, timestamp: timestamp, body: request.body, signatureHeader: request.signature)
    }

    @Test func aReceiverFailingTwiceGetsTheEventOnTheThirdTrySignedEachTimeWithOneIDThenTheNextInOrder() async throws {
        let receiver = try await WebhookReceiver.start { $0.number < 2 ? .init(status: 500) : .ok }
        defer { Task { await receiver.stop() } }
        let hooked = try await Hooked(url: receiver.url)
        await hooked.manager.emit(LifecycleEvent(.create, task: "t1", message: "Task queued"))
        await hooked.manager.emit(LifecycleEvent(.complete, task: "t1", result: ["rows": 3]))
        #expect(try await hooked.deliver { receiver.received.count >= 4 })
        let received = receiver.received
        #expect(received.map(\.event) == ["create", "create", "create", "complete"])
        try #require(received.count >= 4, "the checks below read the fourth request")
        #expect(Set(received.prefix(3).map(\.id)).count == 1, "one id on every attempt: \(received.map(\.id))")
        #expect(received[3].id != received[0].id)
        for request in received { #expect(try Self.verifies(request), "signature of \(request.id)") }
        #expect(received[3].object?["type"] as? String == "task.complete")
        #expect((received[3].data?["result"] as? [String: Any])?["rows"] as? Int == 3)
        #expect(try await hooked.entries([.delivered]).count == 2)
        #expect(try await hooked.entries([.pending, .dead]).isEmpty)
    }

    @Test func aClientErrorIsDeadLetteredAtOnceAndTheNextEventStillGoes() async throws {
        let receiver = try await WebhookReceiver.start { $0.number == 0 ? .init(status: 400) : .ok }
        defer { Task { await receiver.stop() } }
        let hooked = try await Hooked(url: receiver.url)
        await hooked.manager.emit(LifecycleEvent(.create, task: "t1"))
        await hooked.manager.emit(LifecycleEvent(.fail, task: "t1", message: "boom"))
        #expect(try await hooked.deliver { receiver.received.count >= 2 })
        #expect(receiver.received.map(\.event) == ["create", "fail"], "the 400 was not sent again")
        let dead = try await hooked.entries([.dead])
        #expect(dead.count == 1 && dead.first?.attempts == 1, "\(dead)")
        #expect(dead.first?.lastError?.contains("HTTP 400") == true, "\(dead)")
    }

    @Test func aServerErrorForeverIsDeadLetteredAfterMaxAttempts() async throws {
        let receiver = try await WebhookReceiver.start { _ in .init(status: 503) }
        defer { Task { await receiver.stop() } }
        let hooked = try await Hooked(url: receiver.url, maxAttempts: 3)
        await hooked.manager.emit(LifecycleEvent(.create, task: "t1"))
        #expect(try await hooked.deliver { receiver.received.count >= 3 })
        try await Task.sleep(for: .milliseconds(50))
        _ = try await hooked.dispatcher.deliverDue()
        #expect(receiver.received.count == 3, "no fourth attempt")
        let dead = try await hooked.entries([.dead])
        #expect(dead.count == 1 && dead.first?.attempts == 3, "\(dead)")
        #expect(dead.first?.lastError?.contains("HTTP 503") == true, "\(dead)")
    }

    @Test func retryAfterPutsTheNextAttemptOff() async throws {
        let receiver = try await WebhookReceiver.start { _ in .init(status: 429, headers: ["Retry-After": "120"]) }
        defer { Task { await receiver.stop() } }
        let hooked = try await Hooked(url: receiver.url)
        await hooked.manager.emit(LifecycleEvent(.create, task: "t1"))
        let asked = Date()
        #expect(try await hooked.deliver { receiver.received.count >= 1 })
        _ = try await hooked.dispatcher.deliverDue()
        let answered = Date()
        #expect(receiver.received.count == 1)
        let pending = try await hooked.entries([.pending])
        let next = try #require(pending.first?.nextAttemptAt)
        #expect(next.timeIntervalSince(asked) >= 120, "next attempt at \(next), asked at \(asked)")
        #expect(next.timeIntervalSince(answered) <= 121, "next attempt at \(next), answered by \(answered)")
    }

    @Test func aReceiverThatIsDownIsRetriedAndGetsEveryEventOnceUp() async throws {
        // A port that was free a moment ago: nothing listens there until the receiver starts.
        let placeholder = try await WebhookReceiver.start()
        let port = placeholder.port
        await placeholder.stop()
        let hooked = try await Hooked(url: "http://127.0.0.1:\(port)/hook", maxAttempts: 100)
        let tasks = (0..<6).map { "t\($0)" }
        for kind in [LifecycleEventKind.create, .progress, .complete] {
            for task in tasks { await hooked.manager.emit(LifecycleEvent(kind, task: task)) }
        }
        _ = try await hooked.dispatcher.deliverDue()
        let refused = try await hooked.entries([.pending])
        #expect(refused.count == 18)
        // Each task's first event was tried (4 tasks at a time) and holds its task's later events back.
        #expect(refused.filter { $0.attempts == 1 }.count == 6, "\(refused.map(\.attempts))")
        #expect(refused.contains { $0.attempts == 1 && ($0.lastError ?? "").contains("POST http://127.0.0.1:\(port)/hook") }, "\(refused)")
        let receiver = try await WebhookReceiver.start(port: port)
        defer { Task { await receiver.stop() } }
        #expect(try await hooked.deliver { Set(receiver.received.map(\.id)).count >= 18 })
        for task in tasks {
            let events = receiver.received.filter { $0.task == task }.map { $0.event ?? "?" }
            #expect(events == ["create", "progress", "complete"], "\(task)'s events in order")
        }
        #expect(Set(receiver.received.map(\.id)).count == 18)
        #expect(try await hooked.entries([.pending, .dead]).isEmpty)
    }

    @Test func onlyEventsWithTheListedStatusesArePosted() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let hooked = try await Hooked(url: receiver.url, statuses: [.failed])
        await hooked.manager.emit(LifecycleEvent(.create, task: "t1"))
        await hooked.manager.emit(LifecycleEvent(.complete, task: "t1"))
        await hooked.manager.emit(LifecycleEvent(.fail, task: "t2", message: "boom"))
        #expect(try await hooked.deliver { receiver.received.count >= 1 })
        for _ in 0..<3 { _ = try await hooked.dispatcher.deliverDue() }
        #expect(receiver.received.map(\.task) == ["t2"])
        #expect(try await hooked.entries([.pending, .dead]).isEmpty, "the events left out count as delivered")
    }

    /// Issue 10: events emitted by `asyncdash emit` (a short-lived process) are posted by a running
    /// `serve`; events left undelivered by a killed process are posted by the next one.
    @Test func eventsOfShortLivedProcessesArePostedByServeAndAfterAKillByTheNextProcess() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await withHarness { cli in
            let env = try Self.configure(cli, receiver)
            let serve = try cli.start(["serve", "--bind", "127.0.0.1:0"], environment: env, deadline: .seconds(120))
            #expect(await serve.waitForOutput("dashboard: http://"), "\(serve.description)")
            for (event, task) in [("create", "e1"), ("complete", "e1")] {
                let emit = try await cli.run(["emit", event, "--task", task], environment: env)
                #expect(emit.exitCode == 0, "\(emit)")
            }
            #expect(await Self.wait { Self.distinct(receiver.received).count >= 2 }, "\(serve.description)")
            await serve.kill()  // SIGKILL: nothing more is posted until another process runs
            try await Task.sleep(for: .seconds(1))  // a request already on its way lands

            for (event, task) in [("create", "e2"), ("fail", "e2")] {
                let emit = try await cli.run(["emit", event, "--task", task, "--message", "boom"], environment: env)
                #expect(emit.exitCode == 0, "\(emit)")
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(!receiver.received.contains { $0.task == "e2" }, "nobody posts while no process runs")
            let worker = try cli.start(["worker"], environment: env, deadline: .seconds(120))
            #expect(await Self.wait { Self.distinct(receiver.received).count >= 4 }, "\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            // At least once: an attempt cut off by its time-out, or posted just before the kill and
            // not yet marked delivered, is posted again — with the same id, for the receiver to drop.
            let posted = Self.distinct(receiver.received).map { "\($0.task ?? "?"):\($0.event ?? "?")" }
            #expect(posted == ["e1:create", "e1:complete", "e2:create", "e2:fail"], "every event, in order: \(posted)")
            for request in receiver.received {
                let first = try #require(receiver.received.first { $0.id == request.id })
                #expect(first.body == request.body, "a repeat is the same event")
            }
            for request in receiver.received { #expect(try Self.verifies(request)) }
        }
    }

    /// `webhooks list` shows a dead-lettered event, `retry` sends it again, `replay --task` sends a
    /// task's delivered events again with their ids, `purge` removes what is dead.
    @Test func theWebhooksCommandListsRetriesReplaysAndPurges() async throws {
        // The first request for r1 is refused (400: dead at once); every other one is accepted.
        let receiver = try await WebhookReceiver.start { $0.request.task == "r1" && $0.numberOfTask == 0 ? .init(status: 400) : .ok }
        defer { Task { await receiver.stop() } }
        try await withHarness { cli in
            let env = try Self.configure(cli, receiver)
            for (event, task) in [("create", "r1"), ("create", "r2")] {
                #expect(try await cli.run(["emit", event, "--task", task], environment: env).exitCode == 0)
            }
            let worker = try cli.start(["worker"], environment: env, deadline: .seconds(120))
            #expect(await Self.wait { receiver.received.contains { $0.task == "r2" } }, "\(worker.description)")
            let dead = try await cli.run(["webhooks", "list", "--state", "dead", "--json"], environment: env)
            #expect(dead.exitCode == 0, "\(dead)")
            let deadEntries = try #require(try dead.json().arrayValue)
            #expect(deadEntries.count == 1 && deadEntries.first?["event"]?["task_name"]?.stringValue == "r1", "\(dead)")
            #expect(deadEntries.first?["last_error"]?.stringValue?.contains("HTTP 400") == true, "\(dead)")
            let table = try await cli.run(["webhooks", "list"], environment: env)
            #expect(table.stdout.contains("dead") && table.stdout.contains("delivered"), "\(table)")

            let retry = try await cli.run(["webhooks", "retry"], environment: env)
            #expect(retry.stdout.contains("1 dead event of asyncdash.observers.webhook queued again"), "\(retry)")
            func posts(of task: String) -> [WebhookReceiver.Request] { receiver.received.filter { $0.task == task } }
            #expect(await Self.wait { posts(of: "r1").count >= 2 }, "\(worker.description)")
            #expect(Set(posts(of: "r1").map(\.id)).count == 1, "the same event, with its id")
            let r2Before = posts(of: "r2").count

            let replay = try await cli.run(["webhooks", "replay", "--task", "r2"], environment: env)
            #expect(replay.stdout.contains("1 event of asyncdash.observers.webhook queued again with its id"), "\(replay)")
            #expect(await Self.wait { posts(of: "r2").count > r2Before }, "\(worker.description)")
            #expect(Set(posts(of: "r2").map(\.id)).count == 1, "replayed with its id")
            for request in receiver.received { #expect(try Self.verifies(request)) }
            #expect(await worker.terminate() == 0, "\(worker.description)")

            let nothing = try await cli.run(["webhooks", "replay"], environment: env)
            #expect(nothing.exitCode == 2 && nothing.stderr.contains("say what to replay"), "\(nothing)")
            let badTime = try await cli.run(["webhooks", "replay", "--since", "yesterday"], environment: env)
            #expect(badTime.exitCode == 2 && badTime.stderr.contains("is not an ISO 8601 time"), "\(badTime)")
            let purge = try await cli.run(["webhooks", "purge"], environment: env)
            #expect(purge.stdout.contains("0 dead events of asyncdash.observers.webhook removed"), "\(purge)")
        }
    }

    /// Writes a config whose default manager posts to `receiver`; returns the environment that
    /// holds the secret.
    /// The README's chat webhooks, with their URLs pointed at a local receiver: a `fail` event of
    /// an `emit` process reaches it through a worker as Slack's `{"text": …}` (unsigned) and as
    /// the template's JSON.
    @Test func theReadmesChatWebhooksPostTheirFormats() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        try await withHarness { cli in
            let block = try ReadmeErrorExampleTests.block(after: "chat-webhooks.yaml")
                .replacingOccurrences(of: "sqlite://.asyncdash/asyncdash.sqlite", with: cli.sqliteURL())
                .replacingOccurrences(of: "https://status.example.com/hooks/asyncdash", with: receiver.url)
            try cli.writeConfig(block + "\n")
            let env = ["OPS_SLACK_WEBHOOK_URL": receiver.url]
            let check = try await cli.run(["check-config"], environment: env)
            #expect(check.exitCode == 0, "\(check)")
            let emit = try await cli.run(["emit", "fail", "--task", "import-42", "--message", "timeout \"now\""], environment: env)
            #expect(emit.exitCode == 0, "\(emit)")
            let worker = try cli.start(["worker"], environment: env, deadline: .seconds(120))
            #expect(await Self.wait { receiver.received.count >= 2 }, "\(worker.description)")
            #expect(await worker.terminate() == 0, "\(worker.description)")
            let bodies = receiver.received.compactMap { try? JSONValue(parsing: String(decoding: $0.body, as: UTF8.self)) }
            #expect(bodies.contains(["text": "❌ Task import-42 failed: timeout \"now\""]), "\(bodies)")
            #expect(bodies.contains(["component": "", "state": "failed", "detail": "timeout \"now\""]), "\(bodies)")
            #expect(receiver.received.allSatisfy { $0.signature.isEmpty }, "no secret_env: not signed")
        }
    }

    static func configure(_ cli: CLIHarness, _ receiver: WebhookReceiver) throws -> [String: String] {
        try cli.writeConfig("""
            STORE: \(cli.sqliteURL())
            ASYNC_MANAGER_DEFAULT:
              manager_class: sample.async_manager.SampleAsyncManager
              config:
                observers:
                  - type: asyncdash.observers.webhook
                    durable: true
                    url: \(receiver.url)
                    secret_env: HOOK_SECRET
            """)
        return ["HOOK_SECRET": secret]
    }

    /// The requests without repeats of an id, in the order their ids first came.
    static func distinct(_ requests: [WebhookReceiver.Request]) -> [WebhookReceiver.Request] {
        var seen: Set<String> = []
        return requests.filter { seen.insert($0.id).inserted }
    }

    static func wait(_ timeout: Duration = .seconds(60), until done: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !done() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }
}
