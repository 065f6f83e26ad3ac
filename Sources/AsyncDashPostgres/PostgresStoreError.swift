import AsyncDash

/// An error of ``PostgresStore``: a store URL or option that cannot work, a server that cannot be
/// reached or refuses us, or a statement the server rejected — each in one sentence that names
/// the value and what would be valid, never a stack of NIO errors.
///
/// ```swift
/// do { _ = try PostgresStoreOptions(url: "postgres://app:hunter2@db/app") }
/// catch let error as PostgresStoreError { print(error) }
/// // invalid PostgreSQL store URL 'postgres://app:***@db/app': a password is written in the URL; …
/// ```
public struct PostgresStoreError: StoreOpeningError, Sendable, Hashable {
    /// What kind of error this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case invalidURL = "invalid PostgreSQL store URL"
            case invalidOption = "invalid PostgreSQL store option"
            case credentials = "PostgreSQL refused the credentials"
            case unreachable = "PostgreSQL server unreachable"
            case invalidModel = "record model not usable with PostgreSQL"
            case server = "PostgreSQL error"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The store URL cannot be read.
        public static let invalidURL = Code(.invalidURL)
        /// A URL query option is unknown or has a bad value, or names an unset variable.
        public static let invalidOption = Code(.invalidOption)
        /// The server was reached but refused the user, password or database (cannot work as given).
        public static let credentials = Code(.credentials)
        /// No server answered at the URL's host and port (it may come back: retrying can help).
        public static let unreachable = Code(.unreachable)
        /// The record model cannot be stored (e.g. a reserved table or column name).
        public static let invalidModel = Code(.invalidModel)
        /// The server rejected a statement.
        public static let server = Code(.server)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// The offending value: the URL (password hidden), option, model name, or the server's SQLSTATE.
    public var value: String
    /// What is wrong and what would be valid.
    public var reason: String

    public init(_ code: Code, value: String, reason: String) {
        self.code = code
        self.value = value
        self.reason = reason
    }

    /// Whether a URL or credentials that cannot work caused it (a command exits 2), as opposed
    /// to a server that could not be reached (exit 1).
    public var isConfigurationProblem: Bool {
        code == .invalidURL || code == .invalidOption || code == .credentials || code == .invalidModel
    }

    public var description: String { "\(code) '\(value)': \(reason)" }
}
