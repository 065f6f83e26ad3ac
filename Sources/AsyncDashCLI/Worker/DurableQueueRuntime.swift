import AsyncDash
import Foundation

/// The configured store's durable queue with the default manager: what `launch`, `worker` and
/// `cancel` work on. The queue is the queue role of `STORE`'s driver, so every process on that
/// store shares it.
///
/// ```swift
/// let durable = try await DurableQueueRuntime(global)
/// try await durable.manager.launchAsyncTask("sample.tasks.update_items", queue: durable.queue)
/// ```
struct DurableQueueRuntime: Sendable {
    let runtime: CLIRuntime
    let stores: StoreSet
    let manager: AsyncManager
    let queue: any DurableTaskQueue & TaskQueueInspector

    /// Loads the config, opens `STORE` and builds the default manager and the store's durable queue.
    ///
    /// - Throws: ``CLIError`` (failure) when `STORE`'s queue does not outlive the process
    ///   (`memory`); config, store and manager errors.
    init(_ global: GlobalOptions, observers: [ObserverRegistration] = []) async throws {
        runtime = try await CLIRuntime(global)
        let url = runtime.storeURL()
        stores = try await runtime.openStores()
        guard stores.queue.isPersistent else {
            throw CLIError.failure(
                "the durable task queue needs a store that outlives this process, but STORE '\(url)' keeps everything in memory; "
                    + "set STORE (or ASYNCDASH_STORE) to a persistent store such as sqlite://PATH")
        }
        manager = try await runtime.manager(named: nil, stores: stores, observers: observers)
        queue = stores.queue.taskQueue(runner: manager)
    }
}

/// Writes worker lines to stdout at once (no buffering), so a reader of a pipe sees them live.
enum LiveOutput {
    /// Writes `text` and a newline to stdout, unbuffered.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((Output.terminalSafe(text) + "\n").utf8))
    }
}
