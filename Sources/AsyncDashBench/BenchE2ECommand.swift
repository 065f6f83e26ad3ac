import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Foundation
import Logging

/// `asyncdash bench e2e --queue inprocess|durable [--worker-processes N]`: N no-op tasks
/// (`sample.tasks.update_items` with `count: 0`), each launched, run by a worker, completed and
/// cleaned up, all recorded by the config's default manager. With `--worker-processes`, the
/// durable queue is run by that many `asyncdash worker` processes instead of a worker in this
/// process. Last line: `e2e_tasks_per_s=… n=…`.
struct BenchE2ECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Launch → run → complete → cleanup of N no-op tasks through a queue and its workers."
    )

    enum QueueKind: String, ExpressibleByArgument, CaseIterable {
        /// `InProcessTaskQueue`.
        case inprocess
        /// The store's durable queue (any persistent store).
        case durable
        /// The earlier name of `durable`.
        case sqlite
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("inprocess (InProcessTaskQueue) or durable (the store's durable queue, run by a QueueWorker; 'sqlite' is an older name for it).", valueName: "kind"))
    var queue: QueueKind = .inprocess

    @Option(help: "How many jobs the workers run at once (per worker process).")
    var workers = 8

    @Option(help: ArgumentHelp("Run the durable queue with this many `asyncdash worker` processes instead of a worker in this process (1–64).", valueName: "n"))
    var workerProcesses: Int?

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be 1 or more, not \(workers)") }
        if let workerProcesses {
            guard (1...64).contains(workerProcesses) else { throw ValidationError("--worker-processes must be 1–64, not \(workerProcesses)") }
            guard queue != .inprocess else { throw ValidationError("--worker-processes needs --queue durable") }
        }
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let url = runtime.storeURL(override: options.store)
        let stores = try await runtime.openStores(url: options.store)
        let manager = try await runtime.manager(named: nil, stores: stores)
        let (n, prefix) = (options.count, options.prefix)
        let processes = workerProcesses.map { " in \($0) worker processes" } ?? ""
        Output.line("bench e2e: queue \(queue.rawValue), store \(runtime.displayedStoreURL(override: options.store)), manager \(manager.name), "
                    + "workers \(workers)\(processes), launchers \(options.concurrency)")

        let taskQueue: any TaskQueue
        var worker: QueueWorker?
        var inProcess: InProcessTaskQueue?
        switch queue {
        case .inprocess:
            let q = InProcessTaskQueue(runner: manager, concurrency: workers)
            inProcess = q
            taskQueue = q
        case .durable, .sqlite:
            guard stores.queue.isPersistent else {
                throw CLIError.usage("--queue \(queue.rawValue) needs a store whose queue outlives the process (sqlite://, postgres://), not '\(StoreURL.redacted(url))'")
            }
            let q = stores.queue.taskQueue(runner: manager)
            if workerProcesses == nil {
                let w = QueueWorker(queue: q, manager: manager, concurrency: workers,
                                    timing: QueueWorkerTiming(leaseTTL: manager.settings.leaseTTL, pollInterval: .milliseconds(2)))
                await w.start()
                worker = w
            }
            taskQueue = q
        }
        let children = try (0..<(workerProcesses ?? 0)).map { index in
            try Self.startWorkerProcess(index: index, configPath: runtime.configPath, storeURL: url, concurrency: workers)
        }
        defer { Self.stop(children) }
        // Interrupted (Ctrl-C, `timeout`), the bench stops its worker processes before it exits.
        let signalSources = children.isEmpty ? [] : Self.stopOnSignals(WorkerProcesses(processes: children))
        defer { signalSources.forEach { $0.cancel() } }

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

        Self.stop(children)
        Output.line("elapsed \(BenchRunner.seconds(elapsed)) s")
        Output.line("e2e_tasks_per_s=\(BenchRunner.rate(n, elapsed)) n=\(n)")
        let counts = await manager.diagnostics.snapshot
        if !idle || launchFailures > 0 || counts.hookFailures > 0 {
            throw CLIError.failure("\(launchFailures) launches failed, \(counts.hookFailures) events failed, all finished: \(idle)")
        }
    }

    /// Starts `asyncdash worker` (this executable) on `storeURL`, its output discarded.
    static func startWorkerProcess(index: Int, configPath: String, storeURL: String, concurrency: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        process.arguments = ["worker", "--config", configPath, "--concurrency", "\(concurrency)", "--worker-id", "bench-worker-\(index)"]
        var environment = ProcessInfo.processInfo.environment
        environment["ASYNCDASH_STORE"] = storeURL
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Stops worker processes with SIGTERM and waits for them (idempotent).
    static func stop(_ processes: [Process]) {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }

    /// On SIGINT or SIGTERM: stops `workers`, then exits with 128 + the signal.
    static func stopOnSignals(_ workers: WorkerProcesses) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                stop(workers.processes)
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// The worker processes of one bench run, handed to its signal handlers (each `Process` is
/// only read there, to signal and wait for it).
final class WorkerProcesses: @unchecked Sendable {
    let processes: [Process]

    init(processes: [Process]) {
        self.processes = processes
    }
}
