import ArgumentParser
import AsyncDash

/// `asyncdash list [--status S] [--limit N] [--json]`: dashboard records, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List task records, newest first."
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        help: ArgumentHelp("Only records with this status: \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status")
    )
    var status: String?

    @Option(help: "The most records to print.")
    var limit = 50

    @Option(help: ArgumentHelp("The manager whose record model to read (default ASYNC_MANAGER_DEFAULT).", valueName: "dotted-name"))
    var manager: String?

    @Flag(help: "Print the records as a JSON array.")
    var json = false

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 or more, not \(limit)") }
        if let status, TaskStatus(parsing: status) == nil {
            let valid = TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--status '\(status)' is not a status; valid statuses: \(valid)")
        }
    }

    func run() async throws {
        let runtime = try await CLIRuntime(global)
        let stores = try await runtime.openStores()
        let tracking = try await runtime.trackingManager(named: manager, stores: stores)
        let model = tracking.recordModel
        let map = tracking.resolvedFieldMap
        var query = RecordQuery(orderBy: map["updated_at"]?.name, descending: true, limit: limit)
        if let status {
            guard let column = map["status"] else {
                throw CLIError.failure("record model '\(model.name)' has no status column, so --status cannot filter it")
            }
            query.filters[column.name] = RecordValue.coerce(.string(status), to: column.type)
        }
        let records = try await stores.records.list(model, query: query)
        if json {
            Output.line(JSONValue.array(records.map { RecordRendering.json($0, model: model) }).prettyJSONText)
            return
        }
        let fields = ["task_name", "status", "user", "updated_at"]
        let rows = records.map { record in
            fields.map { field in map[field].map { RecordRendering.text(record[$0.name]) } ?? "" }
        }
        for line in Output.table(header: ["TASK", "STATUS", "USER", "UPDATED"], rows: rows) { Output.line(line) }
    }
}
