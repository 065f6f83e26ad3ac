import ArgumentParser

/// `asyncdash`: the command line of AsyncDash (DESIGN §8).
///
/// Run it through ``AsyncDashMain/main(_:)``, which maps errors to the documented exit codes.
public struct AsyncDashCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "asyncdash",
        abstract: "Report, inspect and benchmark background-task lifecycles.",
        discussion: """
            Exit codes: 0 success; 1 error; 2 usage or config error; 3 lock conflict.
            Logs go to stderr; results go to stdout.
            """,
        subcommands: [
            CheckConfigCommand.self, EmitCommand.self, ShowCommand.self, ListCommand.self,
            LocksCommand.self, MigrateCommand.self, CleanupCommand.self, DemoCommand.self, BenchCommand.self,
            LaunchCommand.self, WorkerCommand.self, CancelCommand.self, ServeCommand.self,
        ]
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func run() async throws {
        throw CLIError.usage("missing a command; see 'asyncdash --help'")
    }
}
