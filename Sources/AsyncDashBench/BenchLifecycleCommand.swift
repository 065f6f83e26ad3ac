import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Foundation
import Logging

/// `asyncdash bench lifecycle`: per task, through the config's default manager, a `create`,
/// ten `updateProgress` calls, a `complete` and a `cleanup` — 13 events, each awaited (durable
/// when it returns). Last line: `lifecycle_events_per_s=… tasks_per_s=… n=…`.
struct BenchLifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle",
        abstract: "Lifecycle events through the default manager: create, 10 progress updates, complete, cleanup per task."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchOptions

    static let eventsPerTask = 13

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let url = runtime.storeURL(override: options.store)
        let stores = try await runtime.openStores(url: options.store)
        let manager = try await runtime.manager(named: nil, stores: stores)
        let prefix = options.prefix
        let (n, concurrency) = (options.count, options.concurrency)
        Output.line("bench lifecycle: store \(url), manager \(manager.name)")
        Output.line("tasks \(n) (\(prefix)-0 …), concurrency \(concurrency), events \(n * Self.eventsPerTask)")

        let (elapsed, storeFailures) = await BenchRunner.run(count: n, concurrency: concurrency) { index in
            await Self.lifecycle(of: "\(prefix)-\(index)", index: index, manager: manager)
        }
        let counts = await manager.diagnostics.snapshot
        let observerFailures = counts.observerFailures.values.reduce(0, +)
        let events = n * Self.eventsPerTask
        Output.line("elapsed \(BenchRunner.seconds(elapsed)) s")
        let shed = counts.observerShed.values.reduce(0, +)
        if !counts.observerShed.isEmpty || manager.context.observers.registrations.contains(where: \.delivery.isDurable) {
            let durable = try await stores.outbox.entries(consumer: nil, states: [.pending], limit: Int.max).count
            Output.line("observers: \(shed) events shed from best-effort buffers, \(durable) waiting in the outbox for durable ones")
        }
        Output.line("lifecycle_events_per_s=\(BenchRunner.rate(events, elapsed)) tasks_per_s=\(BenchRunner.rate(n, elapsed)) n=\(n)")
        let failures = storeFailures + counts.hookFailures + observerFailures
        if failures > 0 {
            let detail = "hook: \(counts.hookFailures), dead letters: \(counts.deadLetters), "
                + "observers: \(observerFailures), progress store: \(storeFailures)"
            throw CLIError.failure("\(failures) of \(events) events failed (\(detail)); see the log above")
        }
    }

    /// One task's 13 events; returns how many progress-store writes failed (the manager counts
    /// hook and observer failures itself).
    static func lifecycle(of name: String, index: Int, manager: AsyncManager) async -> Int {
        var failures = 0
        let affected: JSONValue = .array((0..<3).map { .string("bench:\(name)-\($0)") })
        await manager.emit(LifecycleEvent(
            .create, task: name, status: .pending, message: "Task queued", user: "bench", affected: affected,
            kwargs: ["index": .int(index), "items": 10, "dry_run": false]
        ))
        for done in 1...10 {
            do {
                try await manager.updateProgress(name, .structured(StructuredProgress(done: done, total: 10, unit: "items")))
            } catch {
                failures += 1
                manager.logger.error("progress update failed", metadata: ["task": "\(name)", "error": "\(error)"])
            }
        }
        await manager.emit(LifecycleEvent(.complete, task: name, status: .success, result: ["updated": 10, "index": .int(index)], timestamp: Date()))
        await manager.emit(LifecycleEvent(.cleanup, task: name))
        return failures
    }
}
