import ArgumentParser
import AsyncDash

/// `asyncdash locks release --task NAME`: releases every lock the task holds and prints the
/// keys released (none when it holds none; that is not an error).
struct LocksReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release every lock a task holds; prints the keys released (idempotent)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The task whose locks to release.", valueName: "name"))
    var task: String

    func run() async throws {
        let manager = try await LocksCommand.manager(global)
        for key in try await manager.releaseConflictLocks(for: task) { Output.line(key) }
    }
}
