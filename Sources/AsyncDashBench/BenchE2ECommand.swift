import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Foundation
import Logging

/// `asyncdash bench e2e --queue inprocess|sqlite`: N no-op tasks (`sample.tasks.update_items`
/// with `count: 0`), each launched, run by a worker, completed and cleaned up, all recorded by
/// the config's default manager. Last line: `e2e_tasks_per_s=… n=…`.
struct BenchE2ECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Launch → run → complete → cleanup of N no-op tasks through a queue and its workers."
    )

    enum QueueKind: String, ExpressibleByArgument, CaseIterable {
        case inprocess, sqlite
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("inprocess (InProcessTaskQueue) or sqlite (the durable queue in the store's file, run by a QueueWorker).", valueName: "kind"))
    var queue: QueueKind = .inprocess

    @Option(help: "How many jobs the workers run at once.")
    var workers = 8

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be 1 or more, not \(workers)") }
    }

    func run() async throws {
        let runtime = try CLIRuntime(global)
        let url = runtime.storeURL(override: options.store)
        let stores = try runtime.openStores(url: options.store)
        let manager = try await runtime.manager(named: nil, stores: stores)
        let (n, prefix) = (options.count, options.prefix)
        Output.line("bench e2e: queue \(queue.rawValue), store \(url), manager \(manager.name), workers \(workers), launchers \(options.concurrency)")

        let taskQueue: any TaskQueue
        var worker: QueueWorker?
        var inProcess: InProcessTaskQueue?
        switch queue {
        case .inprocess:
            let q = InProcessTaskQueue(runner: manager, concurrency: workers)
            inProcess = q
            taskQueue = q
        case .sqlite:
            guard stores.queue.isPersistent else {
                throw CLIError.usage("--queue sqlite needs a sqlite:// store, not '\(url)'")
            }
            let q = stores.queue.taskQueue(runner: manager)
            let w = QueueWorker(queue: q, manager: manager, concurrency: workers,
                                timing: QueueWorkerTiming(leaseTTL: manager.settings.leaseTTL, pollInterval: .milliseconds(2)))
            await w.start()
            worker = w
            taskQueue = q
        }

        let clock = ContinuousClock()
        let start = clock.now
        let (_, launchFailures) = await BenchRunner.run(count: n, concurrency: options.concurrency) { index in
            do {
                try await manager.launchAsyncTask("sample.tasks.update_items", args: ["count": 0], taskName: "\(prefix)-\(index)", queue: taskQueue)
                return 0
            } catch {
                manager.logger.error("launch failed", metadata: ["task": "\(prefix)-\(index)", "error": "\(error)"])
                return 1
            }
        }
        // Done when nothing is active any more: every task has completed and been cleaned up.
        var idle = false
        // Polled every 5 ms: often enough for the timing, rarely enough not to load the store.
        while clock.now - start < .seconds(600) {
            if try await manager.activeTasks().isEmpty { idle = true; break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = start.duration(to: clock.now)
        await worker?.stop(gracePeriod: .seconds(5))
        _ = await inProcess?.waitUntilIdle(timeout: .seconds(5))

        Output.line("elapsed \(BenchRunner.seconds(elapsed)) s")
        Output.line("e2e_tasks_per_s=\(BenchRunner.rate(n, elapsed)) n=\(n)")
        let counts = await manager.diagnostics.snapshot
        if !idle || launchFailures > 0 || counts.hookFailures > 0 {
            throw CLIError.failure("\(launchFailures) launches failed, \(counts.hookFailures) events failed, all finished: \(idle)")
        }
    }
}
