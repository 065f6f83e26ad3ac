/// Progress reported by a running task: free text, or structured counts.
///
/// ```swift
/// try await manager.updateProgress("import-42", .text("Reading rows"))
/// try await manager.updateProgress("import-42", .structured(.init(done: 40, total: 100, unit: "rows")))
/// ```
public enum ProgressPayload: Sendable, Hashable {
    case text(String)
    case structured(StructuredProgress)

    /// The payload as JSON: a string, or an object with `done`, `total`, `unit`, `message`.
    public var json: JSONValue {
        switch self {
        case .text(let s): .string(s)
        case .structured(let p): p.json
        }
    }

    /// Reads a payload back from JSON: a string is text; an object with an integer `done` is structured.
    public init?(json: JSONValue) {
        switch json {
        case .string(let s): self = .text(s)
        case .object:
            guard let p = StructuredProgress(json: json) else { return nil }
            self = .structured(p)
        default: return nil
        }
    }
}

/// Structured progress: `done` of `total` `unit`s, with an optional message.
public struct StructuredProgress: Sendable, Hashable {
    public var done: Int
    public var total: Int?
    public var unit: String?
    public var message: String?

    public init(done: Int, total: Int? = nil, unit: String? = nil, message: String? = nil) {
        self.done = done
        self.total = total
        self.unit = unit
        self.message = message
    }

    /// `done / total` in 0...1 when `total` is known and positive.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, max(0, Double(done) / Double(total)))
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["done": .int(done)]
        if let total { o["total"] = .int(total) }
        if let unit { o["unit"] = .string(unit) }
        if let message { o["message"] = .string(message) }
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard let done = json["done"]?.intValue else { return nil }
        self.done = done
        self.total = json["total"]?.intValue
        self.unit = json["unit"]?.stringValue
        self.message = json["message"]?.stringValue
    }
}
