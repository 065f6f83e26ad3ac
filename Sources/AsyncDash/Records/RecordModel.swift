/// A record model: the table a ``ModelTrackingAsyncManager`` writes one row per task to.
///
/// Declare one in Swift and register it, or in the config's `MODELS` section:
///
/// ```swift
/// let jobs = try RecordModel(name: "myapp.JobRow", table: "job_rows", columns: [
///     .init("task_name", .text), .init("state", .text), .init("note", .text),
///     .init("payload", .json), .init("done", .bool), .init("updated_at", .timestamp),
/// ])
/// registry.register(recordModel: jobs)
/// ```
///
/// Table and column names must be SQL identifiers (`[A-Za-z_][A-Za-z0-9_]*`); they are
/// checked here, so nothing from a config file reaches SQL unchecked.
public struct RecordModel: Sendable, Hashable {
    /// One column of a record model.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: ColumnType
        public init(_ name: String, _ type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    /// The dotted name the model is registered as (e.g. `sample.AsyncTaskRecord`).
    public let name: String
    public let table: String
    /// The columns in declaration order.
    public let columns: [Column]
    /// The column that holds the task name; unique per record.
    public let keyColumn: String

    /// - Throws: ``RecordModelError`` for a name that is not an identifier, a duplicate column,
    ///   or a key column that is missing or not text.
    public init(name: String, table: String, columns: [Column], keyColumn: String = "task_name") throws {
        for identifier in [table] + columns.map(\.name) where !Self.isIdentifier(identifier) {
            throw RecordModelError(model: name, reason: "'\(identifier)' is not a valid SQL identifier (letters, digits and _, not starting with a digit)")
        }
        let lowered = table.lowercased()
        if lowered.hasPrefix("sqlite_") || lowered.hasPrefix("asyncdash_") || lowered == "grdb_migrations" {
            throw RecordModelError(model: name, reason: "table name '\(table)' is reserved (sqlite_*, asyncdash_*, grdb_migrations)")
        }
        var seen = Set<String>()
        for column in columns {
            // SQL identifiers compare without case; `id` is the store's own row id.
            if column.name.lowercased() == "id" {
                throw RecordModelError(model: name, reason: "column name '\(column.name)' is reserved for the store's row id")
            }
            if !seen.insert(column.name.lowercased()).inserted {
                throw RecordModelError(model: name, reason: "column '\(column.name)' is declared twice (names compare without case)")
            }
        }
        guard let key = columns.first(where: { $0.name == keyColumn }) else {
            throw RecordModelError(model: name, reason: "the key column '\(keyColumn)' is not among its columns")
        }
        guard key.type == .text else {
            throw RecordModelError(model: name, reason: "the key column '\(keyColumn)' must be of type text, not \(key.type.rawValue)")
        }
        self.name = name
        self.table = table
        self.columns = columns
        self.keyColumn = keyColumn
    }

    /// The column named `name`, if the model has it.
    public func column(_ name: String) -> Column? {
        columns.first { $0.name == name }
    }

    /// `true` when `text` can be used as a table or column name.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 63 else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
        return isLetter(first) && text.unicodeScalars.allSatisfy { isLetter($0) || ($0 >= "0" && $0 <= "9") }
    }
}

/// A record model that cannot be used, with the reason.
public struct RecordModelError: Error, CustomStringConvertible, Sendable {
    public var model: String
    public var reason: String
    public var description: String { "record model '\(model)': \(reason)" }
}
