import ArgumentParser
import AsyncDash
import AsyncDashMetrics
import AsyncDashWeb
import Foundation
import Logging
import ServiceLifecycle

/// `asyncdash serve [--demo] [--bind HOST:PORT]`: the dashboard, workers in this process on the queue
/// `QUEUE` names, and clean-up every `CLEANUP_SCHEDULE_INTERVAL`, until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the dashboard, workers (QUEUE: durable or inprocess) and scheduled clean-up until SIGTERM/SIGINT.",
        discussion: """
            QUEUE: durable claims from the store's durable queue (tasks launched by any process; \
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

    @Option(help: ArgumentHelp("Where the dashboard listens (overrides DASHBOARD.bind; default 127.0.0.1:8000; port 0 picks a free one).", valueName: "host:port"))
    var bind: String?

    @Flag(help: "Run workers and clean-up only, without the dashboard.")
    var noDashboard = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be 1 or more, not \(concurrency)") }
        guard gracePeriod.isFinite, (0...86_400).contains(gracePeriod) else {
            throw ValidationError("--grace-period \(gracePeriod) is out of range: give seconds from 0 to 86400 (a day)")
        }
        if let bind, DashboardSettings.parseBind(bind) == nil {
            throw ValidationError("--bind '\(bind)': expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8000")
        }
    }

    func run() async throws {
        // `asyncdash.observers.metrics` observers made for this run count into the dashboard's `/metrics`.
        let metrics = DashboardMetrics()
        try await MetricsDestination.$current.withValue(metrics.metricsFactory) { try await serve(metrics: metrics) }
    }

    private func serve(metrics: DashboardMetrics) async throws {
        let runtime = try await CLIRuntime(global, checks: noDashboard ? [] : CLIRuntime.dashboardChecks)
        let kind = runtime.resolved.config.queue.value
        let grace = Duration.milliseconds(Int(gracePeriod * 1000))
        let queue: any TaskQueue & TaskQueueInspector
        let manager: AsyncManager
        let stores: StoreSet
        let workers: any Service
        let ready: @Sendable () -> Void = { [demo, concurrency] in
            LiveOutput.line("serving: queue \(kind), store \(runtime.displayedStoreURL()), concurrency \(concurrency)\(demo ? ", launching sample tasks" : "")")
        }
        let observers = noDashboard ? [] : [metrics.observerRegistration]
        if kind == "durable" {
            let durable = try await DurableQueueRuntime(global, observers: observers)
            let worker = QueueWorker(queue: ReportingQueue(base: durable.queue), manager: durable.manager, concurrency: concurrency)
            (queue, manager, stores) = (durable.queue, durable.manager, durable.stores)
            workers = QueueWorkerService(worker: worker, grace: grace, onStart: ready)
        } else {
            stores = try await runtime.openStores()
            manager = try await runtime.manager(named: nil, stores: stores, observers: observers)
            let inProcess = InProcessTaskQueue(runner: manager, concurrency: concurrency, maxTaskDuration: manager.settings.maxTaskDuration)
            queue = inProcess
            workers = InProcessQueueService(queue: inProcess, manager: manager, grace: grace, onStart: ready)
        }
        let logger = runtime.logger
        var services: [any Service] = [
            workers, LoopService { ScheduledCleanup.start(manager: manager, queue: queue, logger: logger) },
            LoopService { [storeURL = runtime.storeURL()] in StoreCheckAtStart.start(stores: stores, url: storeURL, logger: logger) },
            try await runtime.outboxService(for: manager, stores: stores),
        ]
        if demo { services.append(LoopService { DemoLauncher.start(manager: manager, queue: queue, logger: logger) }) }
        if !noDashboard {
            services.append(try await dashboardService(runtime: runtime, manager: manager, stores: stores, queue: queue, metrics: metrics))
        }
        try await Services.run(services, logger: runtime.logger)
        LiveOutput.line("stopped (graceful shutdown)")
    }
}

extension ServeCommand {
    /// The dashboard of `manager`, as a service.
    ///
    /// - Throws: ``CLIError`` (usage) for a `DASHBOARD` mistake or an exposed address without a
    ///   token; (failure) when the manager keeps no records.
    func dashboardService(
        runtime: CLIRuntime, manager: AsyncManager, stores: StoreSet, queue: any TaskQueue & TaskQueueInspector, metrics: DashboardMetrics
    ) async throws -> any Service {
        guard let tracking = manager as? ModelTrackingAsyncManager else {
            throw CLIError.failure("manager '\(manager.name)' keeps no dashboard records, so there is nothing to show; use --no-dashboard, or a manager based on asyncdash.ModelTrackingAsyncManager")
        }
        var settings: DashboardSettings
        do {
            settings = try DashboardSettings.resolve(
                runtime.resolved.config.dashboard, model: tracking.recordModel, fieldMap: tracking.resolvedFieldMap, environment: runtime.environment)
        } catch {
            throw CLIError.usage(error.description)
        }
        if let bind, let (host, port) = DashboardSettings.parseBind(bind) { (settings.host, settings.port) = (host, port) }
        let dashboard: Dashboard
        do {
            dashboard = try await Dashboard(manager: tracking, queue: queue, settings: settings, metrics: metrics, logger: runtime.logger)
        } catch let error as DashboardExposureError {
            throw CLIError.usage(error.description)
        } catch let error as TemplateError {
            throw CLIError.usage(error.description)
        }
        // DASHBOARD.managers: one more dashboard per manager, under its own path, on the same server.
        var others: [Dashboard] = []
        for (name, section) in runtime.resolved.config.managerDashboards {
            guard let other = try await runtime.manager(named: name.value, stores: stores) as? ModelTrackingAsyncManager else {
                throw CLIError.usage("\(name.location): DASHBOARD.managers: manager '\(name.value)' keeps no dashboard records")
            }
            let otherSettings: DashboardSettings
            do {
                otherSettings = try settings.forManager(section, model: other.recordModel, fieldMap: other.resolvedFieldMap)
            } catch {
                throw CLIError.usage(error.description)
            }
            // The queue's workers run the default manager's tasks: actions from here would act through them.
            others.append(try await Dashboard(manager: other, queue: queue, settings: otherSettings, allowsActions: false, logger: runtime.logger))
        }
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        let prefixes = [settings.pathPrefix] + others.map(\.settings.pathPrefix)
        return dashboard.application(adding: others) { port in
            for prefix in prefixes { LiveOutput.line("dashboard: http://\(host):\(port)\(prefix)/") }
        }
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
