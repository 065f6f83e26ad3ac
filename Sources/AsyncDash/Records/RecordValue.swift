import Foundation

/// The value of one column of a dashboard record.
public enum RecordValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int)
    case real(Double)
    case bool(Bool)
    case json(JSONValue)
    case timestamp(Date)

    /// Converts a JSON value for a column of type `type`: text columns receive JSON text for
    /// non-string values; JSON columns receive the value itself.
    public static func coerce(_ value: JSONValue?, to type: ColumnType) -> RecordValue {
        guard let value, !value.isNull else { return type == .json ? .json(.null) : .null }
        switch type {
        case .text: return .text(value.stringValue ?? value.jsonText)
        case .json: return .json(value)
        case .bool:
            if let b = value.boolValue { return .bool(b) }
            if let i = value.intValue { return .bool(i != 0) }
            return .bool(value.stringValue.map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false)
        case .integer: return value.intValue.map(RecordValue.integer) ?? .null
        case .real: return value.doubleValue.map(RecordValue.real) ?? .null
        case .timestamp: return value.stringValue.flatMap(ISO8601.parse).map(RecordValue.timestamp) ?? .null
        }
    }

    /// Converts a point in time for a column of type `type` (ISO 8601 text for text columns).
    public static func coerce(_ date: Date, to type: ColumnType) -> RecordValue {
        switch type {
        case .timestamp: .timestamp(date)
        case .text: .text(ISO8601.format(date))
        case .json: .json(.string(ISO8601.format(date)))
        case .real: .real(date.timeIntervalSince1970)
        case .integer: .integer(Int(saturating: date.timeIntervalSince1970))
        case .bool: .bool(true)
        }
    }

    /// The value as JSON (timestamps as ISO 8601 strings), e.g. for `asyncdash show --json`.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .text(let s): .string(s)
        case .integer(let i): .int(i)
        case .real(let d): .double(d)
        case .bool(let b): .bool(b)
        case .json(let j): j
        case .timestamp(let d): .string(ISO8601.format(d))
        }
    }

    /// The text when this is `.text`, or JSON text of a JSON string.
    public var text: String? {
        switch self {
        case .text(let s): s
        case .json(.string(let s)): s
        default: nil
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        if case .json(.null) = self { return true }
        return false
    }
}
