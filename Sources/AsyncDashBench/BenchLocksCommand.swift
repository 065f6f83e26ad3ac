import ArgumentParser
import AsyncDash
import AsyncDashCLI
import Logging

/// `asyncdash bench locks`: per task, reserve 10 distinct objects (`bench:<task>-<k>`) then
/// release them. Last line: `lock_reservations_per_s=… n=…` (one reservation = one reserve
/// call of 10 ids).
struct BenchLocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locks",
        abstract: "Conflict locks: reserve 10 objects then release them, per task."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BenchOptions

    static let objectsPerTask = 10

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let url = runtime.storeURL(override: options.store)
        let stores = try await runtime.openStores(url: options.store)
        let manager = try await runtime.manager(named: nil, stores: stores, prepare: false)
        let prefix = options.prefix
        let (n, concurrency) = (options.count, options.concurrency)
        Output.line("bench locks: store \(url)")
        Output.line("tasks \(n) (\(prefix)-0 …), concurrency \(concurrency), \(Self.objectsPerTask) objects per reservation")

        let (elapsed, failures) = await BenchRunner.run(count: n, concurrency: concurrency) { index in
            let name = "\(prefix)-\(index)"
            let objects = (0..<Self.objectsPerTask).map { ObjectRef(model: "bench", id: "\(name)-\($0)") }
            do {
                try await manager.reserveConflictLocks(for: name, objects: objects)
                try await manager.releaseConflictLocks(for: name)
                return 0
            } catch {
                manager.logger.error("lock reservation failed", metadata: ["task": "\(name)", "error": "\(error)"])
                return 1
            }
        }
        Output.line("elapsed \(BenchRunner.seconds(elapsed)) s")
        Output.line("lock_reservations_per_s=\(BenchRunner.rate(n, elapsed)) n=\(n)")
        if failures > 0 {
            throw CLIError.failure("\(failures) of \(n) reservations failed; see the log above")
        }
    }
}
