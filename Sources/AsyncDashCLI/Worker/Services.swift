import AsyncDash
import Logging
import ServiceLifecycle
import UnixSignals

/// The long-running parts of `serve` and `worker` as swift-service-lifecycle services, run in a
/// `ServiceGroup` that turns SIGTERM/SIGINT into a graceful shutdown (last service first).
enum Services {
    /// Runs `services` until SIGTERM or SIGINT, then shuts them down gracefully, in reverse order.
    static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}

/// A ``QueueWorker``: started at once; on graceful shutdown its running tasks get `grace` to finish
/// and are then handed back to the durable queue.
struct QueueWorkerService: Service {
    let worker: QueueWorker
    let grace: Duration
    /// Called once the worker runs (the group's signal handlers are installed by then).
    var onStart: @Sendable () -> Void = {}

    func run() async throws {
        await worker.start()
        onStart()
        try? await gracefulShutdown()
        await worker.stop(gracePeriod: grace)
    }
}

/// An ``InProcessTaskQueue``: on graceful shutdown it takes no more tasks, gives running ones
/// `grace` to finish, then cancels the rest (they are recorded `cancelled`).
struct InProcessQueueService: Service {
    let queue: InProcessTaskQueue
    let manager: AsyncManager
    let grace: Duration
    /// Called once the service runs (the group's signal handlers are installed by then).
    var onStart: @Sendable () -> Void = {}

    func run() async throws {
        onStart()
        try? await gracefulShutdown()
        await queue.close()
        if await !queue.waitUntilIdle(timeout: grace) {
            for name in (try? await manager.activeTasks()) ?? [] { _ = await manager.cancel(name, queue: queue) }
            _ = await queue.waitUntilIdle(timeout: .seconds(5))
        }
    }
}

/// A background loop that runs until graceful shutdown, then is cancelled and awaited: scheduled
/// clean-up (``ScheduledCleanup``) and `serve --demo`'s launcher (``DemoLauncher``).
struct LoopService: Service {
    let start: @Sendable () -> Task<Void, Never>

    func run() async throws {
        let loop = start()
        try? await gracefulShutdown()
        loop.cancel()
        await loop.value
    }
}
