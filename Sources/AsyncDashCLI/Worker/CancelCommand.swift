import ArgumentParser
import AsyncDash

/// `asyncdash cancel NAME`: cancels a queued or running task of the durable queue. A queued one
/// ends `cancelled` at once; a running one is stopped by its worker on its next heartbeat.
/// Exit 1 when no queued or running task has that name.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a queued or running task of the durable queue."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The task's name.", valueName: "name"))
    var name: String

    func run() async throws {
        let durable = try await DurableQueueRuntime(global)
        guard await durable.manager.cancel(name, queue: durable.queue) else {
            throw CLIError.failure("no queued or running task named '\(name)' in the durable queue")
        }
        let status = await Self.status(of: name, durable.manager)
        if status == "cancelled" {
            Output.line("cancelled \(name) (it had not started)")
        } else {
            Output.line("cancel requested for \(name); its worker stops it at its next heartbeat")
        }
    }

    /// The task's record status, when its manager keeps records.
    static func status(of name: String, _ manager: AsyncManager) async -> String? {
        guard let tracking = manager as? ModelTrackingAsyncManager,
            let record = try? await tracking.record(for: name),
            let column = tracking.resolvedFieldMap["status"]?.name
        else { return nil }
        return record[column].text
    }
}
