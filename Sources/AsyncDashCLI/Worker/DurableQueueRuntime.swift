import AsyncDash
import AsyncDashSQLite
import Foundation

/// The configured store's durable queue with the default manager: what `launch`, `worker` and
/// `cancel` work on. The queue lives in the SQLite file of `STORE`, so every `asyncdash` process
/// on that file shares it.
///
/// ```swift
/// let durable = try await DurableQueueRuntime(global)
/// try await durable.manager.launchAsyncTask("sample.tasks.update_items", queue: durable.queue)
/// ```
struct DurableQueueRuntime: Sendable {
    let runtime: CLIRuntime
    let stores: StoreSet
    let manager: AsyncManager
    let queue: SQLiteTaskQueue

    /// Loads the config, opens `STORE` and builds the default manager and the SQLite queue.
    ///
    /// - Throws: ``CLIError`` (failure) when `STORE` is not a `sqlite:` URL; config, store and
    ///   manager errors.
    init(_ global: GlobalOptions, observers: [ObserverRegistration] = []) async throws {
        runtime = try CLIRuntime(global)
        let url = runtime.storeURL()
        guard url.hasPrefix(SQLiteStore.urlScheme + ":") else {
            throw CLIError.failure(
                "the durable task queue needs a SQLite store, but STORE is '\(url)'; set STORE (or ASYNCDASH_STORE) to sqlite://PATH")
        }
        stores = try runtime.openStores()
        guard let store = stores.coordination as? SQLiteStore ?? stores.records as? SQLiteStore else {
            throw CLIError.failure("the durable task queue needs a SQLite store, but '\(url)' did not open as one")
        }
        manager = try await runtime.manager(named: nil, stores: stores, observers: observers)
        queue = SQLiteTaskQueue(store: store, runner: manager)
    }
}

/// Writes worker lines to stdout at once (no buffering), so a reader of a pipe sees them live.
enum LiveOutput {
    /// Writes `text` and a newline to stdout, unbuffered.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
