import ArgumentParser
import AsyncDash

/// `asyncdash locks check MODEL:ID…`: prints each locked object with its holder; exit 3 when
/// any is locked, 0 when none is.
struct LocksCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Print which of the objects are locked, and by which task (exit 3 if any is)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Objects to check, e.g. book:1 book:2.", valueName: "model:id"))
    var objects: [String]

    func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("give at least one MODEL:ID to check") }
    }

    func run() async throws {
        let refs = try LocksCommand.objects(objects)
        let manager = try await LocksCommand.manager(global)
        let locked = try await manager.checkConflict(refs)
        for object in locked { Output.line(LocksCommand.line(object)) }
        if !locked.isEmpty { throw CLIError(.conflict, "") }
    }
}
