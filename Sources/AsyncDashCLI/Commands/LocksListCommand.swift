import ArgumentParser
import AsyncDash

/// `asyncdash locks list [--json]`: every unexpired lock, its holder and expiry.
struct LocksListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List every held conflict lock.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the locks as a JSON array of {key, owner, expires_at}.")
    var json = false

    func run() async throws {
        let manager = try await LocksCommand.manager(global)
        let locks = try await manager.stores.coordination.locks()
        if json {
            let items: [JSONValue] = locks.map {
                ["key": .string($0.key), "owner": .string($0.owner), "expires_at": .string(ISO8601.format($0.expiresAt))]
            }
            Output.line(JSONValue.array(items).prettyJSONText)
            return
        }
        guard !locks.isEmpty else {
            Output.line("no locks held")
            return
        }
        let rows = locks.map { [$0.key, $0.owner, ISO8601.format($0.expiresAt)] }
        for line in Output.table(header: ["LOCK", "TASK", "EXPIRES"], rows: rows) { Output.line(line) }
    }
}
