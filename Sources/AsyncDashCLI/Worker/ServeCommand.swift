import ArgumentParser
import AsyncDash
import AsyncDashSQLite
import Foundation
import Logging
import ServiceLifecycle

/// `asyncdash serve [--demo]`: workers in this process on the queue `QUEUE` names, plus clean-up
/// every `CLEANUP_SCHEDULE_INTERVAL`, until SIGTERM/SIGINT. The dashboard joins it later.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run workers (QUEUE: durable or inprocess) and scheduled clean-up until SIGTERM/SIGINT.",
        discussion: """
            QUEUE: durable claims from the durable queue in the SQLite store (tasks launched by any process; \
            running ones are handed back on shutdown). QUEUE: inprocess runs tasks launched in this process \
            only (with --demo); on shutdown running tasks get the grace period, then are cancelled.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many tasks run at once.")
    var concurrency = 4

    @Flag(help: "Keep launching sample tasks so there is something to watch.")
    var demo = false

    @Option(help: ArgumentHelp("Seconds running tasks get to finish after SIGTERM.", valueName: "s"))
    var gracePeriod: Double = 10

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be 1 or more, not \(concurrency)") }
        guard gracePeriod >= 0 else { throw ValidationError("--grace-period must be 0 or more") }
    }

    func run() async throws {
        let runtime = try CLIRuntime(global)
        let kind = runtime.resolved.config.queue.value
        let grace = Duration.milliseconds(Int(gracePeriod * 1000))
        let queue: any TaskQueue & TaskQueueInspector
        let manager: AsyncManager
        let workers: any Service
        let ready: @Sendable () -> Void = { [demo, concurrency] in
            LiveOutput.line("serving: queue \(kind), store \(runtime.storeURL()), concurrency \(concurrency)\(demo ? ", launching sample tasks" : "")")
        }
        if kind == "durable" {
            let durable = try await DurableQueueRuntime(global)
            let worker = QueueWorker(queue: ReportingQueue(base: durable.queue), manager: durable.manager, concurrency: concurrency)
            (queue, manager) = (durable.queue, durable.manager)
            workers = QueueWorkerService(worker: worker, grace: grace, onStart: ready)
        } else {
            let stores = try runtime.openStores()
            manager = try await runtime.manager(named: nil, stores: stores)
            let inProcess = InProcessTaskQueue(runner: manager, concurrency: concurrency)
            queue = inProcess
            workers = InProcessQueueService(queue: inProcess, manager: manager, grace: grace, onStart: ready)
        }
        let logger = runtime.logger
        var services: [any Service] = [workers, LoopService { ScheduledCleanup.start(manager: manager, queue: queue, logger: logger) }]
        if demo { services.append(LoopService { DemoLauncher.start(manager: manager, queue: queue, logger: logger) }) }
        try await Services.run(services, logger: runtime.logger)
        LiveOutput.line("stopped (graceful shutdown)")
    }
}

/// Launches a sample task every half second (`serve --demo`).
enum DemoLauncher {
    static func start(manager: AsyncManager, queue: any TaskQueue, logger: Logger) -> Task<Void, Never> {
        Task {
            var index = 0
            while !Task.isCancelled {
                index += 1
                let (function, args): (String, JSONValue) = switch index % 5 {
                case 0: ("sample.tasks.fail_on", ["value": .int(index), "fail_on": .int(index)])
                case 1: ("sample.tasks.long_running", ["seconds": 2])
                default: ("sample.tasks.update_items", ["count": .int(10 + index % 7), "delay_ms": 150])
                }
                do {
                    let launch = try await manager.launchAsyncTask(function, args: args, taskName: "serve-demo-\(index)-\(UUID().uuidString.prefix(4).lowercased())",
                                                                   user: index % 2 == 0 ? "alice" : nil, queue: queue)
                    LiveOutput.line("launched \(launch.taskName) \(function)")
                } catch {
                    logger.error("demo launch failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
