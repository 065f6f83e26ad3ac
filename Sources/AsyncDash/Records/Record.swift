/// One dashboard record: column name → value. Missing columns read as `.null`.
public struct Record: Sendable, Hashable {
    public var values: [String: RecordValue]

    public init(_ values: [String: RecordValue] = [:]) {
        self.values = values
    }

    public subscript(column: String) -> RecordValue {
        get { values[column] ?? .null }
        set { values[column] = newValue }
    }

    /// The record as a JSON object keyed by column name.
    public var json: JSONValue {
        .object(values.mapValues(\.json))
    }
}
