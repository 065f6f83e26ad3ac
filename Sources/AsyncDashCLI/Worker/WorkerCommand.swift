import ArgumentParser
import AsyncDash
import Foundation
import Logging

/// `asyncdash worker [--concurrency N] [--worker-id ID] [--grace-period S]`: runs the jobs of the
/// store's durable queue until SIGTERM or SIGINT, then drains (running jobs finish within the grace
/// period, the others are handed back to the queue) and exits 0.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run tasks from the store's durable queue until SIGTERM or SIGINT.",
        discussion: """
            Prints one line per task it starts and ends on stdout; logs go to stderr. \
            Jobs of workers that died are taken back once their lease (LEASE_TTL) expires.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The most tasks running at once.", valueName: "n"))
    var concurrency = 4

    @Option(help: ArgumentHelp("The id this worker's leases carry (default: worker-<pid>-<random>).", valueName: "id"))
    var workerID: String?

    @Option(help: ArgumentHelp("Seconds running tasks get to finish after SIGTERM before they are handed back.", valueName: "s"))
    var gracePeriod: Double = 10

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be 1 or more, not \(concurrency)") }
        guard gracePeriod.isFinite, (0...86_400).contains(gracePeriod) else {
            throw ValidationError("--grace-period \(gracePeriod) is out of range: give seconds from 0 to 86400 (a day)")
        }
        if let workerID, workerID.isEmpty { throw ValidationError("--worker-id must not be empty") }
    }

    func run() async throws {
        let durable = try await DurableQueueRuntime(global)
        let id = workerID ?? "worker-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let worker = QueueWorker(queue: ReportingQueue(base: durable.queue), manager: durable.manager,
                                 workerID: id, concurrency: concurrency)
        durable.runtime.logger.info("worker started", metadata: [
            "worker": "\(id)", "concurrency": "\(concurrency)", "store": "\(durable.runtime.displayedStoreURL())",
            "lease_ttl": "\(worker.timing.leaseTTL)",
        ])
        let concurrency = self.concurrency
        try await Services.run([
            QueueWorkerService(worker: worker, grace: .milliseconds(Int(gracePeriod * 1000))) {
                LiveOutput.line("worker \(id) ready (concurrency \(concurrency))")
            },
            LoopService { ScheduledCleanup.start(manager: durable.manager, queue: durable.queue, logger: durable.runtime.logger) },
            LoopService { StoreCheckAtStart.start(stores: durable.stores, url: durable.runtime.storeURL(), logger: durable.runtime.logger) },
            try await durable.runtime.outboxService(for: durable.manager, stores: durable.stores),
        ], logger: durable.runtime.logger)
        LiveOutput.line("worker \(id) stopped (graceful shutdown)")
    }
}
