import ArgumentParser
import AsyncDash

/// `asyncdash cleanup [--json]`: the seed's `pcrud_cleanup_async` — clean up active tasks no
/// worker will finish and print the summary.
///
/// ```text
/// $ asyncdash cleanup
/// Examined 1 active task; cleaned 1 (locks released 2, progress entries 1, records 1); skipped 0
///   cleaned import-41: missing from the queue (locks 2, progress entries 1, records 1)
/// ```
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Clean up active tasks no worker will finish: release their locks and progress, mark their records cleaned_up.",
        discussion: """
            Runs cleanupCompletedTasks on the configured store, reconciling the active set with the durable \
            task queue kept in the same store: a task the queue does not know, or has finished, is cleaned \
            (its conflict locks released, its progress entry deleted, its record marked cleaned_up, and \
            failed when it had not ended); a queued or running task is skipped (its worker cancels a run \
            older than MAX_TASK_DURATION, which then ends failed; its locks are kept until it stops). On a store without a durable queue every active task counts as missing.
            Prints a readable summary, or with --json powercrud's summary shape: \
            {"active_tasks": N, "cleaned": {NAME: {"reason", "conflict_lock_keys", "progress_entries", \
            "dashboard_records"}}, "skipped": {NAME: REASON}}, plus "retention": what RETENTION deleted \
            per kind (records, audit, dead_letters, finished_jobs, outbox_delivered, outbox_dead).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The manager to clean up with (default ASYNC_MANAGER_DEFAULT).", valueName: "dotted-name"))
    var manager: String?

    @Flag(help: "Print the summary as JSON: active_tasks, cleaned (reason and counts per task), skipped (reason per task).")
    var json = false

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let manager = try await runtime.manager(named: manager, stores: stores)
        // A persistent store keeps the durable queue: reconcile against it. (A memory store's queue
        // dies with this process, so there is nothing to reconcile against.)
        let queue = stores.queue.isPersistent ? stores.queue.taskQueue(runner: manager) : nil
        let summary = try await manager.cleanupCompletedTasks(queue: queue)
        // With ASYNC_ENABLED false nothing is pruned either, and the summary says only that.
        let retention = manager.settings.asyncEnabled ? await manager.applyRetention() : nil
        guard let retention else {
            Output.line(json ? summary.json.prettyJSONText : summary.humanReadable)
            return
        }
        if json {
            var object = summary.json
            if case .object(var fields) = object {
                fields["retention"] = retention.json
                object = .object(fields)
            }
            Output.line(object.prettyJSONText)
        } else {
            Output.line(summary.humanReadable)
            Output.line(retention.humanReadable)
        }
        if !retention.failed.isEmpty {
            throw CLIError.failure("retention failed for \(retention.failed.keys.sorted().joined(separator: ", ")) (see above); it is tried again on the next clean-up")
        }
    }
}
