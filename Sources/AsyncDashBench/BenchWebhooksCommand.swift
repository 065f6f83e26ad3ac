import ArgumentParser
import AsyncDash
import AsyncDashCLI
import AsyncDashWebhooks
import AsyncHTTPClient
import Foundation

/// `asyncdash bench webhooks`: how fast one sender process delivers webhooks. N events of T
/// tasks are put in the outbox first (not timed); then this process's ``OutboxDispatcher`` posts
/// them, signed, to a receiver in a child process on 127.0.0.1 (or to `--url`), `--concurrency`
/// tasks at a time, each task's in order, until every one is delivered. Last line:
/// `webhooks_per_s=… n=… tasks=… concurrency=…`.
struct BenchWebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Webhook delivery from one sender process: N outbox events posted to a local receiver."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The store whose outbox is used (default: a temporary SQLite file).", valueName: "url"))
    var store: String?

    @Option(name: [.customShort("n"), .customLong("count")], help: "How many events.")
    var count = 5_000

    @Option(help: "How many tasks the events belong to (each task's are delivered in order).")
    var tasks = 500

    @Option(help: "How many tasks' events are posted at once (the webhook's `concurrency`, 1 to 64).")
    var concurrency = 16

    @Option(help: ArgumentHelp("Post to this receiver instead of one started by the bench (its count is then not checked).", valueName: "url"))
    var url: String?

    func validate() throws {
        guard (1...10_000_000).contains(count) else { throw ValidationError("-n must be from 1 to 10000000, not \(count)") }
        guard (1...count).contains(tasks) else { throw ValidationError("--tasks must be from 1 to -n (\(count)), not \(tasks)") }
        guard ObserverDelivery.concurrencyRange.contains(concurrency) else {
            throw ValidationError("--concurrency must be from 1 to 64, not \(concurrency)")
        }
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let scratch = try BenchScratch("webhooks")
        defer { scratch.remove() }
        let storeURL = store ?? scratch.sqliteURL("outbox.sqlite")
        let stores = try await runtime.openStores(url: storeURL)
        var receiver: BenchWebhookReceiverChild?
        if url == nil { receiver = try await BenchWebhookReceiverChild.start(scratch: scratch) }
        defer { receiver?.kill() }
        guard let target = url ?? receiver?.hookURL else { throw CLIError.failure("no receiver") }

        let registration = ObserverRegistration(
            name: "asyncdash.observers.webhook", observer: try WebhookObserver(url: target, secret: Self.secret()), timeout: .seconds(10),
            delivery: .durable(maxAttempts: 8, concurrency: concurrency))
        let manager = try AsyncManager(context: ManagerContext(name: "bench.webhooks", stores: stores, observers: ObserverChain([registration])))
        let consumer = registration.consumer(manager: manager.name)
        let prefix = "hook-" + UUID().uuidString.prefix(8).lowercased()
        Output.line("bench webhooks: store \(runtime.displayedStoreURL(override: storeURL)), receiver \(target)")
        Output.line("events \(count) of \(tasks) tasks (\(prefix)-0 …), concurrency \(concurrency)")
        try await Self.fill(stores.outbox, consumer: consumer, count: count, tasks: tasks, prefix: prefix)

        let dispatcher = OutboxDispatcher(managers: [manager])
        let clock = ContinuousClock()
        let start = clock.now
        var delivered = 0
        var lastProgress = start
        while delivered < count {
            let sent = try await dispatcher.deliverDue()
            delivered += sent
            if sent > 0 {
                lastProgress = clock.now
            } else {
                guard lastProgress.duration(to: clock.now) < .seconds(30) else { break }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let elapsed = start.duration(to: clock.now)
        let left = try await stores.outbox.entries(consumer: consumer, states: [.pending, .dead], limit: 5)
        Output.line("elapsed \(BenchRunner.seconds(elapsed)) s, delivered \(delivered)")
        if let receiver {
            let (requests, distinct) = try await receiver.counts()
            Output.line("receiver: \(requests) requests, \(distinct) distinct event ids")
            guard distinct == count else {
                throw CLIError.failure("the receiver got \(distinct) of \(count) events; see the outbox of \(storeURL)")
            }
        }
        Output.line("webhooks_per_s=\(BenchRunner.rate(delivered, elapsed)) n=\(count) tasks=\(tasks) concurrency=\(concurrency)")
        guard delivered >= count, left.isEmpty else {
            let errors = left.compactMap(\.lastError).prefix(3).joined(separator: "; ")
            throw CLIError.failure("\(count - delivered) of \(count) events were not delivered within 30 s of the last progress: \(errors)")
        }
    }

    /// A fresh Standard Webhooks secret: `whsec_` and 24 random bytes in base64.
    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// Appends `count` progress events, round-robin over `tasks` tasks, 1,000 per write.
    static func fill(_ outbox: any OutboxStore, consumer: String, count: Int, tasks: Int, prefix: String) async throws {
        let now = Date()
        var batch: [OutboxMessage] = []
        for index in 0..<count {
            let task = "\(prefix)-\(index % tasks)"
            let event = LifecycleEvent(
                .progress, task: task, progress: .structured(StructuredProgress(done: index / tasks + 1, total: count / tasks + 1, unit: "events")),
                timestamp: now)
            batch.append(OutboxMessage(consumer: consumer, event: event.json, createdAt: now, eventID: UUID().uuidString))
            if batch.count == 1_000 || index == count - 1 {
                try await outbox.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
    }
}
