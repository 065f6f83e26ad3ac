import ArgumentParser
import AsyncDash
import Foundation

/// The entry point of the `asyncdash` executable: parses, runs, and maps every error to an
/// exit code (DESIGN §8) — 0 success, 1 error, 2 usage or config error, 3 lock conflict.
///
/// ```swift
/// // Sources/asyncdash/main.swift
/// import AsyncDashCLI
/// exit(await AsyncDashMain.main())
/// ```
public enum AsyncDashMain {
    /// Runs the command line with `arguments` (default: the process's, without the program name)
    /// and returns the exit code. Bootstraps logging to stderr on the first call.
    public static func main(_ arguments: [String]? = nil) async -> Int32 {
        CLILogging.bootstrap()
        let command: any ParsableCommand
        do {
            command = try AsyncDashCommand.parseAsRoot(arguments)
        } catch {
            return reportParseError(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            return 0
        } catch {
            return report(error)
        }
    }

    /// `--help` and `--version` exit 0 with their text on stdout; anything else is a usage error (2).
    static func reportParseError(_ error: any Error) -> Int32 {
        let code = AsyncDashCommand.exitCode(for: error)
        if code == .success {
            Output.line(AsyncDashCommand.fullMessage(for: error))
            return 0
        }
        if let cliError = error as? CLIError { return report(cliError) }
        let message = AsyncDashCommand.message(for: error)
        let full = AsyncDashCommand.fullMessage(for: error)
        // The full message starts with "Error: <message>"; keep its usage lines after ours.
        let rest = full.split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("Usage:") && !$0.hasPrefix("Help:") }
        Output.error("asyncdash: error: \(message)")
        if !rest.isEmpty { Output.error(rest.joined(separator: "\n")) }
        return CLIError.Code.usage.rawValue
    }

    /// Prints `error` the way its kind asks and returns its exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as CLIError:
            if !error.message.isEmpty { Output.error("asyncdash: error: \(error.message)") }
            return error.code.rawValue
        case let error as ConfigError:
            for diagnostic in error.diagnostics { Output.error(diagnostic.description) }
            return CLIError.Code.usage.rawValue
        case let error as AsyncDashError:
            Output.error("asyncdash: error: \(error.message)")
            switch error.code {
            case .conflict: return CLIError.Code.conflict.rawValue
            case .invalidTaskName, .invalidArgument: return CLIError.Code.usage.rawValue
            default: return CLIError.Code.failure.rawValue
            }
        case let error as ExitCode:
            return error.rawValue
        case is ValidationError, is CleanExit:
            return reportParseError(error)
        case _ where String(reflecting: type(of: error)).hasPrefix("ArgumentParser."):
            // e.g. the built-in help command, which throws its help request when run.
            return reportParseError(error)
        default:
            Output.error("asyncdash: error: \(error)")
            return CLIError.Code.failure.rawValue
        }
    }
}
