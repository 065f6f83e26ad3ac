import ArgumentParser
import AsyncDash

/// `asyncdash locks list|check|reserve|release`: inspect and manage conflict locks.
struct LocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locks",
        abstract: "Inspect and manage conflict locks (exit 3 on a conflict).",
        subcommands: [LocksListCommand.self, LocksCheckCommand.self, LocksReserveCommand.self, LocksReleaseCommand.self]
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw CLIError.usage("missing a locks command: list, check, reserve or release; see 'asyncdash locks --help'")
    }

    /// The default manager on the configured stores, for lock operations (no record table needed).
    static func manager(_ global: GlobalOptions) async throws -> AsyncManager {
        let runtime = try await CLIRuntime(global)
        return try await runtime.manager(named: nil, stores: try runtime.openStores(), prepare: false)
    }

    /// `MODEL:ID` arguments; a bad one is a usage error.
    static func objects(_ texts: [String]) throws(CLIError) -> [ObjectRef] {
        var objects: [ObjectRef] = []
        for text in texts {
            do {
                objects.append(try ObjectRef(parsing: text))
            } catch {
                throw .usage("'\(text)' is not an object reference; expected MODEL:ID, e.g. book:42")
            }
        }
        return objects
    }

    /// `book:1 locked by import-41`
    static func line(_ locked: LockedObject) -> String {
        "\(locked.object) locked by \(locked.heldBy)"
    }
}
