import ArgumentParser
import AsyncDash

/// `asyncdash`: the command line of AsyncDash (DESIGN §8).
///
/// Run it through ``AsyncDashMain/main(_:)``, which maps errors to the documented exit codes.
public struct AsyncDashCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "asyncdash",
        abstract: "Report and inspect background-task lifecycles; run workers and the dashboard.",
        discussion: """
            Exit codes: 0 success; 1 error; 2 usage or config error; 3 lock conflict.
            Logs go to stderr; results go to stdout.
            """,
        version: AsyncDashVersion.current,
        subcommands: operationalCommands
    )

    /// The commands every AsyncDash command line has: an application's root command lists these
    /// and may add its own (the `asyncdash` executable adds `bench`).
    public static let operationalCommands: [any ParsableCommand.Type] = [
        CheckConfigCommand.self, DoctorCommand.self, EmitCommand.self, ShowCommand.self, ListCommand.self,
        LocksCommand.self, MigrateCommand.self, CleanupCommand.self, DemoCommand.self, WebhooksCommand.self,
        LaunchCommand.self, WorkerCommand.self, CancelCommand.self, ServeCommand.self, PluginProbeCommand.self,
    ]

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func run() async throws {
        throw CLIError.usage("missing a command; see 'asyncdash --help'")
    }
}
