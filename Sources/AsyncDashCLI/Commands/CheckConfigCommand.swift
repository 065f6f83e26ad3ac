import ArgumentParser
import AsyncDash

/// `asyncdash check-config [--json]`: loads and resolves the config and prints what it resolved
/// to — or every mistake as `file:line:column: error: …` (exit 2): everything `serve` and
/// `worker` check, the `DASHBOARD` section included. It never opens the store (`doctor` does).
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Load and resolve the config; print the resolved managers, record models, field maps, observers and settings."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the resolved config as one JSON object.")
    var json = false

    func run() async throws {
        let runtime = try await CLIRuntime(global, checks: CLIRuntime.dashboardChecks)
        let report = ConfigReport(runtime.resolved, path: runtime.configPath)
        if json {
            Output.line(report.json.prettyJSONText)
        } else {
            for line in report.lines { Output.line(line) }
            Output.line("config OK")
        }
    }
}
