import ArgumentParser
import AsyncDash
import Foundation

/// `asyncdash launch FUNCTION [--args JSON] [--lock MODEL:ID[,ID…]]… [--user U] [--affected X]…
/// [--name NAME] [--count N]`: enqueues a registered task function on the store's durable queue and
/// prints the task's name. Exit 2 for an unknown function or bad JSON, 3 for a lock conflict.
struct LaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Enqueue a registered task function on the durable queue; prints the task name.",
        discussion: """
            A running 'asyncdash worker' on the same store runs it. Exit codes: 2 unknown function \
            or bad --args; 3 a --lock object is locked by another task.
              asyncdash launch sample.tasks.update_items --args '{"count":5,"delay_ms":100}' --lock book:1,2
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The dotted name of a registered task function.", valueName: "function"))
    var function: String

    @Option(help: ArgumentHelp("The function's arguments as JSON (default {}).", valueName: "json"))
    var args: String?

    @Option(help: ArgumentHelp("Objects to lock for the task, e.g. book:1,2 (repeat for other models).", valueName: "model:id[,id…]"))
    var lock: [String] = []

    @Option(help: ArgumentHelp("The user: a JSON object when it starts with '{', else a name.", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp("An affected object, e.g. book:1 (repeat for several).", valueName: "object"))
    var affected: [String] = []

    @Option(help: ArgumentHelp("The task's name (default a new UUID); with --count, the prefix of NAME-0…NAME-(N-1).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Launch N tasks of the function at once (for load and crash tests).", valueName: "n"))
    var count = 1

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be 1 or more, not \(count)") }
        guard count == 1 || lock.isEmpty else { throw ValidationError("--lock cannot be combined with --count above 1") }
    }

    func run() async throws {
        let arguments = try args.map { try EventParsing.json($0, option: "--args") } ?? .object([:])
        let objects = try Self.locks(lock)
        let userValue = try user.map(EventParsing.user)
        let affectedValue: JSONValue? = affected.isEmpty ? nil : .array(affected.map(JSONValue.string))
        let durable = try await DurableQueueRuntime(global)
        do {
            _ = try durable.runtime.resolved.registry.taskFunction(named: function)
        } catch {
            throw CLIError.usage("\(error)")
        }
        let names: [String?] = count == 1 ? [name] : (0..<count).map { "\(name ?? UUID().uuidString.prefix(8).lowercased())-\($0)" }
        for taskName in names {
            do {
                let launch = try await durable.manager.launchAsyncTask(
                    function, args: arguments, taskName: taskName, locking: objects, user: userValue, affected: affectedValue,
                    queue: durable.queue)
                Output.line(launch.taskName)
            } catch let error as AsyncDashError where error.code == .conflict {
                for object in error.lockedObjects { Output.error(LocksCommand.line(object)) }
                throw CLIError.conflict(
                    "cannot launch \(function): locked by other tasks: "
                        + error.lockedObjects.map(LocksCommand.line).joined(separator: ", "))
            } catch let error as RegistryError {
                throw CLIError.usage("\(error)")
            }
        }
    }

    /// `book:1,2` → book:1 and book:2; a bad one is a usage error.
    static func locks(_ texts: [String]) throws(CLIError) -> [ObjectRef] {
        var expanded: [String] = []
        for text in texts {
            guard let colon = text.firstIndex(of: ":") else {
                throw .usage("--lock '\(text)' is not an object reference; expected MODEL:ID[,ID…], e.g. book:1,2")
            }
            let model = text[..<colon]
            let ids = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
            for id in ids { expanded.append("\(model):\(id.trimmingCharacters(in: .whitespaces))") }
        }
        return try LocksCommand.objects(expanded)
    }
}
