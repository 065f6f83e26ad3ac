/// The type of a record model's column.
public enum ColumnType: String, Sendable, Hashable, CaseIterable {
    /// Text; non-string JSON values are stored as JSON text.
    case text
    /// A JSON value.
    case json
    case bool
    case integer
    case real
    /// A point in time.
    case timestamp
}
