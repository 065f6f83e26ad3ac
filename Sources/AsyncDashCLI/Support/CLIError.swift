import ArgumentParser

/// An error the command line reports itself: one message on stderr and an exit code (DESIGN §8).
///
/// ```swift
/// throw CLIError.usage("--limit must be 0 or more, not -1")     // exit 2
/// throw CLIError.failure("no task named 'import-42'")            // exit 1
/// ```
public struct CLIError: Error, CustomStringConvertible, Sendable {
    /// The process exit code this error maps to.
    public struct Code: Hashable, Sendable {
        public let rawValue: Int32
        /// Something went wrong while running the command.
        public static let failure = Code(rawValue: 1)
        /// A bad command line or config.
        public static let usage = Code(rawValue: 2)
        /// A conflict lock is held by another task.
        public static let conflict = Code(rawValue: 3)
    }

    public var code: Code
    /// The message, printed as `asyncdash: error: <message>`; empty means print nothing
    /// (the command already wrote its output).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func failure(_ message: String) -> CLIError { CLIError(.failure, message) }
    public static func usage(_ message: String) -> CLIError { CLIError(.usage, message) }
    public static func conflict(_ message: String) -> CLIError { CLIError(.conflict, message) }

    public var description: String { message }
}
