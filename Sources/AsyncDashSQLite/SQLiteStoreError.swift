/// An error of ``SQLiteStore``: a bad store URL or option, or a record model or query it cannot serve.
///
/// ```swift
/// do { _ = try SQLiteStore.parse(url: "sqlite://db.sqlite?synchronous=off") }
/// catch let error as SQLiteStoreError { print(error) }
/// // invalid SQLite store option synchronous 'off': expected one of normal, full
/// ```
public struct SQLiteStoreError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of error this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case invalidURL = "invalid SQLite store URL"
            case invalidOption = "invalid SQLite store option"
            case invalidModel = "record model not usable with SQLite"
            case unknownColumn = "unknown column"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The store URL cannot be read.
        public static let invalidURL = Code(.invalidURL)
        /// A URL query option is unknown or has a bad value.
        public static let invalidOption = Code(.invalidOption)
        /// The record model cannot be stored in SQLite (e.g. a reserved table or column name).
        public static let invalidModel = Code(.invalidModel)
        /// A query names a column the record model does not have.
        public static let unknownColumn = Code(.unknownColumn)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// The offending value: the URL, option, model name or column.
    public var value: String
    /// What is wrong and what would be valid.
    public var reason: String

    public init(_ code: Code, value: String, reason: String) {
        self.code = code
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(code) '\(value)': \(reason)" }
}
