import ArgumentParser
import Logging

/// Options every command takes: `--config PATH` and `--log-level LEVEL`.
///
/// Declared as an `@OptionGroup` on the root command and on each subcommand, so they can be
/// written before or after the subcommand's name.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(help: ArgumentHelp("The config file (default ./config.yaml, or $ASYNCDASH_CONFIG).", valueName: "path"))
    public var config: String?

    @Option(
        help: ArgumentHelp(
            "Log level on stderr: trace, debug, info, notice, warning, error, critical (default notice, or $ASYNCDASH_LOG_LEVEL).",
            valueName: "level"
        )
    )
    public var logLevel: String?

    public init() {}

    /// The environment variable naming the config file.
    public static let configVariable = "ASYNCDASH_CONFIG"
    /// The environment variable naming the log level.
    public static let logLevelVariable = "ASYNCDASH_LOG_LEVEL"

    public mutating func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level '\(logLevel)' is not a level; valid: \(Self.levelNames)")
        }
    }

    /// The config path: `--config`, else `$ASYNCDASH_CONFIG`, else `config.yaml` (in the working directory).
    public func configPath(environment: [String: String]) -> String {
        let path = config ?? environment[Self.configVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "config.yaml"
        return path.hasPrefix("./") && path.count > 2 ? String(path.dropFirst(2)) : path
    }

    /// The log level: `--log-level`, else `$ASYNCDASH_LOG_LEVEL`, else `notice`.
    public func level(environment: [String: String]) throws(CLIError) -> Logger.Level {
        if let logLevel, let level = Logger.Level(rawValue: logLevel) { return level }
        guard let text = environment[Self.logLevelVariable], !text.isEmpty else { return .notice }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw .usage("\(Self.logLevelVariable)='\(text)' is not a log level; valid: \(Self.levelNames)")
        }
        return level
    }

    static var levelNames: String { Logger.Level.allCases.map(\.rawValue).joined(separator: ", ") }
}
