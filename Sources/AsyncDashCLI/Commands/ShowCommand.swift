import ArgumentParser
import AsyncDash

/// `asyncdash show NAME [--json]`: one task's dashboard record.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one task's record (JSON: the record's columns by name)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The task's name.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("The manager whose record model to read (default ASYNC_MANAGER_DEFAULT).", valueName: "dotted-name"))
    var manager: String?

    @Flag(help: "Print the record as one JSON object, keys sorted.")
    var json = false

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let tracking = try await runtime.trackingManager(named: manager, stores: stores)
        guard let record = try await tracking.record(for: name) else {
            throw CLIError.failure("no task named '\(name)' in record model '\(tracking.recordModel.name)'")
        }
        if json {
            Output.line(RecordRendering.json(record, model: tracking.recordModel).prettyJSONText)
        } else {
            for line in RecordRendering.lines(record, model: tracking.recordModel) { Output.line(line) }
        }
    }
}
