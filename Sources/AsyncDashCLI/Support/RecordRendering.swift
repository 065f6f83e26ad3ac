import AsyncDash

/// Dashboard records as `show` and `list` print them.
enum RecordRendering {
    /// Every column of `model` by name (null when unset), timestamps as ISO 8601.
    static func json(_ record: Record, model: RecordModel) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for column in model.columns { object[column.name] = record[column.name].json }
        return .object(object)
    }

    /// `column: value` lines in the model's column order.
    static func lines(_ record: Record, model: RecordModel) -> [String] {
        model.columns.map { column in "\(column.name): \(text(record[column.name]))".trimmingTrailingSpaces() }
    }

    /// A value as one line of text: strings as they are, JSON as JSON text, null as nothing.
    static func text(_ value: RecordValue) -> String {
        switch value {
        case .null: ""
        case .text(let text): text
        case .json(.null): ""
        case .json(let json): json.jsonText
        default: value.json.stringValue ?? value.json.jsonText
        }
    }
}
