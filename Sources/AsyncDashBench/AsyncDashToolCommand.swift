import ArgumentParser
import AsyncDash
import AsyncDashCLI

/// The root command of the `asyncdash` executable: the operational commands plus `bench`.
///
/// An application's own command line leaves the benchmarks out; to have them, it links
/// `AsyncDashBench` and runs this root (or its own, listing ``BenchCommand``).
///
/// ```swift
/// exit(await AsyncDashMain.main(registry: registry, root: AsyncDashToolCommand.self))
/// ```
public struct AsyncDashToolCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "asyncdash",
        abstract: "Report, inspect and benchmark background-task lifecycles; run workers and the dashboard.",
        discussion: AsyncDashCommand.configuration.discussion,
        version: AsyncDashVersion.current,
        subcommands: AsyncDashCommand.operationalCommands + [BenchCommand.self]
    )

    @OptionGroup public var global: GlobalOptions

    public init() {}

    public func run() async throws {
        throw CLIError.usage("missing a command; see 'asyncdash --help'")
    }
}
