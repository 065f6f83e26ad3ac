import ArgumentParser
import AsyncDash

/// `asyncdash locks reserve --task NAME MODEL:ID…`: locks every object for the task, or none
/// (exit 3, naming each conflicting object and its holder).
struct LocksReserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Lock the objects for a task, all or nothing (exit 3 on a conflict)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The task that will hold the locks.", valueName: "name"))
    var task: String

    @Argument(help: ArgumentHelp("Objects to lock, e.g. book:1 book:2.", valueName: "model:id"))
    var objects: [String]

    func validate() throws {
        guard !objects.isEmpty else { throw ValidationError("give at least one MODEL:ID to reserve") }
    }

    func run() async throws {
        let refs = try LocksCommand.objects(objects)
        let manager = try await LocksCommand.manager(global)
        do {
            try await manager.reserveConflictLocks(for: task, objects: refs)
        } catch let error as AsyncDashError where error.code == .conflict {
            for object in error.lockedObjects { Output.line(LocksCommand.line(object)) }
            throw CLIError.conflict(
                "task '\(task)' cannot lock \(refs.count == 1 ? "it" : "them"): " + error.lockedObjects.map(\.description).joined(separator: ", ")
            )
        }
        Output.line("reserved \(Set(refs).sorted().map(\.lockKey).joined(separator: ", ")) for \(task)")
    }
}
